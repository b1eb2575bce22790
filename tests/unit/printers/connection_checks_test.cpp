// The reason a connection check gives for the printer-bambu driver's connection errors (the texts
// as the driver writes them: mqtt_codec.cpp, mqtt_connection.cpp, mqtt_session.cpp, mqtt_loop.cpp).
#include "printers/connection_checks.h"
#include "printers/printer_registry.h"

#include <gtest/gtest.h>

namespace bambuddy::printers {
namespace connection_checks_test {

TEST(ConnectionChecksTest, DriverErrorsMapToTheReasonAnOperatorActsOn) {
  EXPECT_EQ(classifyConnectionError("not authorized (check the access code)"), "auth_failed");
  EXPECT_EQ(classifyConnectionError("bad user name or password (check the access code)"), "auth_failed");
  EXPECT_EQ(classifyConnectionError("subscribing to device/X/report failed: the printer refused the "
                                    "subscription (check the serial number)"),
            "wrong_serial");
  EXPECT_EQ(
      classifyConnectionError("no status report within 10000 ms of connecting (check the serial number)"),
      "wrong_serial");
  EXPECT_EQ(classifyConnectionError("TCP connection to 192.168.1.50:8883 timed out"), "timeout");
  EXPECT_EQ(classifyConnectionError("TLS handshake with 192.168.1.50:8883 timed out"), "timeout");
  EXPECT_EQ(classifyConnectionError(
                "the printer's certificate (SHA-256 ab..) does not match tls.fingerprint_sha256"),
            "tls_error");
  EXPECT_EQ(classifyConnectionError("TLS handshake with 192.168.1.50:8883 failed: certificate verify failed"),
            "tls_error");
  EXPECT_EQ(classifyConnectionError("cannot resolve x1c.lan: Name or service not known"),
            "unresolvable_host");
  EXPECT_EQ(classifyConnectionError("looking up x1c.lan timed out"), "timeout");
  EXPECT_EQ(classifyConnectionError("TCP connection to 127.0.0.1:1 failed: Connection refused"),
            "unreachable");
  EXPECT_EQ(classifyConnectionError("TCP connection to 10.0.0.9:8883 failed: No route to host"),
            "unreachable");
}

TEST(ConnectionChecksTest, CheckInstanceIdsAreRecognisedExactly) {
  EXPECT_TRUE(isCheckInstanceId("check-0123456789abcdef"));
  EXPECT_FALSE(isCheckInstanceId("check-0123456789ABCDEF"));
  EXPECT_FALSE(isCheckInstanceId("check-0123456789abcde"));
  EXPECT_FALSE(isCheckInstanceId("printer-3"));
  EXPECT_FALSE(isCheckInstanceId("check-workshop"));
}

} // namespace connection_checks_test
} // namespace bambuddy::printers
