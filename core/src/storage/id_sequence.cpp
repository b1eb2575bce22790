#include "storage/id_sequence.h"

#include <soci/soci.h>

namespace bambuddy::storage {

int64_t nextId(soci::session& session, const std::string& name, const std::string& table) {
  soci::statement bump =
      (session.prepare << "UPDATE id_sequences SET last_value = last_value + 1 WHERE name = :name",
       soci::use(name));
  bump.execute(true);
  if (bump.get_affected_rows() == 0) {
    long long highest = 0;
    soci::indicator ind = soci::i_ok;
    session << "SELECT MAX(id) FROM " << table, soci::into(highest, ind);
    long long first = (ind == soci::i_null ? 0 : highest) + 1;
    session << "INSERT INTO id_sequences (name, last_value) VALUES (:name, :value)", soci::use(name),
        soci::use(first);
    return first;
  }
  long long value = 0;
  session << "SELECT last_value FROM id_sequences WHERE name = :name", soci::use(name), soci::into(value);
  return value;
}

} // namespace bambuddy::storage
