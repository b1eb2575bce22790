// The host's key-value service for plugins: JSON documents kept per namespace (plugin id).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace bambuddy::storage {

class Database;

class KvStore {
public:
  static constexpr std::size_t kMaxNamespaceBytes = 256;
  static constexpr std::size_t kMaxKeyBytes = 256;
  static constexpr std::size_t kMaxValueBytes = 1024 * 1024;

  // Needs the `kv` table from coreMigrations(). The database must outlive the store.
  explicit KvStore(Database& db);

  // Namespaces and keys must be 1..256 bytes of valid UTF-8 without NUL; values must be JSON text
  // of at most 1 MiB. Violations throw std::invalid_argument; database trouble throws StorageError.

  std::optional<std::string> get(const std::string& ns, const std::string& key);
  // Inserts or replaces the value.
  void put(const std::string& ns, const std::string& key, const std::string& json_text);
  // True when the key existed.
  bool remove(const std::string& ns, const std::string& key);

  // Visits the keys of `ns` that start with `prefix` (byte-wise, so '%' and '_' are plain
  // characters) in ascending byte order, until `visit` returns false. Rows are read in small
  // pages and no database session is held while `visit` runs, so `visit` may use this store;
  // keys written during the scan may or may not be seen, but none is visited twice.
  void scan(const std::string& ns, const std::string& prefix,
            const std::function<bool(const std::string& key, const std::string& value)>& visit);

  // Called with the namespace after every put or remove commits (several server instances tell
  // each other, cluster/change_feed.h). Set before the store is shared; called on the writer's
  // thread, so it must be quick and never write to this store.
  void setWriteListener(std::function<void(const std::string& ns)> listener) {
    write_listener_ = std::move(listener);
  }

private:
  void written(const std::string& ns) const {
    if (write_listener_) {
      write_listener_(ns);
    }
  }

  Database& db_;
  std::function<void(const std::string&)> write_listener_;
};

} // namespace bambuddy::storage
