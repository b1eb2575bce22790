// StorageTransport over FtpsClient: the printer's storage over implicit FTPS.
#include "storage_transport.h"

#include <atomic>
#include <memory>

namespace bambuddy::printer_bambu {
namespace {

class FtpsStorageTransport : public StorageTransport {
public:
  FtpsStorageTransport(FtpsEndpoint endpoint, std::shared_ptr<std::atomic<DataProtection>> learned)
      : client_(std::move(endpoint)), learned_(std::move(learned)) {}
  ~FtpsStorageTransport() override {
    // What the Auto fallback settled on serves the printer's next transfers too, so a model that
    // needs a clear data channel pays for the failed protected attempt once, not per file.
    DataProtection settled = client_.protection();
    if (learned_ && settled != DataProtection::Auto) {
      learned_->store(settled);
    }
  }

  void upload(int fd, uint64_t size_bytes, const std::string& remote_path,
              const TransferProgress& progress) override {
    client_.upload(fd, size_bytes, remote_path, progress);
  }
  std::vector<RemoteEntry> list(const std::string& remote_dir) override { return client_.list(remote_dir); }
  void remove(const std::string& remote_path) override { client_.remove(remote_path); }
  void download(const std::string& remote_path, int fd, uint64_t max_bytes,
                const TransferProgress& progress) override {
    client_.download(remote_path, fd, max_bytes, progress);
  }
  void cancel() override { client_.cancel(); }

private:
  FtpsClient client_;
  std::shared_ptr<std::atomic<DataProtection>> learned_;
};

} // namespace

TransportFactory ftpsTransportFactory(const PrinterSettings& settings, const DriverConfig& config) {
  // Host, ftp_port, access code, the printer's TLS checks, data protection and FTP timeouts.
  const FtpsEndpoint endpoint = makeFtpsEndpoint(config, settings);
  // One client per start (a cancelled one stays cancelled); list is its first operation, so the
  // data-protection fallback of Auto is settled before an upload. With Auto, what a client learned
  // is what the next one starts with (per printer, like the Python Bambuddy's per-address cache).
  auto learned = std::make_shared<std::atomic<DataProtection>>(DataProtection::Auto);
  return [endpoint, learned] {
    FtpsEndpoint next = endpoint;
    if (next.protection == DataProtection::Auto) {
      next.protection = learned->load();
    }
    return std::make_unique<FtpsStorageTransport>(
        next, endpoint.protection == DataProtection::Auto ? learned : nullptr);
  };
}

} // namespace bambuddy::printer_bambu
