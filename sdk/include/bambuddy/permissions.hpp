// SPDX-License-Identifier: MIT
//
// bambuddy/permissions.hpp — the ten permissions of the REST API: their BB_PERM_* bits, wire
// names ("printers:read") and display names ("Read Printers"). Header-only C++17; shared by the
// server and plugins so both spell them the same way. Not part of the binary ABI.
#pragma once

#include <bambuddy/abi.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::sdk {

struct PermissionInfo {
  uint64_t bit;
  std::string_view wire;    // as in requests and responses
  std::string_view display; // as on the settings page
  std::string_view allows;  // one line
};

inline constexpr std::array<PermissionInfo, 10> kPermissions = {{
    {BB_PERM_PRINTERS_READ, "printers:read", "Read Printers", "view printers and their status"},
    {BB_PERM_PRINTERS_CONTROL, "printers:control", "Control Printers",
     "start, stop, pause and resume prints"},
    {BB_PERM_ARCHIVES_READ, "archives:read", "Read Archives", "view archives"},
    {BB_PERM_ARCHIVES_WRITE, "archives:write", "Write Archives", "edit and delete archives"},
    {BB_PERM_STATISTICS_READ, "statistics:read", "Read Statistics", "view statistics"},
    {BB_PERM_QUEUE_READ, "queue:read", "Read Queue", "view the print queue"},
    {BB_PERM_QUEUE_WRITE, "queue:write", "Write Queue", "add, remove and reorder queue items"},
    {BB_PERM_SETTINGS_READ, "settings:read", "Read Settings",
     "view configuration (secrets redacted), notification providers and plugins"},
    {BB_PERM_SETTINGS_WRITE, "settings:write", "Write Settings",
     "change configuration and notification providers"},
    {BB_PERM_ADMIN, "admin", "Admin",
     "everything, including API keys, printer connections and the audit log"},
}};

// Every permission bit.
inline constexpr uint64_t kAllPermissions = (BB_PERM_ADMIN << 1) - 1;

// The bit of a wire name, or nullopt for an unknown name.
inline std::optional<uint64_t> permissionBit(std::string_view wire) {
  for (const auto& p : kPermissions) {
    if (p.wire == wire) {
      return p.bit;
    }
  }
  return std::nullopt;
}

// The wire name of one bit ("" when it is not exactly one known bit).
inline std::string_view permissionWire(uint64_t bit) {
  for (const auto& p : kPermissions) {
    if (p.bit == bit) {
      return p.wire;
    }
  }
  return {};
}

// Wire names of the bits set in `mask`, in table order.
inline std::vector<std::string> permissionNames(uint64_t mask) {
  std::vector<std::string> out;
  for (const auto& p : kPermissions) {
    if ((mask & p.bit) != 0) {
      out.emplace_back(p.wire);
    }
  }
  return out;
}

// "printers:read, printers:control, ..." — for error messages that list the valid names.
inline std::string permissionList() {
  std::string out;
  for (const auto& p : kPermissions) {
    out += (out.empty() ? "" : ", ") + std::string(p.wire);
  }
  return out;
}

// True when a caller holding `granted` may use something that needs `required` (0 = nothing
// beyond authentication). `admin` implies every other permission.
inline bool permits(uint64_t granted, uint64_t required) {
  if ((granted & BB_PERM_ADMIN) != 0) {
    return true;
  }
  return (granted & required) == required;
}

} // namespace bambuddy::sdk
