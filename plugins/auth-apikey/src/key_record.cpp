#include "key_record.h"

#include <bambuddy/date_time.hpp>
#include <bambuddy/permissions.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

namespace bambuddy::auth_apikey {
namespace {

using nlohmann::json;

json optionalTime(const std::optional<int64_t>& ms, bool with_ms) {
  if (!ms) {
    return nullptr;
  }
  return with_ms ? sdk::formatIsoUtcMs(*ms) : sdk::formatIsoUtcSeconds(*ms);
}

std::optional<int64_t> readOptionalTime(const json& doc, const char* field) {
  auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) {
    return std::nullopt;
  }
  auto ms = sdk::parseIsoUtc(it->get<std::string>());
  if (!ms) {
    throw std::runtime_error(std::string("bad time in field ") + field);
  }
  return ms;
}

uint32_t readLimit(const json& limits, const char* field) {
  auto it = limits.find(field);
  return it == limits.end() || it->is_null() ? 0u : it->get<uint32_t>();
}

uint64_t permissionsFromWire(const json& names) {
  uint64_t bits = 0;
  for (const json& n : names) {
    auto bit = sdk::permissionBit(n.get<std::string>());
    if (!bit) {
      throw std::runtime_error("unknown permission in stored key");
    }
    bits |= *bit;
  }
  return bits;
}

} // namespace

std::string recordKvKey(int64_t id) {
  return "key/" + std::to_string(id);
}

std::string storedDocument(const KeyRecord& r) {
  json doc = {
      {"id", r.id},
      {"name", r.name},
      {"digest", toHex(r.digest)},
      {"prefix", r.prefix},
      {"last4", r.last4},
      {"permissions", sdk::permissionNames(r.permissions)},
      {"enabled", r.enabled},
      {"created_at", sdk::formatIsoUtcMs(r.created_at_ms)},
      {"updated_at", sdk::formatIsoUtcMs(r.updated_at_ms)},
      {"expires_at", optionalTime(r.expires_at_ms, true)},
      {"allowed_ips", r.allowed_ips},
      {"printer_ids", printerIdsJson(r.printer_ids)},
      {"rate_limits",
       {{"read", r.rate_limits.read}, {"write", r.rate_limits.write}, {"control", r.rate_limits.control}}},
      {"last_used_at", optionalTime(r.last_used_at_ms, true)},
      {"last_used_ip", r.last_used_ip},
      {"request_count", r.request_count},
      {"previous_digest", r.previous_digest ? json(toHex(*r.previous_digest)) : json(nullptr)},
      {"previous_valid_until",
       r.previous_digest ? json(sdk::formatIsoUtcMs(r.previous_valid_until_ms)) : json(nullptr)}};
  return doc.dump();
}

KeyRecord recordFromDocument(const std::string& text) {
  json doc = json::parse(text);
  KeyRecord r;
  r.id = doc.at("id").get<int64_t>();
  r.name = doc.at("name").get<std::string>();
  auto digest = digestFromHex(doc.at("digest").get<std::string>());
  if (!digest) {
    throw std::runtime_error("bad digest");
  }
  r.digest = *digest;
  r.prefix = doc.at("prefix").get<std::string>();
  r.last4 = doc.at("last4").get<std::string>();
  r.permissions = permissionsFromWire(doc.at("permissions"));
  r.enabled = doc.at("enabled").get<bool>();
  r.created_at_ms = readOptionalTime(doc, "created_at").value_or(0);
  r.updated_at_ms = readOptionalTime(doc, "updated_at").value_or(r.created_at_ms);
  r.expires_at_ms = readOptionalTime(doc, "expires_at");
  r.allowed_ips = doc.value("allowed_ips", std::vector<std::string>{});
  if (auto it = doc.find("rate_limits"); it != doc.end() && it->is_object()) {
    r.rate_limits = {readLimit(*it, "read"), readLimit(*it, "write"), readLimit(*it, "control")};
  }
  // Absent in documents written before schema 2: every printer, as those keys always had.
  if (auto it = doc.find("printer_ids"); it != doc.end() && !it->is_null()) {
    auto ids = it->get<std::vector<int64_t>>();
    if (ids.empty() || ids.size() > kMaxPrinterIds ||
        std::any_of(ids.begin(), ids.end(), [](int64_t id) { return id <= 0; })) {
      throw std::runtime_error("bad printer_ids");
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    r.printer_ids = std::move(ids);
  }
  r.last_used_at_ms = readOptionalTime(doc, "last_used_at");
  r.last_used_ip = doc.value("last_used_ip", std::string());
  r.request_count = doc.value("request_count", uint64_t{0});
  if (auto it = doc.find("previous_digest"); it != doc.end() && !it->is_null()) {
    r.previous_digest = digestFromHex(it->get<std::string>());
    if (!r.previous_digest) {
      throw std::runtime_error("bad previous digest");
    }
    r.previous_valid_until_ms = readOptionalTime(doc, "previous_valid_until").value_or(0);
  }
  return r;
}

json printerIdsJson(const std::optional<std::vector<int64_t>>& ids) {
  return ids ? json(*ids) : json(nullptr);
}

json rateLimitsJson(const RateLimits& l) {
  auto one = [](uint32_t v) { return v == 0 ? json(nullptr) : json(v); };
  return {{"read", one(l.read)}, {"write", one(l.write)}, {"control", one(l.control)}};
}

json publicJson(const KeyRecord& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"prefix", r.prefix},
          {"last4", r.last4},
          {"permissions", sdk::permissionNames(r.permissions)},
          {"enabled", r.enabled},
          {"created_at", sdk::formatIsoUtcSeconds(r.created_at_ms)},
          {"updated_at", sdk::formatIsoUtcSeconds(r.updated_at_ms)},
          {"expires_at", optionalTime(r.expires_at_ms, false)},
          {"allowed_ips", r.allowed_ips},
          {"rate_limits", rateLimitsJson(r.rate_limits)},
          {"printer_ids", printerIdsJson(r.printer_ids)},
          {"last_used_at", optionalTime(r.last_used_at_ms, false)},
          {"last_used_ip", r.last_used_ip.empty() ? json(nullptr) : json(r.last_used_ip)},
          {"request_count", r.request_count},
          {"previous_key_valid_until",
           r.previous_digest ? json(sdk::formatIsoUtcSeconds(r.previous_valid_until_ms)) : json(nullptr)}};
}

} // namespace bambuddy::auth_apikey
