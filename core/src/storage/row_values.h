// Typed, NULL-aware reads from a soci::row. SQLite reports a column's type from its declaration
// (INTEGER -> int, BIGINT -> long long, REAL -> double), so numbers are converted by what the
// backend actually returned instead of trusting one C++ type per column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace soci {
class row;
}

namespace bambuddy::storage {

std::optional<int64_t> optInt64(const soci::row& row, const std::string& column);
std::optional<double> optDouble(const soci::row& row, const std::string& column);
std::optional<std::string> optString(const soci::row& row, const std::string& column);

inline int64_t int64Or(const soci::row& row, const std::string& column, int64_t fallback) {
  return optInt64(row, column).value_or(fallback);
}
inline std::string stringOr(const soci::row& row, const std::string& column, std::string fallback = {}) {
  return optString(row, column).value_or(std::move(fallback));
}

} // namespace bambuddy::storage
