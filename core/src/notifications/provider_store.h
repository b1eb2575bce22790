// The `notification_providers` table: providers created over REST (settings stored here) and
// providers declared in YAML (mirrored so they get an id and keep their health state).
#pragma once

#include "notifications/provider.h"

#include <optional>
#include <vector>

namespace bambuddy::storage {
class Database;
}

namespace bambuddy::notifications {

class ProviderStore : public records::RecordTable<ProviderRecord> {
public:
  explicit ProviderStore(storage::Database& db) : db_(db) {}

  std::vector<ProviderRecord> list() override;
  std::optional<ProviderRecord> find(int64_t id);
  // Takes a never-reused id in the same transaction; an empty instance_id becomes "provider-<id>".
  ProviderRecord insert(ProviderRecord record) override;
  // Every column but id, type, instance_id, source and created_at.
  void update(const ProviderRecord& record) override;
  // Deletes the provider and its delivery log.
  bool remove(int64_t id) override;

private:
  storage::Database& db_;
};

} // namespace bambuddy::notifications
