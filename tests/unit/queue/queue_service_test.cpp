// QueueService over real parts: a migrated SQLite database in a temp directory, the real plugin
// host with the built storage.local (the uploaded 3MF) and printer.sim (the printers), the real
// registry, archives and print starter. Covers adding, listing, changing, removing and reordering
// items with their validation, and which item the dispatcher starts where (one pass at a time,
// driven by the test). What happens once a print runs belongs to the print pipeline's tests.
#include "queue/queue_service.h"

#include "archives/archive_service.h"
#include "archives/archive_store.h"
#include "common/time.h"
#include "config/core_config.h"
#include "http/router.h"
#include "journal/event_journal.h"
#include "plugins/plugin_host.h"
#include "printers/printer_registry.h"
#include "printers/printer_store.h"
#include "printers/status_intake.h"
#include "printing/print_starter.h"
#include "queue/queue_store.h"
#include "support/core_services.h"
#include "support/server_process.h"
#include "support/three_mf_sample.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::queue {
namespace queue_service_test {

using nlohmann::json;

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class QueueServiceTest : public ::testing::Test {
protected:
  QueueServiceTest() {
    // As in the server: drivers' reports reach the registry through the status intake.
    plugins::HostServices services{core_.logger(),     core_.bus(), core_.kv(),
                                   core_.dir().path(), wallMs,      &router_};
    services.report_status = [this](const std::string& plugin, const std::string& instance, json status) {
      return intake_.push(plugin, instance, std::move(status));
    };
    host_ = std::make_unique<plugins::PluginHost>(std::move(services));
    registry_ = std::make_unique<printers::PrinterRegistry>(printer_store_, *host_, journal_, core_.logger(),
                                                            wallMs, printers::LifecycleSettings{});
    intake_.addSink([this](const std::string& driver, const std::string& instance, json& status) {
      return registry_->onReport(driver, instance, status);
    });
    intake_.start();
    std::string yaml = "data_dir: " + core_.dir().path() + "\nplugins:\n  search_path: [" +
                       testing::pluginDir() +
                       "]\n  load:\n    - name: storage.local\n    - name: printer.sim\n";
    config::Environment env;
    env.exe_dir = core_.dir().path();
    host_->loadAll(config::parseCoreConfig(yaml, core_.dir().file("bambuddy.yaml"), env));
    registry_->start(config::CoreConfig{});
    archives_ = std::make_unique<archives::ArchiveService>(archive_store_, *host_, core_.logger(), wallMs);
    starter_ = std::make_unique<printing::PrintStarter>(*registry_, *archives_, core_.logger());
    queue_ = std::make_unique<QueueService>(queue_store_, *archives_, *registry_, *starter_, journal_,
                                            core_.logger(), [this] { return now_ms_.load(); });
    archive_id_ = archives_
                      ->createUpload("benchy.3mf", testing::sampleThreeMf("Benchy", 60, 2.5), json(nullptr),
                                     std::nullopt)
                      .id;
  }

  ~QueueServiceTest() override {
    // As the server stops: no more reports into the registry, then the drivers, then the rest.
    queue_.reset();
    registry_->stop();
    host_->shutdown();
    intake_.stop();
  }

  // A printer.sim printer that reports every 20 ms; waits until the registry shows it `state`.
  int64_t addSimPrinter(const std::string& name, bool connected = true) {
    json settings = {{"report_interval_ms", 20}, {"start_connected", connected}};
    const int64_t id =
        registry_->create({{"name", name}, {"driver", "printer.sim"}, {"settings", settings}})["id"];
    const std::string state = connected ? "idle" : "offline";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (registry_->status(id)["state"] != state || registry_->status(id)["updated_at"].is_null()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << name << " never reported " << state << ": " << registry_->status(id).dump();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5)); // poll until the deadline
    }
    return id;
  }

  QueueItem add(json body = json::object()) {
    if (!body.contains("archive_id")) {
      body["archive_id"] = archive_id_;
    }
    return queue_->add(body);
  }

  // The error code of a refused call, and its HTTP status ("" when nothing was thrown).
  template <class Fn> std::string refusal(Fn fn, int* status = nullptr) {
    try {
      fn();
    } catch (const QueueError& e) {
      if (status != nullptr) {
        *status = e.httpStatus();
      }
      return e.code();
    }
    return "";
  }

  std::vector<int64_t> order() {
    std::vector<int64_t> ids;
    for (const QueueItem& item : queue_->list(std::nullopt)) {
      ids.push_back(item.id);
    }
    return ids;
  }

  testing::CoreServices core_;
  http::Router router_;
  journal::EventJournal journal_{core_.database()};
  printers::StatusIntake intake_{core_.logger(), nullptr};
  std::unique_ptr<plugins::PluginHost> host_;
  printers::PrinterStore printer_store_{core_.database()};
  std::unique_ptr<printers::PrinterRegistry> registry_;
  archives::ArchiveStore archive_store_{core_.database()};
  std::unique_ptr<archives::ArchiveService> archives_;
  std::unique_ptr<printing::PrintStarter> starter_;
  QueueStore queue_store_{core_.database()};
  std::atomic<int64_t> now_ms_{wallMs()};
  std::unique_ptr<QueueService> queue_;
  int64_t archive_id_ = 0;
};

TEST_F(QueueServiceTest, ItemsAreAppendedInOrderAndReadBack) {
  QueueItem a = add();
  QueueItem b = add({{"scheduled_at", "2030-01-15T14:30:00Z"}});
  QueueItem c = add({{"plate", 1}, {"use_ams", false}});
  EXPECT_EQ(order(), (std::vector<int64_t>{a.id, b.id, c.id}));
  EXPECT_LT(a.position, b.position);
  EXPECT_LT(b.position, c.position);
  EXPECT_EQ(a.status, "pending");
  EXPECT_EQ(b.scheduled_at_ms, parseUtcTimestamp("2030-01-15T14:30:00Z"));
  EXPECT_EQ(c.plate, 1);
  EXPECT_EQ(c.print_options, (json{{"use_ams", false}}));

  QueueItem read = queue_->get(b.id);
  EXPECT_EQ(read.archive_id, archive_id_);
  json shown = queue_->toJson(read);
  EXPECT_EQ(shown["scheduled_at"], "2030-01-15T14:30:00Z");
  EXPECT_EQ(shown["name"], "benchy");
  EXPECT_EQ(shown["filename"], "benchy.3mf");
  EXPECT_EQ(queue_->list(std::string("pending")).size(), 3u);
  EXPECT_TRUE(queue_->list(std::string("printing")).empty());
}

TEST_F(QueueServiceTest, BadItemsAreRefusedWithTheirCodeAndNothingIsStored) {
  archives::ArchiveRecord no_file;
  no_file.status = "success";
  no_file.name = "a print without its file";
  no_file.created_at_ms = no_file.updated_at_ms = wallMs();
  const int64_t no_file_id = archive_store_.insert(no_file).id;

  // The body's shape (types, unknown keys) is the route's body schema's job
  // (tests/unit/app/body_schema_test.cpp); the service checks what the database decides.
  auto code = [&](const json& body) { return refusal([&] { queue_->add(body); }); };
  int status = 0;
  EXPECT_EQ(refusal([&] { queue_->add({{"archive_id", 9999}}); }, &status), "invalid_archive_id");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(code({{"archive_id", no_file_id}}), "invalid_archive_id");
  EXPECT_EQ(code({{"archive_id", archive_id_}, {"printer_id", 9999}}), "invalid_printer_id");
  EXPECT_TRUE(queue_->list(std::nullopt).empty());
}

TEST_F(QueueServiceTest, AScheduleTheServerCannotWriteBackIsRefusedWithTheReason) {
  // A valid RFC 3339 date-time, but the leap second of 9999-12-31 is year 10000.
  try {
    add({{"scheduled_at", "9999-12-31T23:59:60Z"}});
    ADD_FAILURE() << "accepted";
  } catch (const QueueError& e) {
    EXPECT_EQ(e.code(), "invalid_scheduled_at");
    EXPECT_NE(std::string(e.what()).find("year 10000"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(queue_->list(std::nullopt).empty());
  EXPECT_EQ(add({{"scheduled_at", "9999-12-31T23:59:59Z"}}).scheduled_at_ms, 253402300799000);
}

TEST_F(QueueServiceTest, ReorderPutsTheListedItemsFirstInThatOrder) {
  QueueItem a = add();
  QueueItem b = add();
  QueueItem c = add();
  std::vector<QueueItem> listed = queue_->reorder({{"order", {c.id, a.id}}});
  std::vector<int64_t> ids;
  for (const QueueItem& item : listed) {
    ids.push_back(item.id);
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{c.id, a.id, b.id}));
  EXPECT_EQ(order(), ids);
}

TEST_F(QueueServiceTest, ABadOrderIsRefusedAndChangesNothing) {
  QueueItem a = add();
  QueueItem b = add();
  QueueItem skipped = add();
  queue_->patch(skipped.id, {{"status", "skipped"}});
  const std::vector<int64_t> before = order();
  // Shapes (a list of unique integers, no other keys) are the route's body schema's job.
  for (const json& body : {json{{"order", {b.id, 9999}}}, json{{"order", {skipped.id, a.id}}}}) {
    EXPECT_EQ(refusal([&] { queue_->reorder(body); }), "invalid_order") << body.dump();
  }
  EXPECT_EQ(order(), before);
}

TEST_F(QueueServiceTest, StatusChangesFollowTheAllowedTransitions) {
  QueueItem item = add();
  EXPECT_EQ(queue_->patch(item.id, {{"status", "skipped"}}).status, "skipped");
  EXPECT_EQ(queue_->patch(item.id, {{"status", "pending"}}).status, "pending");
  QueueItem cancelled = queue_->patch(item.id, {{"status", "cancelled"}});
  EXPECT_EQ(cancelled.status, "cancelled");
  EXPECT_TRUE(cancelled.ended_at_ms);

  int status = 0;
  EXPECT_EQ(refusal([&] { queue_->patch(item.id, {{"status", "skipped"}}); }, &status), "invalid_transition");
  EXPECT_EQ(status, 409);
  EXPECT_EQ(refusal([&] { queue_->patch(item.id, {{"scheduled_at", nullptr}}); }, &status), "not_pending");
  EXPECT_EQ(status, 409);
  EXPECT_EQ(queue_->get(item.id).status, "cancelled");

  // Back in the queue: what the previous attempt left is cleared.
  QueueItem again = queue_->patch(item.id, {{"status", "pending"}});
  EXPECT_EQ(again.status, "pending");
  EXPECT_FALSE(again.ended_at_ms);
  EXPECT_FALSE(again.reason);
}

TEST_F(QueueServiceTest, PatchChangesWaitingItemsAndValidatesLikeAdd) {
  const int64_t printer = addSimPrinter("Sim");
  QueueItem item = add({{"use_ams", true}, {"timelapse", true}});
  QueueItem changed = queue_->patch(
      item.id, {{"printer_id", printer}, {"scheduled_at", "2030-01-01T00:00:00Z"}, {"use_ams", nullptr}});
  EXPECT_EQ(changed.printer_id, printer);
  EXPECT_EQ(changed.scheduled_at_ms, parseUtcTimestamp("2030-01-01T00:00:00Z"));
  EXPECT_EQ(changed.print_options, (json{{"timelapse", true}})); // null: back to the printer's default
  EXPECT_EQ(queue_->get(item.id).printer_id, printer);

  changed = queue_->patch(item.id, {{"printer_id", nullptr}, {"scheduled_at", nullptr}});
  EXPECT_FALSE(changed.printer_id);
  EXPECT_FALSE(changed.scheduled_at_ms);

  EXPECT_EQ(refusal([&] { queue_->patch(item.id, {{"printer_id", 9999}}); }), "invalid_printer_id");
  int status = 0;
  EXPECT_EQ(refusal([&] { queue_->patch(9999, {{"status", "skipped"}}); }, &status), "not_found");
  EXPECT_EQ(status, 404);
  EXPECT_FALSE(queue_->get(item.id).printer_id);
}

TEST_F(QueueServiceTest, RemoveDeletesAWaitingItem) {
  QueueItem a = add();
  QueueItem b = add();
  queue_->remove(a.id);
  EXPECT_EQ(order(), std::vector<int64_t>{b.id});
  EXPECT_EQ(refusal([&] { queue_->get(a.id); }), "not_found");
  EXPECT_EQ(refusal([&] { queue_->remove(a.id); }), "not_found");
}

TEST_F(QueueServiceTest, WithoutPrintersEveryItemWaitsAndSaysWhy) {
  QueueItem now = add();
  QueueItem later = add({{"scheduled_at", formatUtcSeconds(now_ms_ + 3600 * 1000)}});
  queue_->dispatchOnce();
  EXPECT_EQ(queue_->get(now.id).status, "pending");
  EXPECT_EQ(queue_->get(now.id).reason, "no printer to print on");
  EXPECT_EQ(queue_->get(later.id).reason, "scheduled for " + formatUtcSeconds(now_ms_ + 3600 * 1000));
}

TEST_F(QueueServiceTest, TheDispatcherStartsTheFirstDueItemOnAnIdlePrinter) {
  const int64_t idle = addSimPrinter("Idle");
  const int64_t off = addSimPrinter("Off", /*connected=*/false);

  QueueItem scheduled = add({{"scheduled_at", formatUtcSeconds(now_ms_ + 3600 * 1000)}});
  QueueItem skipped = add();
  queue_->patch(skipped.id, {{"status", "skipped"}});
  QueueItem for_off = add({{"printer_id", off}});
  QueueItem first = add();
  QueueItem for_idle = add({{"printer_id", idle}});

  queue_->dispatchOnce();

  QueueItem started = queue_->get(first.id);
  EXPECT_EQ(started.status, "printing");
  EXPECT_EQ(started.assigned_printer_id, idle);
  EXPECT_TRUE(started.started_at_ms);
  EXPECT_FALSE(started.reason);

  EXPECT_EQ(queue_->get(scheduled.id).status, "pending");
  EXPECT_EQ(queue_->get(scheduled.id).reason.value_or("").rfind("scheduled for ", 0), 0u);
  EXPECT_EQ(queue_->get(skipped.id).status, "skipped");
  EXPECT_FALSE(queue_->get(skipped.id).assigned_printer_id);
  EXPECT_EQ(queue_->get(for_off.id).reason, "printer 'Off' is not connected");
  EXPECT_EQ(queue_->get(for_idle.id).status, "pending");
  EXPECT_EQ(queue_->get(for_idle.id).reason,
            "waiting for printer " + std::to_string(idle) + " to finish its queued print");

  // A removed printing item would orphan the print: refused.
  int status = 0;
  EXPECT_EQ(refusal([&] { queue_->remove(first.id); }, &status), "printing");
  EXPECT_EQ(status, 409);
  EXPECT_EQ(refusal([&] { queue_->patch(first.id, {{"status", "cancelled"}}); }), "invalid_transition");

  // The scheduled item becomes due: it still waits, now for a printer instead of the clock.
  now_ms_ += 2 * 3600 * 1000;
  queue_->dispatchOnce();
  EXPECT_EQ(queue_->get(scheduled.id).status, "pending");
  EXPECT_EQ(queue_->get(scheduled.id).reason.value_or("").rfind("scheduled for ", 0), std::string::npos);
  EXPECT_EQ(queue_->get(first.id).assigned_printer_id, idle);
}

TEST_F(QueueServiceTest, ReorderDecidesWhichItemTheDispatcherStarts) {
  const int64_t printer = addSimPrinter("Sim");
  QueueItem a = add();
  QueueItem b = add();
  queue_->reorder({{"order", {b.id}}});
  queue_->dispatchOnce();
  EXPECT_EQ(queue_->get(b.id).status, "printing");
  EXPECT_EQ(queue_->get(b.id).assigned_printer_id, printer);
  EXPECT_EQ(queue_->get(a.id).status, "pending");
  EXPECT_EQ(queue_->get(a.id).reason, "waiting for an idle printer");
}

} // namespace queue_service_test
} // namespace bambuddy::queue
