// Live printer status shared through the database (cluster/live_status_share.h), on SQLite and on
// a real PostgreSQL 15: what one instance offers reaches the others once, its own rows never come
// back to it, a newer answer replaces an older one, and a reader that starts late gets every row.
#include "cluster/live_status_share.h"

#include "backend_database.h"
#include "common/logger.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bambuddy::cluster {
namespace live_status_share_test {

using Answers = std::vector<std::pair<int64_t, nlohmann::json>>;

class LiveStatusShareTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    std::string problem;
    ASSERT_TRUE(backend_.open(GetParam(), "live", logger_, problem)) << problem;
  }

  std::unique_ptr<LiveStatusShare> share(const std::string& instance, Answers& applied) {
    return std::make_unique<LiveStatusShare>(*backend_.db, logger_, instance, 1000,
                                             [&applied](const Answers& answers) {
                                               applied.insert(applied.end(), answers.begin(), answers.end());
                                             });
  }

  static nlohmann::json answer(const std::string& state) { return {{"connected", true}, {"state", state}}; }

  std::FILE* log_file_ = std::tmpfile();
  Logger logger_{LogLevel::Warn, log_file_};
  test::BackendDatabase backend_;
};

TEST_P(LiveStatusShareTest, WhatOneInstanceOffersReachesTheOthersOnce) {
  Answers at_a, at_b;
  std::unique_ptr<LiveStatusShare> a = share("a", at_a);
  std::unique_ptr<LiveStatusShare> b = share("b", at_b);
  a->offer(1, answer("idle"));
  a->offer(1, answer("printing")); // coalesced: the latest only
  a->offer(2, answer("paused"));
  a->tick();
  b->tick();
  EXPECT_TRUE(at_a.empty()) << "an instance's own rows are not handed back to it";
  ASSERT_EQ(at_b, (Answers{{1, answer("printing")}, {2, answer("paused")}}));
  EXPECT_EQ(a->written(), 2u);

  b->tick();
  EXPECT_EQ(at_b.size(), 2u) << "nothing new: nothing applied again";

  a->offer(2, answer("printing"));
  a->tick();
  b->tick();
  ASSERT_EQ(at_b.size(), 3u);
  EXPECT_EQ(at_b.back(), (std::pair<int64_t, nlohmann::json>{2, answer("printing")}));

  // A printer moves to b: its rows replace a's, and a sees them.
  b->offer(2, answer("finished"));
  b->tick();
  a->tick();
  EXPECT_EQ(at_a, (Answers{{2, answer("finished")}}));

  Answers at_c;
  std::unique_ptr<LiveStatusShare> c = share("c", at_c);
  c->tick();
  std::map<int64_t, nlohmann::json> latest(at_c.begin(), at_c.end());
  EXPECT_EQ(latest, (std::map<int64_t, nlohmann::json>{{1, answer("printing")}, {2, answer("finished")}}))
      << "an instance started later gets every printer's latest answer";
}

INSTANTIATE_TEST_SUITE_P(Backends, LiveStatusShareTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

} // namespace live_status_share_test
} // namespace bambuddy::cluster
