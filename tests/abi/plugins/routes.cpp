// Serves REST routes through bb_host_api.register_route (ABI 0.2): a JSON answer echoing the
// caller and the path parameter, an sdk::Error mapped to 400, a body that is not JSON (must become
// a 500 without the text), a second registration of a taken route (must be refused) and a route
// that would shadow the core's GET /api/v1/printers/{id} (refused when the core route exists).
// Since 0.4: a route with a declared JSON body (register_route_with_body) echoing what it receives,
// and two schemas the host must refuse (not JSON; not an object schema).
#include <bambuddy/sdk.hpp>

#include <string>

namespace {

class RoutesPlugin : public bambuddy::sdk::BlobStore {
public:
  static constexpr const char* kName = "abi.routes";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "registers REST routes";
  static constexpr const char* kConfigSchema = R"({"type":"object"})";
  static constexpr const char* kInstanceSchema = R"({"type":"object"})";

  RoutesPlugin(bambuddy::sdk::Host host, const std::string&, const std::string&) {
    using bambuddy::sdk::RateClass;
    using bambuddy::sdk::RouteRequest;
    using bambuddy::sdk::RouteResponse;
    host.registerRoute(
        "GET", "/api/v1/abi-routes/{id}", BB_PERM_PRINTERS_READ, RateClass::Read, [](const RouteRequest& r) {
          return RouteResponse{200, "{\"id\":\"" + r.param("id") + "\",\"caller\":\"" + r.principal.id +
                                        "\",\"q\":\"" + r.query.at("q") + "\"}"};
        });
    host.registerRoute("POST", "/api/v1/abi-routes", BB_PERM_ADMIN, RateClass::Write,
                       [](const RouteRequest&) -> RouteResponse {
                         throw bambuddy::sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_name",
                                                    "name must not be empty");
                       });
    host.registerRoute("DELETE", "/api/v1/abi-routes/{id}", 0, RateClass::Write, [](const RouteRequest&) {
      return RouteResponse{200, "not json, secret text"};
    });
    try {
      host.registerRoute("GET", "/api/v1/abi-routes/{id}", 0, RateClass::Read,
                         [](const RouteRequest&) { return RouteResponse{}; });
    } catch (const bambuddy::sdk::Error& e) {
      conflict_code_ = e.code();
    }
    try {
      host.registerRoute("PUT", "/api/v1/abi-routes/{id}", BB_PERM_ADMIN, RateClass::Write,
                         {R"({"type":"object","additionalProperties":false,"required":["name"],
                              "properties":{"name":{"type":"string","minLength":1,"x-error-code":"bad_name"},
                                            "size":{"type":"integer","minimum":1}}})"},
                         [](const RouteRequest& r) {
                           return RouteResponse{200, std::string(r.body)};
                         });
      body_code_ = BB_OK;
    } catch (const bambuddy::sdk::Error& e) {
      body_code_ = e.code();
    }
    for (const char* schema : {R"({"type":)", R"({"type":"array"})"}) {
      try {
        host.registerRoute("PATCH", "/api/v1/abi-routes/{id}", BB_PERM_ADMIN, RateClass::Write, {schema},
                           [](const RouteRequest&) {
                             return RouteResponse{200, "{}"};
                           });
        bad_schema_ += "registered;";
      } catch (const bambuddy::sdk::Error& e) {
        bad_schema_ += std::to_string(e.code()) + ":" + e.reason() + ";";
      }
    }
    // Would take GET /api/v1/printers/shadow from the core's GET /api/v1/printers/{id}.
    try {
      host.registerRoute("GET", "/api/v1/printers/shadow", 0, RateClass::Read, [](const RouteRequest&) {
        return RouteResponse{200, "{\"shadowed\":true}"};
      });
    } catch (const bambuddy::sdk::Error& e) {
      shadow_code_ = e.code();
      host.warn(std::string("shadowing route refused: ") + e.what());
    }
  }
  void put(const std::string&, std::string_view) override {}
  std::optional<std::string> get(const std::string& key) override {
    if (key == "bad_schema") {
      return bad_schema_;
    }
    return std::to_string(key == "shadow" ? shadow_code_ : key == "body" ? body_code_ : conflict_code_);
  }
  bool remove(const std::string&) override { return false; }
  std::vector<bambuddy::sdk::BlobInfo> list(const std::string&) override { return {}; }

private:
  int32_t conflict_code_ = 0;
  int32_t shadow_code_ = 0;
  int32_t body_code_ = -1;
  std::string bad_schema_;
};

} // namespace

BAMBUDDY_PLUGIN(RoutesPlugin)
