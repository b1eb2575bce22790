#include "matrix_settings.h"

#include "net/plugin_config.h"
#include "text/settings_reader.h"
#include "text/utf8.h"

#include <regex>
#include <stdexcept>

namespace bambuddy::notifier_matrix {

MatrixSettings parseMatrixSettings(const std::string& settings_json) {
  common::text::SettingsReader in(
      settings_json, "notifier.matrix",
      {"homeserver", "access_token", "room_id", "msgtype", "templates", "timeout_ms"});
  MatrixSettings out;
  std::string server = *in.text("homeserver", true, 2048);
  common::net::TargetUrl base;
  try {
    base = common::net::parseTargetUrl(server, {"http", "https"});
  } catch (const std::invalid_argument& e) {
    in.invalid(std::string("/homeserver ") + e.what());
  }
  if (base.has_query || base.has_credentials || server.find('#') != std::string::npos) {
    in.invalid("/homeserver must not have a query, fragment or user:password@ part");
  }
  while (!server.empty() && server.back() == '/') {
    server.pop_back();
  }
  out.homeserver = server;
  out.homeserver_origin = common::net::originOf(base);
  out.access_token = *in.secret("access_token", true, "the bot account's access token", 1024);

  out.room_id = *in.text("room_id", true, 255);
  // A room id, not an alias (#room:server): sending needs the id, and it never changes.
  static const std::regex kRoomId(
      "![A-Za-z0-9._=+/-]{1,200}:(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?");
  if (!std::regex_match(out.room_id, kRoomId)) {
    std::string why = out.room_id[0] == '#'
                          ? " (this is an alias; use the room id from the room's settings > "
                            "Advanced)"
                          : "";
    in.invalid("/room_id must be a room id such as !AbCdEf123:example.org, got '" +
               common::text::utf8Snippet(out.room_id, 64) + "'" + why);
  }
  out.msgtype = in.text("msgtype", false, 16).value_or("m.text");
  if (out.msgtype != "m.text" && out.msgtype != "m.notice") {
    in.invalid("/msgtype must be m.text or m.notice, got '" + common::text::utf8Snippet(out.msgtype, 16) +
               "'");
  }
  out.templates = in.templates();
  out.timeout_ms = in.timeoutMs(kDefaultTimeoutMs);
  return out;
}

} // namespace bambuddy::notifier_matrix
