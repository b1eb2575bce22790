// Printer commands asked of a server instance that does not connect the printer (several instances
// on one PostgreSQL database, docs/scaling.md). The asking instance stores the request in the
// table `printer_commands` and announces it (ChangeFeed topic "commands"); the instance connected
// to the printer takes it (one taker: the row is claimed by an update that only succeeds while
// nobody has it), runs it as if it had been asked directly, stores the HTTP answer and announces
// that ("command_answers"); the asking instance answers its client with it.
//
// A request nobody took within the timeout (no instance connects the printer right now: a
// failover in progress) is withdrawn and answered 503; one taken but not answered in time is
// answered 504 and may still happen.
//
// Threading: send() blocks the calling HTTP worker until the answer or the timeout, as a command
// to a printer connected here blocks it until the printer acknowledges. requested() and answered()
// come from the change feed's thread and only wake threads. One worker thread of its own takes the
// requests, in the order they were stored, and carries each out on a thread of its own (up to 8 at
// once), so a slow printer does not hold up commands to the others.
#pragma once

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace bambuddy {
class Logger;
namespace storage {
class Database;
}
} // namespace bambuddy

namespace bambuddy::cluster {

class CommandRelay {
public:
  struct Answer {
    int status = 0;
    std::string body; // JSON text
  };
  // Runs a relayed request here (this instance connects the printer) and returns the HTTP answer a
  // direct request would have had. Must not throw (what it throws is answered 500).
  using Execute =
      std::function<Answer(int64_t printer_id, const std::string& kind, const nlohmann::json& request)>;
  // Whether this instance connects the printer now.
  using ConnectsHere = std::function<bool(int64_t printer_id)>;

  // `db` must outlive this object.
  CommandRelay(storage::Database& db, Logger& logger, std::string instance_id, Execute execute,
               ConnectsHere connects_here);
  ~CommandRelay(); // stop()
  CommandRelay(const CommandRelay&) = delete;
  CommandRelay& operator=(const CommandRelay&) = delete;

  // Before start(): how requests and answers are announced to the other instances (the change
  // feed's publish). Without it they are found by the periodic look only.
  void setPublisher(std::function<void(const std::string& topic)> publish) { publish_ = std::move(publish); }
  void start();
  void stop(); // idempotent; a request being run here finishes first

  // Relays a request about a printer another instance connects and waits up to `timeout_ms` for
  // its answer. Throws only when the database is unreachable (std::exception).
  Answer send(int64_t printer_id, const std::string& kind, const nlohmann::json& request, int64_t timeout_ms);

  // The change feed's topics and their handlers.
  static constexpr const char* kRequestsTopic = "commands";
  static constexpr const char* kAnswersTopic = "command_answers";
  void requested(); // another instance stored a request: look for ones to run here
  void answered();  // another instance stored an answer: waiting senders look at theirs

  // For tests: takes and runs what is due here, on the calling thread.
  void runPending();

private:
  void run();
  void announce(const char* topic);
  std::optional<Answer> answerOf(int64_t id);
  // Carries out a taken request, stores its answer and announces it.
  void runTaken(int64_t id, int64_t printer_id, const std::string& kind, const std::string& text);
  void trimOld();

  storage::Database& db_;
  Logger& logger_;
  const std::string instance_id_;
  Execute execute_;
  ConnectsHere connects_here_;
  std::function<void(const std::string&)> publish_;

  std::mutex mutex_;
  std::condition_variable work_cv_;   // the worker: a request may be waiting
  std::condition_variable answer_cv_; // senders: an answer may be stored
  uint64_t answers_seen_ = 0;         // bumped by answered()
  bool work_requested_ = false;
  bool stopping_ = false;
  std::thread worker_;
  std::mutex run_mutex_; // one runPending() at a time
  std::mutex runners_mutex_;
  std::list<std::future<void>> runners_; // requests being carried out
  int64_t last_trim_mono_ms_ = 0;
};

} // namespace bambuddy::cluster
