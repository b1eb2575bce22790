// The host's compatibility rules for plugin descriptors (sdk/ABI.md explains them to authors).
#pragma once

#include <bambuddy/abi.h>

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::plugins {

// The load rule: same major; minor not newer than the host's; exact minor while the major is 0.
// Returns the reason for refusal naming both versions, or nullopt when compatible.
std::optional<std::string> checkAbiVersion(uint32_t host_major, uint32_t host_minor, uint32_t plugin_major,
                                           uint32_t plugin_minor);

// Structural checks on a descriptor returned by bb_plugin_query: struct sizes, kind, name, required
// function pointers, ops table size and schemas that parse as JSON. Includes checkAbiVersion.
std::optional<std::string> checkDescriptor(const bb_plugin_descriptor* d, uint32_t host_major = BB_ABI_MAJOR,
                                           uint32_t host_minor = BB_ABI_MINOR);

std::string kindName(uint32_t kind); // "printer_driver", "auth", "storage", "notifier", or "invalid(N)"
std::string abiString(uint32_t major, uint32_t minor);

// Dotted lower-case names: "storage.local", "notifier.webhook".
bool isValidPluginName(const std::string& name);

} // namespace bambuddy::plugins
