// The event journal and its pump on a real SQLite database in a temp dir.
#include "journal/event_journal.h"
#include "journal/journal_pump.h"
#include "support/core_services.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy::journal {
namespace event_journal_test {

JournalEntry entry(const std::string& type, int64_t printer_id, const std::string& payload = "{}") {
  JournalEntry e;
  e.type = type;
  e.printer_id = printer_id;
  e.payload_json = payload;
  return e;
}

void append(EventJournal& journal, std::vector<JournalEntry> entries) {
  journal.append(entries);
}

// Records what each consumer saw, in order.
struct Seen {
  std::mutex mutex;
  std::vector<std::string> lines;
  void add(const std::string& line) {
    std::lock_guard<std::mutex> lock(mutex);
    lines.push_back(line);
  }
  std::vector<std::string> get() {
    std::lock_guard<std::mutex> lock(mutex);
    return lines;
  }
};

TEST(EventJournalTest, AppendsInOrderWithIdsAndReadsBack) {
  testing::CoreServices core;
  EventJournal journal(core.database());
  EXPECT_EQ(journal.lastSeq(), 0);
  std::vector<JournalEntry> batch = {entry("print_started", 3, R"({"printer_id":3})"),
                                     entry("print_progress", 3)};
  journal.append(batch);
  EXPECT_EQ(batch[0].seq + 1, batch[1].seq);
  EXPECT_EQ(batch[0].event_id.rfind("evt_", 0), 0u);
  EXPECT_EQ(batch[0].event_id.size(), 28u);
  EXPECT_NE(batch[0].event_id, batch[1].event_id);
  EXPECT_GT(batch[0].timestamp_ms, 0);
  EXPECT_EQ(journal.lastSeq(), batch[1].seq);

  std::vector<JournalEntry> read = journal.readAfter(0, 10);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].type, "print_started");
  EXPECT_EQ(read[0].printer_id, 3);
  EXPECT_EQ(read[0].payload_json, R"({"printer_id":3})");
  EXPECT_EQ(read[0].event_id, batch[0].event_id);
  EXPECT_EQ(journal.readAfter(batch[0].seq, 10).size(), 1u);
  EXPECT_EQ(journal.readAfter(0, 1).size(), 1u);

  journal.updatePayload(batch[0].seq, R"({"archive_id":7})");
  EXPECT_EQ(journal.readAfter(0, 1)[0].payload_json, R"({"archive_id":7})");
}

TEST(EventJournalTest, ThePairedWriteAndTheEntriesCommitTogetherOrNotAtAll) {
  testing::CoreServices core;
  EventJournal journal(core.database());
  std::vector<JournalEntry> batch = {entry("print_complete", 1)};
  EXPECT_THROW(journal.append(batch,
                              [](soci::session& session) {
                                session << "UPDATE printers SET lifecycle = 'x' WHERE id = 1";
                                throw std::runtime_error("disk full");
                              }),
               std::runtime_error);
  EXPECT_TRUE(journal.readAfter(0, 10).empty()) << "nothing of a failed transaction stays";

  append(journal, {entry("print_started", 1)});
  std::vector<JournalEntry> next = {entry("printer_offline", 1)};
  journal.append(next, [](soci::session& session) {
    session << "INSERT INTO kv (namespace, key, value, updated_at) VALUES ('t', 'k', 'v', 'now')";
  });
  long long kv_rows = 0;
  core.database().read(
      [&](soci::session& session) { session << "SELECT COUNT(*) FROM kv", soci::into(kv_rows); });
  EXPECT_EQ(kv_rows, 1);
  EXPECT_EQ(journal.readAfter(0, 10).size(), 2u);
}

TEST(EventJournalTest, SeqsAreNeverReusedAfterATrim) {
  testing::CoreServices core;
  EventJournal journal(core.database());
  append(journal, {entry("a", 1), entry("b", 1)});
  journal.setCursor("only", 2);
  EXPECT_EQ(journal.trim({"only"}, std::numeric_limits<int64_t>::max()), 2);
  EventJournal reopened(core.database());
  EXPECT_EQ(reopened.lastSeq(), 2) << "the end survives an empty table";
  std::vector<JournalEntry> more = {entry("c", 1)};
  reopened.append(more);
  EXPECT_EQ(more[0].seq, 3);
}

TEST(EventJournalTest, TrimKeepsWhatAnyConsumerHasNotPassed) {
  testing::CoreServices core;
  EventJournal journal(core.database());
  append(journal, {entry("a", 1), entry("b", 1), entry("c", 1)});
  journal.setCursors({"fast", "slow"}, {3, 1});
  EXPECT_EQ(journal.trim({"fast", "slow"}, 0), 0) << "nothing is old enough";
  EXPECT_EQ(journal.trim({"fast", "slow"}, std::numeric_limits<int64_t>::max()), 1);
  EXPECT_EQ(journal.readAfter(0, 10).size(), 2u);
  EXPECT_EQ(journal.cursor("fast"), 3);
  EXPECT_EQ(journal.cursor("never"), 0);
}

TEST(JournalPumpTest, ConsumersSeeEveryEntryInOrderAndLaterOnesSeeEarlierChanges) {
  testing::CoreServices core;
  EventJournal journal(core.database());
  Seen seen;
  JournalPump pump(journal, core.logger());
  pump.addConsumer({"first", [&](JournalEntry& e) {
                      seen.add("first " + e.type);
                      e.payload_json = R"({"archive_id":)" + std::to_string(e.seq) + "}";
                      journal.updatePayload(e.seq, e.payload_json);
                    }});
  pump.addConsumer({"second", [&](JournalEntry& e) { seen.add("second " + e.type + " " + e.payload_json); }});
  pump.start();
  std::vector<JournalEntry> batch = {entry("print_started", 1), entry("print_complete", 1)};
  journal.append(batch);
  ASSERT_TRUE(pump.waitIdle(5000));
  pump.stop();
  const std::string a = std::to_string(batch[0].seq), b = std::to_string(batch[1].seq);
  EXPECT_EQ(seen.get(), (std::vector<std::string>{
                            "first print_started", "second print_started {\"archive_id\":" + a + "}",
                            "first print_complete", "second print_complete {\"archive_id\":" + b + "}"}));
  EXPECT_EQ(journal.cursor("first"), batch[1].seq);
  EXPECT_EQ(journal.cursor("second"), batch[1].seq);
}

TEST(JournalPumpTest, AFailingConsumerIsRetriedAndHoldsUpOnlyThoseBehindIt) {
  testing::CoreServices core;
  EventJournal journal(core.database());
  Seen seen;
  std::atomic<int> failures{2};
  JournalPump pump(journal, core.logger());
  pump.addConsumer({"archives", [&](JournalEntry& e) { seen.add("archives " + e.type); }});
  pump.addConsumer({"outbox", [&](JournalEntry& e) {
                      if (e.type == "print_complete" && failures.fetch_sub(1) > 0) {
                        throw std::runtime_error("database is locked");
                      }
                      seen.add("outbox " + e.type);
                    }});
  pump.start();
  append(journal, {entry("print_started", 1), entry("print_complete", 1), entry("printer_offline", 1)});
  ASSERT_TRUE(pump.waitIdle(10000));
  EXPECT_EQ(seen.get(), (std::vector<std::string>{"archives print_started", "outbox print_started",
                                                  "archives print_complete", "outbox print_complete",
                                                  "archives printer_offline", "outbox printer_offline"}))
      << "the entry is never skipped, and no consumer runs ahead of one before it";
  EXPECT_NE(core.log().find("outbox could not handle print_complete"), std::string::npos);
}

TEST(JournalPumpTest, ARestartResumesEachConsumerAtItsCursor) {
  testing::CoreServices core;
  EventJournal journal(core.database());
  Seen seen;
  {
    JournalPump pump(journal, core.logger());
    pump.addConsumer({"archives", [&](JournalEntry& e) { seen.add("archives " + e.type); }});
    pump.addConsumer({"outbox", [&](JournalEntry& e) { seen.add("outbox " + e.type); }});
    pump.start();
    append(journal, {entry("print_started", 1)});
    ASSERT_TRUE(pump.waitIdle(5000));
    pump.stop();
  }
  // Appended while no pump runs (the server was down, or died before handing them over).
  append(journal, {entry("print_complete", 1), entry("printer_offline", 1)});
  JournalPump again(journal, core.logger());
  again.addConsumer({"archives", [&](JournalEntry& e) { seen.add("archives " + e.type); }});
  again.addConsumer({"outbox", [&](JournalEntry& e) { seen.add("outbox " + e.type); }});
  again.addConsumer({"added_later", [&](JournalEntry& e) { seen.add("added_later " + e.type); }});
  again.start();
  ASSERT_TRUE(again.waitIdle(5000));
  again.stop();
  EXPECT_EQ(seen.get(), (std::vector<std::string>{"archives print_started", "outbox print_started",
                                                  "archives print_complete", "outbox print_complete",
                                                  "archives printer_offline", "outbox printer_offline"}))
      << "nothing twice, nothing missed; a consumer added later starts at the journal's end";
  EXPECT_EQ(journal.cursor("added_later"), journal.lastSeq());
}

TEST(JournalPumpTest, OnAFreshJournalWhatIsAppendedAfterLoadCursorsIsHandled) {
  testing::CoreServices core;
  EventJournal journal(core.database());
  Seen seen;
  JournalPump pump(journal, core.logger());
  pump.addConsumer({"archives", [&](JournalEntry& e) { seen.add("archives " + e.type); }});
  // The server positions its consumers before its printers start, and starts the pump once every
  // consumer is ready: events decided in between are this run's, not history.
  pump.loadCursors();
  append(journal, {entry("print_started", 1)});
  pump.start();
  ASSERT_TRUE(pump.waitIdle(5000));
  pump.stop();
  EXPECT_EQ(seen.get(), (std::vector<std::string>{"archives print_started"}));
}

} // namespace event_journal_test
} // namespace bambuddy::journal
