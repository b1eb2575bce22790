// Runs tools/bambu-printer-sim as a child process: stdin lines in, stdout event lines out
// (collected by a reader thread), with deadline waits on those lines.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace bambuddy::testing {

class MosquittoBroker;

class BambuSimProcess {
public:
  // `args` follow the binary name (see bambu_printer_sim --help).
  explicit BambuSimProcess(const std::vector<std::string>& args);
  ~BambuSimProcess(); // `quit`, then SIGTERM, then SIGKILL
  BambuSimProcess(const BambuSimProcess&) = delete;
  BambuSimProcess& operator=(const BambuSimProcess&) = delete;

  // Arguments for one printer (or --count printers) against `broker`, verifying its CA.
  static std::vector<std::string> argsFor(const MosquittoBroker& broker, const std::string& serial,
                                          int64_t interval_ms = 1000);

  // Writes one control line (a newline is added). False when the simulator is gone.
  bool send(const std::string& line);

  // Index of the next line to arrive: pass it as `from` to wait only for newer lines.
  size_t mark() const;
  // The first line at index >= from that starts with `prefix` (or matches `pattern`), waiting up
  // to timeout_ms. nullopt on timeout or when the simulator exited without printing it.
  std::optional<std::string> waitLine(const std::string& prefix, int64_t timeout_ms, size_t from = 0) const;
  std::optional<std::string> waitLineMatching(const std::regex& pattern, int64_t timeout_ms,
                                              size_t from = 0) const;
  // Counts lines at index >= from starting with `prefix`.
  size_t countLines(const std::string& prefix, size_t from = 0) const;
  std::vector<std::string> lines(size_t from = 0) const;
  std::string stderrText() const; // what the simulator wrote to stderr (usage errors)
  std::string transcript() const; // all stdout lines, for failure messages

  // Sends `quit` and waits; returns the exit code (-1 when killed or timed out).
  int quit(int64_t timeout_ms = 5000);
  bool running();
  pid_t pid() const { return pid_; }

private:
  std::optional<std::string> waitUntil(const std::function<bool(const std::string&)>& match,
                                       int64_t timeout_ms, size_t from) const;
  void readLoop(int fd);
  int reap(int64_t timeout_ms);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string stderr_path_;
  std::thread reader_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool eof_ = false;
  bool exited_ = false;
  int exit_code_ = -1;
};

// The simulator binary of the build tree (set by CMake), or $BAMBU_PRINTER_SIM_BINARY.
std::string bambuPrinterSimBinary();

} // namespace bambuddy::testing
