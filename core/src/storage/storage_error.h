// The one exception type the storage layer throws for database trouble (open, migrate, query).
#pragma once

#include <stdexcept>

namespace bambuddy::storage {

class StorageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace bambuddy::storage
