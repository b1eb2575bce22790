// Keyset paging and the name search of ArchiveStore::list: a cursor walk visits every row once while
// rows are added, and the trigram index finds exactly what a substring scan (LIKE) finds.
#include "archives/archive_store.h"
#include "support/core_services.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <random>
#include <set>

namespace bambuddy::archives {
namespace archive_paging_test {

constexpr int64_t kT0 = 1705276800000; // 2024-01-15T00:00:00Z

class ArchivePagingTest : public ::testing::Test {
protected:
  ArchiveRecord add(const std::string& name, std::optional<std::string> filename, int64_t sort_ms,
                    int64_t printer = 1, const std::string& status = "success") {
    ArchiveRecord r;
    r.status = status;
    r.name = name;
    r.filename = std::move(filename);
    r.notes = "";
    r.printer_id = printer;
    r.started_at_ms = sort_ms;
    r.created_at_ms = sort_ms;
    r.updated_at_ms = sort_ms;
    r = store_.insert(r);
    live_[r.id] = r;
    return r;
  }

  std::vector<int64_t> search(const std::string& q) {
    ArchiveFilter f;
    f.q = q;
    f.limit = 1000;
    ArchivePage page = store_.list(f);
    std::vector<int64_t> ids;
    for (const auto& r : page.items) {
      ids.push_back(r.id);
    }
    EXPECT_EQ(page.total, static_cast<int64_t>(ids.size())) << q;
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // What LIKE '%q%' over name and filename finds, ASCII letters compared without case.
  std::vector<int64_t> scan(const std::string& q) {
    auto lower = [](std::string s) {
      std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
      return s;
    };
    std::vector<int64_t> ids;
    for (const auto& [id, r] : live_) {
      if (lower(r.name).find(lower(q)) != std::string::npos ||
          lower(r.filename.value_or("")).find(lower(q)) != std::string::npos) {
        ids.push_back(id);
      }
    }
    return ids;
  }

  testing::CoreServices core_;
  ArchiveStore store_{core_.database()};
  std::map<int64_t, ArchiveRecord> live_;
};

TEST_F(ArchivePagingTest, CursorWalkVisitsEveryRowOnceWhileRowsAreAdded) {
  std::mt19937 rng(3);
  // Many rows share a sort time (a bulk import): the id orders them.
  for (int i = 0; i < 600; ++i) {
    add("part " + std::to_string(i), std::nullopt, kT0 + static_cast<int64_t>(rng() % 40) * 1000,
        1 + static_cast<int64_t>(rng() % 3), i % 4 ? "success" : "failed");
  }
  for (const auto& [printer, status] :
       std::vector<std::pair<std::optional<int64_t>, std::optional<std::string>>>{
           {std::nullopt, std::nullopt}, {2, std::nullopt}, {std::nullopt, "failed"}, {3, "success"}}) {
    ArchiveFilter f;
    f.printer_id = printer;
    f.status = status;
    f.limit = 1000;
    const ArchivePage whole = store_.list(f);
    std::vector<int64_t> expected;
    for (const auto& r : whole.items) {
      expected.push_back(r.id);
    }
    std::set<int64_t> before(expected.begin(), expected.end());

    f.limit = 37;
    std::vector<int64_t> walked;
    int pages = 0;
    while (true) {
      ArchivePage page = store_.list(f);
      ASSERT_LE(page.items.size(), 37u);
      for (const auto& r : page.items) {
        walked.push_back(r.id);
      }
      // Rows added between pages: newer than everything (before the cursor: never seen), at a
      // tied time, and older (after it: seen once).
      add("new", std::nullopt, kT0 + 100000, printer.value_or(1), status.value_or("success"));
      add("tied", std::nullopt, kT0 + 20000, printer.value_or(1), status.value_or("success"));
      add("old", std::nullopt, kT0 - 1000 - pages, printer.value_or(1), status.value_or("success"));
      ++pages;
      if (!page.next) {
        break;
      }
      EXPECT_EQ(page.next->id, page.items.back().id);
      f.after = page.next;
      ASSERT_LT(pages, 200);
    }
    std::set<int64_t> seen;
    for (int64_t id : walked) {
      EXPECT_TRUE(seen.insert(id).second) << "row " << id << " came twice";
    }
    for (int64_t id : before) {
      EXPECT_EQ(seen.count(id), 1u) << "row " << id << " was skipped";
    }
    // The walk follows the list order (newest first, ties by id).
    for (std::size_t i = 1; i < walked.size(); ++i) {
      const ArchiveRecord& a = live_.at(walked[i - 1]);
      const ArchiveRecord& b = live_.at(walked[i]);
      ASSERT_TRUE(*a.started_at_ms > *b.started_at_ms ||
                  (*a.started_at_ms == *b.started_at_ms && a.id > b.id));
    }
  }
}

TEST_F(ArchivePagingTest, SearchIndexFindsWhatAScanFinds) {
  const std::vector<std::pair<std::string, std::optional<std::string>>> fixtures = {
      {"Benchy", "benchy_v2.3mf"},
      {"3DBenchy tall", "3DBenchy.3mf"},
      {"Calibration Cube", "cube_20mm.3mf"},
      {"100% infill test", std::nullopt},
      {"a_b_c", "a%b%c.3mf"},
      {"quote\"d name", "it's.3mf"},
      {"back\\slash", "tab\there.3mf"},
      {"Ünïcode Teil", "teil.3mf"},
      {"  spaced  out  ", "x.3mf"},
      {"abc", "ABC.3MF"},
      {"Plate 1 of Bracket", "bracket_plate_1.gcode.3mf"}};
  for (int copy = 0; copy < 3; ++copy) {
    for (const auto& [name, filename] : fixtures) {
      add(name + (copy ? " #" + std::to_string(copy) : ""), filename, kT0 + copy);
    }
  }
  std::vector<std::string> queries = {"benchy", "BENCHY",  "3mf",          "cube_2", "% in",   "a_b",   "a%b",
                                      "e\"d",   "it's",    "k\\s",         "b\\s",   "\there", "  out", "abc",
                                      "#2",     "plate 1", "nothing here", "be",     "3",      "_",     "%",
                                      "\"",     "ü"};
  // Every substring of 3 to 6 characters of the ASCII fixtures, in mixed case.
  std::mt19937 rng(11);
  for (const auto& [name, filename] : fixtures) {
    if (name.find("Ü") != std::string::npos) {
      continue;
    }
    for (int i = 0; i < 6; ++i) {
      const std::size_t length = 3 + rng() % 4;
      if (name.size() < length) {
        continue;
      }
      std::string q = name.substr(rng() % (name.size() - length + 1), length);
      for (char& c : q) {
        if (rng() % 2) {
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
      }
      queries.push_back(q);
    }
  }
  for (const std::string& q : queries) {
    EXPECT_EQ(search(q), scan(q)) << "q = '" << q << "'";
  }
  // Three characters or more are looked up with any letter's case ignored, not only ASCII's.
  EXPECT_EQ(search("ÜNÏ").size(), 3u);
  EXPECT_EQ(search("ünïcode teil #1").size(), 1u);

  // The index follows renames and deletions.
  ArchiveRecord renamed = live_.begin()->second;
  renamed.name = "Renamed Gizmo";
  renamed.filename = "gizmo.3mf";
  ASSERT_TRUE(store_.update(renamed));
  live_[renamed.id] = renamed;
  EXPECT_EQ(search("gizmo"), std::vector<int64_t>{renamed.id});
  EXPECT_EQ(search("benchy"), scan("benchy"));
  ASSERT_TRUE(store_.remove(renamed.id));
  live_.erase(renamed.id);
  EXPECT_TRUE(search("gizmo").empty());
  // Search with other filters and paging.
  ArchiveFilter f;
  f.q = "benchy";
  f.limit = 2;
  ArchivePage first = store_.list(f);
  EXPECT_EQ(first.total, static_cast<int64_t>(scan("benchy").size()));
  ASSERT_TRUE(first.next);
  f.after = first.next;
  ArchivePage second = store_.list(f);
  EXPECT_EQ(second.total, first.total);
  EXPECT_NE(second.items.front().id, first.items.front().id);
}

} // namespace archive_paging_test
} // namespace bambuddy::archives
