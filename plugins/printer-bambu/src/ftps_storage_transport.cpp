// StorageTransport over FtpsClient: the printer's storage over implicit FTPS.
#include "storage_transport.h"

namespace bambuddy::printer_bambu {
namespace {

class FtpsStorageTransport : public StorageTransport {
public:
  explicit FtpsStorageTransport(FtpsEndpoint endpoint) : client_(std::move(endpoint)) {}

  void upload(int fd, uint64_t size_bytes, const std::string& remote_path,
              const TransferProgress& progress) override {
    client_.upload(fd, size_bytes, remote_path, progress);
  }
  std::vector<RemoteEntry> list(const std::string& remote_dir) override { return client_.list(remote_dir); }
  void remove(const std::string& remote_path) override { client_.remove(remote_path); }
  void cancel() override { client_.cancel(); }

private:
  FtpsClient client_;
};

} // namespace

TransportFactory ftpsTransportFactory(const PrinterSettings& settings, const DriverConfig& config) {
  FtpsEndpoint endpoint;
  endpoint.host = settings.host;
  endpoint.password = settings.access_code;
  endpoint.tls_mode = settings.tls_mode;
  endpoint.ca_file = settings.ca_file;
  endpoint.fingerprint_sha256 = settings.fingerprint_sha256;
  endpoint.connect_timeout_ms = config.connect_timeout_ms;
  // One client per start: the data-channel protection found by Auto is learnt again each time
  // (a list is the first operation, so an upload never pays for the fallback).
  return [endpoint] { return std::make_unique<FtpsStorageTransport>(endpoint); };
}

} // namespace bambuddy::printer_bambu
