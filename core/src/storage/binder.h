// Builds statements whose bound values are decided at run time (optional columns, optional
// filters). SOCI binds by reference, so the values live here, at stable addresses, until the
// statement has run.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace bambuddy::storage {

// SOCI's dynamic statement: create it with `soci::statement st(session)`, add into()/use()
// with st.exchange() (or a Binder), then call this once before execute().
// One-time queries, as these statements run once: PostgreSQL gets each in one round trip, where
// SOCI's default would name and prepare it on the server first and DEALLOCATE it afterwards (three
// round trips). SQLite prepares either way.
inline void prepareStatement(soci::statement& st, const std::string& sql) {
  st.alloc();
  st.prepare(sql, soci::details::st_one_time_query);
  st.define_and_bind();
}

class Binder {
public:
  // Binds to the next placeholder of `st`, in order; nullopt binds SQL NULL.
  void bind(soci::statement& st, std::optional<int64_t> value);
  void bind(soci::statement& st, std::optional<double> value);
  void bind(soci::statement& st, std::optional<std::string> value);
  void bind(soci::statement& st, const char* value) { bind(st, std::optional<std::string>(value)); }

private:
  std::deque<long long> ints_;
  std::deque<double> doubles_;
  std::deque<std::string> strings_;
  std::deque<soci::indicator> indicators_;
};

} // namespace bambuddy::storage
