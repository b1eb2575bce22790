#include "cluster/cluster_store.h"

#include "common/time.h"
#include "storage/database.h"

namespace bambuddy::cluster {

namespace {

// The database's clock in ms: PostgreSQL's when the instances share a server (clock_timestamp(),
// not now(), which is frozen at the start of the transaction); this host's for SQLite, which only
// one process uses.
int64_t databaseNowMs(soci::session& session, bool postgresql) {
  if (!postgresql) {
    return nowUtcMs();
  }
  long long ms = 0;
  session << "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)", soci::into(ms);
  return ms;
}

std::set<std::string> heldBy(soci::session& session, const std::string& instance, int64_t now_ms) {
  std::set<std::string> held;
  std::string name;
  long long now = now_ms;
  soci::statement st =
      (session.prepare << "SELECT name FROM cluster_leases WHERE holder = :h AND expires_at_ms > :now",
       soci::use(instance), soci::use(now), soci::into(name));
  st.execute();
  while (st.fetch()) {
    held.insert(name);
  }
  return held;
}

} // namespace

ClusterStore::ClusterStore(storage::Database& db) : db_(db), postgresql_(db.backend() == "postgresql") {}

Heartbeat ClusterStore::heartbeat(const InstanceRow& self, int64_t lease_ms, bool served) {
  return db_.write([&](soci::session& session) {
    Heartbeat out;
    out.now_ms = databaseNowMs(session, postgresql_);
    long long now = out.now_ms;
    long long started = self.started_at_ms;
    long long served_at = served ? out.now_ms : 0;
    long long expires = out.now_ms + lease_ms;
    // served_at_ms 0 on an update keeps the stored one: "no requests since the last heartbeat".
    session << "INSERT INTO cluster_instances (id, host, started_at_ms, heartbeat_at_ms, served_at_ms) "
               "VALUES (:id, :host, :s, :now, :served) ON CONFLICT (id) DO UPDATE SET heartbeat_at_ms = "
               "excluded.heartbeat_at_ms, served_at_ms = CASE WHEN excluded.served_at_ms > 0 THEN "
               "excluded.served_at_ms ELSE cluster_instances.served_at_ms END",
        soci::use(self.id), soci::use(self.host), soci::use(started), soci::use(now), soci::use(served_at);
    // Only unexpired leases are renewed: one that lapsed may already be someone else's.
    session << "UPDATE cluster_leases SET expires_at_ms = :e WHERE holder = :h AND expires_at_ms > :now",
        soci::use(expires), soci::use(self.id), soci::use(now);
    out.held = heldBy(session, self.id, out.now_ms);

    long long cutoff = out.now_ms - lease_ms;
    InstanceRow row;
    long long row_started = 0, row_beat = 0, row_served = 0;
    soci::statement alive =
        (session.prepare
             << "SELECT id, host, started_at_ms, heartbeat_at_ms, served_at_ms FROM cluster_instances "
                "WHERE heartbeat_at_ms > :cutoff ORDER BY started_at_ms, id",
         soci::use(cutoff), soci::into(row.id), soci::into(row.host), soci::into(row_started),
         soci::into(row_beat), soci::into(row_served));
    alive.execute();
    while (alive.fetch()) {
      row.started_at_ms = row_started;
      row.heartbeat_at_ms = row_beat;
      row.served_at_ms = row_served;
      out.alive.push_back(row);
    }
    // Instances gone for a long while (ten leases) leave no row behind.
    long long forgotten = out.now_ms - 10 * lease_ms;
    session << "DELETE FROM cluster_instances WHERE heartbeat_at_ms < :f", soci::use(forgotten);

    std::string name;
    soci::statement all = (session.prepare << "SELECT name FROM cluster_leases WHERE expires_at_ms > :now",
                           soci::use(now), soci::into(name));
    all.execute();
    while (all.fetch()) {
      out.all_held.insert(name);
    }
    return out;
  });
}

std::set<std::string> ClusterStore::acquire(const std::string& instance,
                                            const std::vector<std::string>& names, int64_t lease_ms) {
  return db_.write([&](soci::session& session) {
    const int64_t now_ms = databaseNowMs(session, postgresql_);
    long long now = now_ms;
    long long expires = now_ms + lease_ms;
    std::string name;
    // Taken over only when free or expired; the row lock of ON CONFLICT makes two instances racing
    // for one lease see each other's write, so exactly one of them holds it afterwards.
    soci::statement take =
        (session.prepare << "INSERT INTO cluster_leases (name, holder, expires_at_ms) VALUES (:n, :h, :e) "
                            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at_ms = "
                            "excluded.expires_at_ms WHERE cluster_leases.holder = excluded.holder OR "
                            "cluster_leases.expires_at_ms <= :now",
         soci::use(name), soci::use(instance), soci::use(expires), soci::use(now));
    for (const std::string& n : names) {
      name = n;
      take.execute(true);
    }
    std::set<std::string> held = heldBy(session, instance, now_ms);
    std::set<std::string> out;
    for (const std::string& n : names) {
      if (held.count(n) != 0) {
        out.insert(n);
      }
    }
    return out;
  });
}

void ClusterStore::release(const std::string& instance, const std::vector<std::string>& names) {
  if (names.empty()) {
    return;
  }
  db_.write([&](soci::session& session) {
    std::string name;
    soci::statement drop = (session.prepare << "DELETE FROM cluster_leases WHERE name = :n AND holder = :h",
                            soci::use(name), soci::use(instance));
    for (const std::string& n : names) {
      name = n;
      drop.execute(true);
    }
  });
}

void ClusterStore::leave(const std::string& instance) {
  db_.write([&](soci::session& session) {
    session << "DELETE FROM cluster_leases WHERE holder = :h", soci::use(instance);
    session << "DELETE FROM cluster_instances WHERE id = :h", soci::use(instance);
  });
}

std::vector<std::pair<std::string, std::string>> ClusterStore::holders(const std::string& prefix) {
  return db_.read([&](soci::session& session) {
    std::vector<std::pair<std::string, std::string>> out;
    long long now = databaseNowMs(session, postgresql_);
    std::string name, holder;
    soci::statement st =
        (session.prepare << "SELECT name, holder FROM cluster_leases WHERE expires_at_ms > :now "
                            "ORDER BY name",
         soci::use(now), soci::into(name), soci::into(holder));
    st.execute();
    while (st.fetch()) {
      if (name.compare(0, prefix.size(), prefix) == 0) {
        out.emplace_back(name, holder);
      }
    }
    return out;
  });
}

} // namespace bambuddy::cluster
