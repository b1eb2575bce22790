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
  void download(const std::string& remote_path, int fd, uint64_t max_bytes,
                const TransferProgress& progress) override {
    client_.download(remote_path, fd, max_bytes, progress);
  }
  void cancel() override { client_.cancel(); }

private:
  FtpsClient client_;
};

} // namespace

TransportFactory ftpsTransportFactory(const PrinterSettings& settings, const DriverConfig& config) {
  // Host, ftp_port, access code, the printer's TLS checks, data protection and FTP timeouts.
  const FtpsEndpoint endpoint = makeFtpsEndpoint(config, settings);
  // One client per start (a cancelled one stays cancelled); list is its first operation, so the
  // data-protection fallback of Auto is settled before an upload.
  return [endpoint] { return std::make_unique<FtpsStorageTransport>(endpoint); };
}

} // namespace bambuddy::printer_bambu
