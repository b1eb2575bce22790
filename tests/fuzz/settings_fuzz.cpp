// PATCH /api/v1/settings through the real route and SettingsService on a temp SQLite database:
// JSON parse, merge patch, schema validation, storing. A change that was accepted is undone with
// a reset patch so every input starts from the defaults.
#include "api/settings_routes.h"
#include "settings/settings_service.h"
#include "support/fuzz_core.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

using namespace bambuddy;

namespace {

struct Target {
  fuzz::FuzzCore core;
  settings::SettingsService service{core.kv(), core.logger(), settings::Settings{}};
  Target() { api::addSettingsRoutes(core.router(), service); }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Target* target = new Target(); // lives as long as the process, like the server's
  http::Response response = fuzz::callRoute(target->core.router(), http::Method::Patch, "/api/v1/settings",
                                            std::string(reinterpret_cast<const char*>(data), size));
  if (response.status == 200) {
    const nlohmann::json defaults = settings::Settings{}.toJson();
    nlohmann::json reset = nlohmann::json::object();
    for (const auto& item : defaults.items()) {
      reset[item.key()] = nullptr;
    }
    target->service.patch(reset);
  } else if (response.status != 400) {
    std::fprintf(stderr, "PATCH /api/v1/settings answered %d\n", response.status);
    std::abort();
  }
  (void)fuzz::callRoute(target->core.router(), http::Method::Get, "/api/v1/settings", "");
  return 0;
}
