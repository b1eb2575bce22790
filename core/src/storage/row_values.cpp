#include "storage/row_values.h"

#include <soci/soci.h>

#include <cstdlib>

namespace bambuddy::storage {

std::optional<int64_t> optInt64(const soci::row& row, const std::string& column) {
  if (row.get_indicator(column) == soci::i_null) {
    return std::nullopt;
  }
  switch (row.get_properties(column).get_data_type()) {
  case soci::dt_integer:
    return row.get<int>(column);
  case soci::dt_long_long:
    return row.get<long long>(column);
  case soci::dt_unsigned_long_long:
    return static_cast<int64_t>(row.get<unsigned long long>(column));
  case soci::dt_double:
    return static_cast<int64_t>(row.get<double>(column));
  case soci::dt_string:
    return std::strtoll(row.get<std::string>(column).c_str(), nullptr, 10);
  default:
    return std::nullopt;
  }
}

std::optional<double> optDouble(const soci::row& row, const std::string& column) {
  if (row.get_indicator(column) == soci::i_null) {
    return std::nullopt;
  }
  switch (row.get_properties(column).get_data_type()) {
  case soci::dt_double:
    return row.get<double>(column);
  case soci::dt_integer:
    return row.get<int>(column);
  case soci::dt_long_long:
    return static_cast<double>(row.get<long long>(column));
  case soci::dt_unsigned_long_long:
    return static_cast<double>(row.get<unsigned long long>(column));
  case soci::dt_string:
    return std::strtod(row.get<std::string>(column).c_str(), nullptr);
  default:
    return std::nullopt;
  }
}

std::optional<std::string> optString(const soci::row& row, const std::string& column) {
  if (row.get_indicator(column) == soci::i_null) {
    return std::nullopt;
  }
  if (row.get_properties(column).get_data_type() == soci::dt_string) {
    return row.get<std::string>(column);
  }
  if (auto n = optInt64(row, column)) {
    return std::to_string(*n);
  }
  return std::nullopt;
}

} // namespace bambuddy::storage
