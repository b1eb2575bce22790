// POST /api/v1/sim/<instance id>/actions: the sim's commands and test hooks over HTTP, so
// server-level tests and the demo can drive a simulated printer without a printer API.
#pragma once

#include <bambuddy/sdk.hpp>

#include <functional>
#include <string>

namespace bambuddy::printer_sim {

using CommandRunner = std::function<std::string(const std::string& body, const std::string& caller)>;

// The instance id as the host's data_dir shows it (its last path component). The ABI passes no
// instance id; both the server (<data>/plugins/<plugin>/<id>) and FakeHost (<root>/<id>) end the
// instance's data directory with it.
std::string instanceIdOf(const sdk::Host& host);

// True for ids that can stand as a literal route segment: 1..64 of [A-Za-z0-9_-].
bool isRouteSafeId(const std::string& id);

// Registers the route for this instance (admin permission, control rate class). `run_command`
// takes the request body and the caller's principal id and returns the command's JSON result; its sdk::Error
// becomes the answer's status. Never throws: an id that cannot be a route segment is skipped with a warning;
// a taken route (the instance was created again under the same id; the core rebinds the route)
// is logged at info; a host without HTTP (--check-config) is logged at debug.
void registerActionRoute(sdk::Host& host, CommandRunner run_command);

} // namespace bambuddy::printer_sim
