// Ids that are never reused: a row's id stays unique over the table's whole history, so an old
// reference (an archive's printer id, a webhook receiver's memory of a provider) can never point
// at a newer row.
#pragma once

#include <cstdint>
#include <string>

namespace soci {
class session;
}

namespace bambuddy::storage {

// Takes the next id of sequence `name` inside the caller's write transaction. A sequence that
// does not exist yet starts after the highest `id` in `table` (so it also works on tables that
// have rows already).
int64_t nextId(soci::session& session, const std::string& name, const std::string& table);

} // namespace bambuddy::storage
