// The printer's storage as the print starter sees it: upload, list, delete, cancel. The real one is
// FTPS (FtpsStorageTransport over FtpsClient, ftps_storage_transport.cpp); tests use a fake that
// keeps files in a temp dir, so the start logic is tested without an FTPS server.
//
// Every operation blocks the calling thread (the printer's transfer worker) and throws FtpsError
// with an FtpsFailure; cancel() may be called from any thread and makes the running operation and
// every later one throw FtpsFailure::Cancelled.
#pragma once

#include "driver_config.h"
#include "ftps_client.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace bambuddy::printer_bambu {

class StorageTransport {
public:
  virtual ~StorageTransport() = default;
  // Stores the first `size_bytes` of `fd` (pread from offset 0) as `remote_path`.
  virtual void upload(int fd, uint64_t size_bytes, const std::string& remote_path,
                      const TransferProgress& progress) = 0;
  virtual std::vector<RemoteEntry> list(const std::string& remote_dir) = 0;
  virtual void remove(const std::string& remote_path) = 0;
  // Writes `remote_path` into `fd` (from its current offset), at most `max_bytes`.
  virtual void download(const std::string& remote_path, int fd, uint64_t max_bytes,
                        const TransferProgress& progress) = 0;
  virtual void cancel() = 0;
};

// Makes a fresh transport per use: a cancelled one stays cancelled.
using TransportFactory = std::function<std::unique_ptr<StorageTransport>()>;

// FTPS to the printer of `settings` (port 990, user bblp, the access code, the printer's TLS mode).
TransportFactory ftpsTransportFactory(const PrinterSettings& settings, const DriverConfig& config);

} // namespace bambuddy::printer_bambu
