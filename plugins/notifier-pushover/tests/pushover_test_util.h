// Shared fixture for the notifier.pushover tests: the common notifier fixture with api_url pointing
// at the local receiver, and a form decoder written independently of the plugin's encoder.
#pragma once

#include "testing/notifier_fixture.h"

#include <map>

namespace bambuddy::notifier_pushover::test {

using common::testing::kCompleteData;
using common::testing::kNowMs;
using common::testing::notification;
using nlohmann::json;

inline const std::string kUserKey = "uSECRETuserkey0000000000000000";
inline const std::string kAppToken = "aSECRETapptoken000000000000000";

// application/x-www-form-urlencoded -> name -> value ('+' is a space, %XX a byte). Fails the test
// on a repeated name.
inline std::map<std::string, std::string> decodeForm(const std::string& body) {
  auto decode = [](const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out += ' ';
      } else if (s[i] == '%' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    std::string pair = body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    size_t eq = pair.find('=');
    std::string name = decode(pair.substr(0, eq));
    EXPECT_EQ(out.count(name), 0u) << "repeated field " << name;
    out[name] = eq == std::string::npos ? "" : decode(pair.substr(eq + 1));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

class PushoverTest : public common::testing::NotifierFixture {
protected:
  json local() const {
    return json{{"user_key", kUserKey}, {"app_token", kAppToken}, {"api_url", rx_.url("/1/messages.json")}};
  }
};

} // namespace bambuddy::notifier_pushover::test
