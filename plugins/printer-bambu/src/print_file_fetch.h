// fetch_print_file: finds the 3MF of the printer's current print on its storage and copies it to
// a local file, so the server can archive prints it did not start (Bambu Studio, the screen).
//
// fetch() blocks the calling thread, which is the core's own fetch worker (docs/printers.md);
// never the MQTT loop thread. cancel() (the driver stopping, the printer removed) ends a running
// fetch at once from any thread; later fetches fail until resume().
#pragma once

#include "storage_transport.h"

#include <cstdint>
#include <mutex>
#include <string>

namespace bambuddy::printer_bambu {

struct FetchRequest {
  std::string path;       // local file to write (created or truncated, mode 0600)
  uint64_t max_bytes = 0; // larger files are refused
  std::string filename;   // the print's file name as the driver reported it ("Benchy.3mf")
  std::string name;       // the job's name ("Benchy")
};

// Parses {"action":"fetch_print_file","path":...,"max_bytes":...,"filename":...,"name":...}.
// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT) naming the field.
FetchRequest parseFetchRequest(const std::string& command_json);

// The remote paths to look for, most likely first: the file name in /cache, then the storage root,
// then the job name with .3mf and .gcode.3mf in both.
std::vector<std::string> candidateNames(const FetchRequest& request);

class PrintFileFetch {
public:
  PrintFileFetch(TransportFactory transports, std::string where);

  // Answers {"remote_file": "/cache/Benchy.3mf", "size": N}. Throws sdk::Error: BB_ERR_NOT_FOUND
  // (no such file; the message says where it looked), BB_ERR_UNAVAILABLE (the transfer failed:
  // reason = the FtpsFailure reason), BB_ERR_IO (the local file), BB_ERR_CONFLICT (one fetch runs).
  std::string fetch(const FetchRequest& request);
  void cancel();
  void resume();

private:
  TransportFactory transports_;
  const std::string where_;
  std::mutex mutex_;
  StorageTransport* current_ = nullptr; // the running fetch's transport, for cancel()
  bool running_ = false;
  bool cancelled_ = false;
};

} // namespace bambuddy::printer_bambu
