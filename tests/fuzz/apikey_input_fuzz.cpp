// auth.apikey's request bodies: POST /api-keys and PATCH /api-keys/{id} (parseKeyInput) and
// POST /api-keys/{id}/rotate (parseGracePeriod). Bad input must be an sdk::Error, nothing else.
#include "key_input.h"

#include <bambuddy/sdk.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace bambuddy::auth_apikey;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const int64_t now_ms = 1700000000000;
  for (bool creating : {true, false}) {
    try {
      KeyInput input = parseKeyInput(body, now_ms, creating);
      (void)input;
    } catch (const bambuddy::sdk::Error&) {
    }
  }
  try {
    (void)parseGracePeriod(body, 3600);
  } catch (const bambuddy::sdk::Error&) {
  }
  return 0;
}
