// A stored secret only goes where it was entered for. A plugin's instance schema marks the
// top-level properties that say where the plugin connects or sends ("x-bambuddy-destination":
// true: a URL, host, port, topic, or the TLS checks of that connection). Every secret property
// (secret_fields.h) is a credential of that destination unless it says
// "x-bambuddy-credential": false (a webhook signing secret, which never leaves the server).
//
// A change of a destination field must resend every stored credential (a new value, or null to
// drop it); otherwise the change is refused, so a key that may edit settings cannot point a
// provider or printer at its own address and have the stored password sent there.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bambuddy::plugins {

struct DestinationChange {
  std::vector<std::string> destination_fields; // top-level properties whose value changes
  std::vector<std::string> missing_secrets;    // stored credentials the patch does not resend
  bool refused() const { return !missing_secrets.empty(); }
};

// Compares `current` with `merged` (mergeSettings(current, patch)). A destination field that is
// absent counts as its schema "default". When a destination changes, the credentials the patch
// resends replace the stored ones whole in `merged` (no merge into stored header maps).
// Unparseable schemas fall back to well-known names (url, host, port, server, topic, smtp_url;
// password, token, access_code, api_key).
DestinationChange checkDestinationChange(const nlohmann::json& current, const nlohmann::json& patch,
                                         nlohmann::json& merged, const std::string& schema_text);

// "settings.url changes where this ... sends; resend settings.password ..." for the 400 answer.
std::string secretRequiredMessage(const DestinationChange& change, const std::string& what);

} // namespace bambuddy::plugins
