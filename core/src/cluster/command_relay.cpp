#include "cluster/command_relay.h"

#include "common/logger.h"
#include "common/time.h"
#include "storage/database.h"
#include "storage/id_sequence.h"

#include <soci/soci.h>

#include <chrono>
#include <vector>

namespace bambuddy::cluster {

namespace {

constexpr const char* kComponent = "cluster";
// A safety net under the announcements: how often the worker looks for requests anyway, and how
// long a sender waits for an announcement before it looks at its row itself.
constexpr int64_t kLookIntervalMs = 1000;
constexpr int64_t kAnswerPollMs = 250;
constexpr int64_t kKeepRowsMs = 10 * 60 * 1000; // rows nobody collected (a sender that died)
constexpr int64_t kTrimIntervalMs = 60000;
constexpr long long kBatch = 50;
constexpr size_t kMaxRunning = 8; // relayed requests carried out at once

std::string errorBody(const std::string& code, const std::string& detail) {
  return nlohmann::json{{"detail", detail}, {"code", code}}.dump();
}

} // namespace

CommandRelay::CommandRelay(storage::Database& db, Logger& logger, std::string instance_id, Execute execute,
                           ConnectsHere connects_here)
    : db_(db), logger_(logger), instance_id_(std::move(instance_id)), execute_(std::move(execute)),
      connects_here_(std::move(connects_here)), last_trim_mono_ms_(monotonicMs()) {}

CommandRelay::~CommandRelay() {
  stop();
}

void CommandRelay::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (worker_.joinable()) {
    return;
  }
  stopping_ = false;
  work_requested_ = true; // requests stored before this instance started
  worker_ = std::thread([this] { run(); });
}

void CommandRelay::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    work_cv_.notify_all();
    answer_cv_.notify_all();
  }
  if (worker_.joinable()) {
    worker_.join();
  }
  std::list<std::future<void>> running;
  {
    std::lock_guard<std::mutex> lock(runners_mutex_);
    running.swap(runners_);
  }
  for (std::future<void>& f : running) {
    f.wait(); // relayed commands in progress finish (bounded by the printer's own timeouts)
  }
}

void CommandRelay::requested() {
  std::lock_guard<std::mutex> lock(mutex_);
  work_requested_ = true;
  work_cv_.notify_all();
}

void CommandRelay::answered() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++answers_seen_;
  answer_cv_.notify_all();
}

void CommandRelay::announce(const char* topic) {
  if (publish_) {
    publish_(topic);
  }
}

void CommandRelay::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    work_cv_.wait_for(lock, std::chrono::milliseconds(kLookIntervalMs),
                      [this] { return stopping_ || work_requested_; });
    if (stopping_) {
      return;
    }
    work_requested_ = false;
    lock.unlock();
    try {
      runPending();
    } catch (const std::exception& e) {
      logger_.warn(kComponent, std::string("relayed printer commands: ") + e.what());
    }
    lock.lock();
  }
}

void CommandRelay::runPending() {
  std::lock_guard<std::mutex> one(run_mutex_);
  struct Request {
    int64_t id = 0, printer_id = 0;
    std::string kind, text;
  };
  std::vector<Request> open;
  db_.read([&](soci::session& session) {
    long long id = 0, printer = 0, batch = kBatch;
    std::string kind, text;
    soci::statement st =
        (session.prepare << "SELECT id, printer_id, kind, request FROM printer_commands "
                            "WHERE taken_by = '' ORDER BY id LIMIT :batch",
         soci::into(id), soci::into(printer), soci::into(kind), soci::into(text), soci::use(batch));
    st.execute();
    while (st.fetch()) {
      open.push_back({id, printer, kind, text});
    }
  });
  for (const Request& r : open) {
    if (!connects_here_(r.printer_id)) {
      continue;
    }
    const bool taken = db_.write([&](soci::session& session) {
      long long id = r.id;
      soci::statement take =
          (session.prepare << "UPDATE printer_commands SET taken_by = :me WHERE id = :id AND "
                              "taken_by = ''",
           soci::use(instance_id_), soci::use(id));
      take.execute(true);
      return take.get_affected_rows() == 1;
    });
    if (!taken) {
      continue; // withdrawn by its sender, or another instance was quicker
    }
    // On a thread of its own, so a slow printer does not hold up a command for another; when
    // kMaxRunning already run, on this one (the rest waits its turn).
    {
      std::lock_guard<std::mutex> lock(runners_mutex_);
      runners_.remove_if([](const std::future<void>& f) {
        return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
      });
      if (runners_.size() < kMaxRunning) {
        runners_.push_back(
            std::async(std::launch::async, [this, id = r.id, printer = r.printer_id, kind = r.kind,
                                            text = r.text] { runTaken(id, printer, kind, text); }));
        continue;
      }
    }
    runTaken(r.id, r.printer_id, r.kind, r.text);
  }
  if (monotonicMs() - last_trim_mono_ms_ >= kTrimIntervalMs) {
    last_trim_mono_ms_ = monotonicMs();
    trimOld();
  }
}

void CommandRelay::runTaken(int64_t id, int64_t printer_id, const std::string& kind,
                            const std::string& text) {
  Answer answer;
  try {
    const nlohmann::json request = nlohmann::json::parse(text);
    answer = execute_(printer_id, kind, request);
  } catch (const std::exception& e) {
    answer = {500, errorBody("internal_error", std::string("the relayed request failed: ") + e.what())};
  }
  if (answer.status <= 0) {
    answer = {500, errorBody("internal_error", "the relayed request gave no answer")};
  }
  try {
    db_.write([&](soci::session& session) {
      long long row = id;
      int status = answer.status;
      session << "UPDATE printer_commands SET answer_status = :status, answer = :answer WHERE id = :id",
          soci::use(status), soci::use(answer.body), soci::use(row);
    });
  } catch (const std::exception& e) {
    // The sender answers 504 at its deadline; the command itself was carried out.
    logger_.warn(kComponent, "storing the answer of a relayed " + kind + " failed: " + e.what());
    return;
  }
  logger_.debug(kComponent, "relayed " + kind + " for printer " + std::to_string(printer_id) + ": " +
                                std::to_string(answer.status));
  announce(kAnswersTopic);
}

std::optional<CommandRelay::Answer> CommandRelay::answerOf(int64_t id) {
  return db_.read([&](soci::session& session) -> std::optional<Answer> {
    long long wanted = id;
    int status = 0;
    std::string body;
    session << "SELECT answer_status, answer FROM printer_commands WHERE id = :id", soci::use(wanted),
        soci::into(status), soci::into(body);
    if (!session.got_data() || status <= 0) {
      return std::nullopt;
    }
    return Answer{status, body};
  });
}

CommandRelay::Answer CommandRelay::send(int64_t printer_id, const std::string& kind,
                                        const nlohmann::json& request, int64_t timeout_ms) {
  const std::string text = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const int64_t id = db_.write([&](soci::session& session) {
    long long row = storage::nextId(session, "printer_commands", "printer_commands");
    long long printer = printer_id, now = nowUtcMs();
    session
        << "INSERT INTO printer_commands (id, printer_id, kind, request, requested_by, created_at_ms) VALUES "
           "(:id, :printer, :kind, :request, :by, :now)",
        soci::use(row), soci::use(printer), soci::use(kind), soci::use(text), soci::use(instance_id_),
        soci::use(now);
    return static_cast<int64_t>(row);
  });
  announce(kRequestsTopic);
  const int64_t deadline = monotonicMs() + timeout_ms;
  while (true) {
    if (std::optional<Answer> answer = answerOf(id)) {
      db_.write([&](soci::session& session) {
        long long row = id;
        session << "DELETE FROM printer_commands WHERE id = :id", soci::use(row);
      });
      return *answer;
    }
    const int64_t left = deadline - monotonicMs();
    if (left <= 0) {
      break;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t seen = answers_seen_;
    answer_cv_.wait_for(lock, std::chrono::milliseconds(std::min(left, kAnswerPollMs)),
                        [&] { return stopping_ || answers_seen_ != seen; });
    if (stopping_) {
      break;
    }
  }
  // Not answered in time: withdrawn unless someone has it.
  const bool withdrawn = db_.write([&](soci::session& session) {
    long long row = id;
    soci::statement drop =
        (session.prepare << "DELETE FROM printer_commands WHERE id = :id AND taken_by = ''", soci::use(row));
    drop.execute(true);
    return drop.get_affected_rows() == 1;
  });
  if (withdrawn) {
    return {503,
            errorBody("printer_elsewhere",
                      "printer " + std::to_string(printer_id) +
                          " is not connected by this server instance, and no instance connected to it took "
                          "the request within " +
                          std::to_string(timeout_ms / 1000) +
                          " s (a failover may be in progress); try again")};
  }
  return {504, errorBody("relay_timeout",
                         "the server instance connected to printer " + std::to_string(printer_id) +
                             " took the request but did not answer within " +
                             std::to_string(timeout_ms / 1000) + " s; it may still be carried out")};
}

void CommandRelay::trimOld() {
  db_.write([](soci::session& session) {
    long long before = nowUtcMs() - kKeepRowsMs;
    session << "DELETE FROM printer_commands WHERE created_at_ms < :before", soci::use(before);
  });
}

} // namespace bambuddy::cluster
