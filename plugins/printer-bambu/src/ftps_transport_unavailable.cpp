// Built instead of ftps_storage_transport.cpp while src/ftps_client.cpp (the libcurl FTPS client,
// developed on its own branch) is not in the tree; CMake picks one of the two. Once the client is
// merged this file is unused and can go.
#include "storage_transport.h"

namespace bambuddy::printer_bambu {

const char* failureReason(FtpsFailure failure) {
  switch (failure) {
  case FtpsFailure::ConnectionRefused:
    return "ftp_connection_refused";
  case FtpsFailure::Timeout:
    return "ftp_timeout";
  case FtpsFailure::TlsFailed:
    return "ftp_tls_failed";
  case FtpsFailure::PinMismatch:
    return "ftp_pin_mismatch";
  case FtpsFailure::LoginFailed:
    return "ftp_login_failed";
  case FtpsFailure::NotFound:
    return "ftp_not_found";
  case FtpsFailure::NoSpace:
    return "ftp_no_space";
  case FtpsFailure::Refused:
    return "ftp_refused";
  case FtpsFailure::Cancelled:
    return "ftp_cancelled";
  case FtpsFailure::LocalIo:
    return "ftp_local_io";
  case FtpsFailure::Protocol:
    return "ftp_protocol";
  }
  return "ftp_protocol";
}

namespace {

class UnavailableTransport : public StorageTransport {
public:
  void upload(int, uint64_t, const std::string&, const TransferProgress&) override { fail(); }
  std::vector<RemoteEntry> list(const std::string&) override { fail(); }
  void remove(const std::string&) override { fail(); }
  void cancel() override {}

private:
  [[noreturn]] static void fail() {
    throw FtpsError(FtpsFailure::Protocol, "this build of printer.bambu has no FTPS client");
  }
};

} // namespace

TransportFactory ftpsTransportFactory(const PrinterSettings&, const DriverConfig&) {
  return [] { return std::make_unique<UnavailableTransport>(); };
}

} // namespace bambuddy::printer_bambu
