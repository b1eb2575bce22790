// Command-line options of bambu_printer_sim.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bambusim {

struct Options {
  std::string host = "127.0.0.1";
  int port = 8883;
  std::string ca_file;   // verify the broker against this CA (chain + host name)
  bool insecure = false; // no verification at all (what Bambu's own clients do)
  std::string user = "bblp";
  std::string password; // --password or the BAMBU_SIM_PASSWORD environment variable
  std::vector<std::string> serials;
  std::string model = "x1c";
  int64_t interval_ms = 1000; // period of delta reports
  std::string fixture_dir;    // empty: the fixtures compiled into the binary
  double job_duration_s = 60; // length of jobs started with an MQTT project_file request
  // Each printer's storage (SD card) is <storage_dir>/<serial>/, with cache/ inside. Empty: no
  // storage, and project_file starts a job of job_duration_s without looking for a file.
  std::string storage_dir;
  // Real seconds per printed second for jobs whose plate has a predicted time (0.01: a 1 h
  // plate prints in 36 s).
  double time_scale = 1;
  bool verbose = false; // one `report` event line per published report
  // Benchmarks: every periodic report sets layer_num to a per-printer counter (which the driver
  // normalizes, so each report changes the status) and prints a `sent` line with the publish time.
  bool trace = false;
};

// Parses argv; throws std::invalid_argument with a message for the user on bad input.
// Returns false when --help was given (usage already printed).
bool parseOptions(int argc, char** argv, Options& out);

std::string usage();

} // namespace bambusim
