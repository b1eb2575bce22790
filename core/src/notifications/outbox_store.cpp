#include "notifications/outbox_store.h"

#include "common/time.h"
#include "storage/database.h"
#include "storage/id_sequence.h"

namespace bambuddy::notifications {

namespace {

constexpr const char* kColumns =
    "id, provider_id, event_id, event_type, notification, status, attempts, next_attempt_at_ms, http_status, "
    "error, response_snippet, history, redelivery_of, created_at_ms, updated_at_ms, delivered_at_ms, "
    "printer_id, seq, claimed_by, claim_until_ms";

constexpr const char* kOpen = "status IN ('pending', 'retrying')";

// Bound variables for one row: SOCI binds by reference, so they live as long as the statement.
struct Bound {
  long long id = 0, provider_id = 0, next = 0, redelivery_of = 0, created = 0, updated = 0, delivered = 0,
            printer_id = 0, seq = 0, claim_until = 0;
  int attempts = 0, http_status = 0;
  std::string event_id, event_type, notification, status, error, snippet, history, claimed_by;

  void from(const DeliveryRow& r) {
    id = r.id;
    provider_id = r.provider_id;
    next = r.next_attempt_at_ms;
    redelivery_of = r.redelivery_of;
    created = r.created_at_ms;
    updated = r.updated_at_ms;
    delivered = r.delivered_at_ms;
    printer_id = r.printer_id;
    seq = r.seq;
    claimed_by = r.claimed_by;
    claim_until = r.claim_until_ms;
    attempts = r.attempts;
    http_status = r.http_status;
    event_id = r.event_id;
    event_type = r.event_type;
    notification = r.notification;
    status = r.status;
    error = r.error;
    snippet = r.response_snippet;
    history = r.history.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  DeliveryRow row() const {
    DeliveryRow r;
    r.id = id;
    r.provider_id = provider_id;
    r.event_id = event_id;
    r.event_type = event_type;
    r.notification = notification;
    r.status = status;
    r.attempts = attempts;
    r.next_attempt_at_ms = next;
    r.http_status = http_status;
    r.error = error;
    r.response_snippet = snippet;
    r.history = nlohmann::json::parse(history, nullptr, false);
    if (!r.history.is_array()) {
      r.history = nlohmann::json::array();
    }
    r.redelivery_of = redelivery_of;
    r.created_at_ms = created;
    r.updated_at_ms = updated;
    r.delivered_at_ms = delivered;
    r.printer_id = printer_id;
    r.seq = seq;
    r.claimed_by = claimed_by;
    r.claim_until_ms = claim_until;
    return r;
  }
};

void intoAll(soci::statement& st, Bound& b) {
  st.exchange(soci::into(b.id));
  st.exchange(soci::into(b.provider_id));
  st.exchange(soci::into(b.event_id));
  st.exchange(soci::into(b.event_type));
  st.exchange(soci::into(b.notification));
  st.exchange(soci::into(b.status));
  st.exchange(soci::into(b.attempts));
  st.exchange(soci::into(b.next));
  st.exchange(soci::into(b.http_status));
  st.exchange(soci::into(b.error));
  st.exchange(soci::into(b.snippet));
  st.exchange(soci::into(b.history));
  st.exchange(soci::into(b.redelivery_of));
  st.exchange(soci::into(b.created));
  st.exchange(soci::into(b.updated));
  st.exchange(soci::into(b.delivered));
  st.exchange(soci::into(b.printer_id));
  st.exchange(soci::into(b.seq));
  st.exchange(soci::into(b.claimed_by));
  st.exchange(soci::into(b.claim_until));
}

nlohmann::json timeOrNull(int64_t ms) {
  return ms > 0 ? nlohmann::json(formatUtcMs(ms)) : nlohmann::json(nullptr);
}

} // namespace

bool isFinalStatus(const std::string& s) {
  return s == status::kDelivered || s == status::kFailed || s == status::kSuppressed ||
         s == status::kCancelled;
}

std::vector<DeliveryRow> OutboxStore::insert(std::vector<DeliveryRow> rows,
                                             const std::function<void(const DeliveryRow&)>& before_commit) {
  if (rows.empty()) {
    return rows;
  }
  return db_.write([&](soci::session& session) {
    Bound b;
    soci::statement st =
        (session.prepare << "INSERT INTO notification_deliveries (" << kColumns
                         << ") VALUES (:id, :provider_id, :event_id, :event_type, :notification, "
                            ":status, :attempts, :next, :http_status, :error, :snippet, :history, "
                            ":redelivery_of, :created, :updated, :delivered, :printer_id, :seq, :claimed_by, "
                            ":claim_until)",
         soci::use(b.id), soci::use(b.provider_id), soci::use(b.event_id), soci::use(b.event_type),
         soci::use(b.notification), soci::use(b.status), soci::use(b.attempts), soci::use(b.next),
         soci::use(b.http_status), soci::use(b.error), soci::use(b.snippet), soci::use(b.history),
         soci::use(b.redelivery_of), soci::use(b.created), soci::use(b.updated), soci::use(b.delivered),
         soci::use(b.printer_id), soci::use(b.seq), soci::use(b.claimed_by), soci::use(b.claim_until));
    for (DeliveryRow& row : rows) {
      row.id = storage::nextId(session, "notification_deliveries", "notification_deliveries");
      b.from(row);
      st.execute(true);
    }
    if (before_commit) {
      for (const DeliveryRow& row : rows) {
        before_commit(row);
      }
    }
    return rows;
  });
}

std::optional<DeliveryRow> OutboxStore::find(int64_t id) {
  return db_.read([&](soci::session& session) -> std::optional<DeliveryRow> {
    Bound b;
    long long wanted = id;
    soci::statement st =
        (session.prepare << "SELECT " << kColumns << " FROM notification_deliveries WHERE id = :id");
    intoAll(st, b);
    st.exchange(soci::use(wanted));
    st.define_and_bind();
    st.execute();
    if (!st.fetch()) {
      return std::nullopt;
    }
    return b.row();
  });
}

void OutboxStore::save(const DeliveryRow& row) {
  saveMany({row});
}

void OutboxStore::saveMany(const std::vector<DeliveryRow>& rows) {
  if (rows.empty()) {
    return;
  }
  db_.write([&](soci::session& session) {
    Bound b;
    soci::statement st =
        (session.prepare
             << "UPDATE notification_deliveries SET status = :status, attempts = :attempts, "
                "next_attempt_at_ms = :next, http_status = :http_status, error = :error, "
                "response_snippet = :snippet, history = :history, updated_at_ms = :updated, "
                "delivered_at_ms = :delivered, claimed_by = '', claim_until_ms = 0 WHERE id = :id",
         soci::use(b.status), soci::use(b.attempts), soci::use(b.next), soci::use(b.http_status),
         soci::use(b.error), soci::use(b.snippet), soci::use(b.history), soci::use(b.updated),
         soci::use(b.delivered), soci::use(b.id));
    for (const DeliveryRow& row : rows) {
      b.from(row);
      st.execute(true);
    }
  });
}

std::vector<int64_t> OutboxStore::due(int64_t provider_id, int64_t now_ms, size_t limit) {
  return db_.read([&](soci::session& session) {
    std::vector<int64_t> out;
    long long id = 0, provider = provider_id, now = now_ms, max_rows = static_cast<long long>(limit);
    soci::statement st =
        (session.prepare << "SELECT id FROM notification_deliveries WHERE provider_id = :p AND " << kOpen
                         << " AND next_attempt_at_ms <= :now ORDER BY next_attempt_at_ms, id "
                            "LIMIT :limit",
         soci::into(id), soci::use(provider), soci::use(now), soci::use(max_rows));
    st.execute();
    while (st.fetch()) {
      out.push_back(id);
    }
    return out;
  });
}

std::vector<int64_t> OutboxStore::claimDue(int64_t provider_id, int64_t now_ms, size_t limit,
                                           const std::string& owner, int64_t until_ms) {
  if (limit == 0) {
    return {};
  }
  // Most scans find nothing due: a plain read answers those without taking the writer's turn
  // (on SQLite that would queue behind the journal's writes).
  const bool any = db_.read([&](soci::session& session) {
    long long provider = provider_id, now = now_ms, found = 0;
    soci::indicator ind = soci::i_ok;
    session << "SELECT id FROM notification_deliveries WHERE provider_id = :p AND " << kOpen
            << " AND next_attempt_at_ms <= :now LIMIT 1",
        soci::use(provider), soci::use(now), soci::into(found, ind);
    return session.got_data();
  });
  if (!any) {
    return {};
  }
  const bool postgresql = db_.backend() == "postgresql";
  return db_.write([&](soci::session& session) {
    std::vector<int64_t> out;
    long long id = 0, provider = provider_id, now = now_ms, max_rows = static_cast<long long>(limit),
              until = until_ms;
    // SQLite has one writer at a time, so its transaction alone keeps two claims apart. The
    // owner's own claimed rows come last: mostly they are queued or in flight there already.
    soci::statement st =
        (session.prepare
             << "SELECT id FROM notification_deliveries WHERE provider_id = :p AND " << kOpen
             << " AND next_attempt_at_ms <= :now AND (claimed_by = '' OR claimed_by = :owner OR "
                "claim_until_ms < :now2) ORDER BY CASE WHEN claimed_by = :owner2 THEN 1 ELSE 0 END, "
                "next_attempt_at_ms, id LIMIT :limit"
             << (postgresql ? " FOR UPDATE SKIP LOCKED" : ""),
         soci::into(id), soci::use(provider), soci::use(now), soci::use(owner), soci::use(now),
         soci::use(owner), soci::use(max_rows));
    st.execute();
    while (st.fetch()) {
      out.push_back(id);
    }
    soci::statement claim = (session.prepare << "UPDATE notification_deliveries SET claimed_by = :owner, "
                                                "claim_until_ms = :until WHERE id = :id",
                             soci::use(owner), soci::use(until), soci::use(id));
    for (int64_t claimed : out) {
      id = claimed;
      claim.execute(true);
    }
    return out;
  });
}

void OutboxStore::renewClaims(const std::string& owner, const std::vector<int64_t>& ids, int64_t until_ms) {
  if (ids.empty()) {
    return;
  }
  db_.write([&](soci::session& session) {
    long long id = 0, until = until_ms;
    soci::statement st = (session.prepare << "UPDATE notification_deliveries SET claim_until_ms = :until "
                                             "WHERE id = :id AND claimed_by = :owner AND "
                                          << kOpen,
                          soci::use(until), soci::use(id), soci::use(owner));
    for (int64_t renewed : ids) {
      id = renewed;
      st.execute(true);
    }
  });
}

int64_t OutboxStore::releaseClaims(const std::string& owner, const std::set<int64_t>& keep) {
  return db_.write([&](soci::session& session) {
    std::vector<int64_t> ids;
    long long id = 0;
    std::string owner_value = owner;
    const std::string query = std::string("SELECT id FROM notification_deliveries WHERE ") +
                              (owner.empty() ? "claimed_by <> :owner" : "claimed_by = :owner") + " AND " +
                              kOpen;
    soci::statement find = (session.prepare << query, soci::into(id), soci::use(owner_value));
    find.execute();
    while (find.fetch()) {
      if (keep.count(id) == 0) {
        ids.push_back(id);
      }
    }
    soci::statement release =
        (session.prepare
             << "UPDATE notification_deliveries SET claimed_by = '', claim_until_ms = 0 WHERE id = :id",
         soci::use(id));
    for (int64_t released : ids) {
      id = released;
      release.execute(true);
    }
    return static_cast<int64_t>(ids.size());
  });
}

std::set<int64_t> OutboxStore::providersWithEvent(const std::string& event_id) {
  return db_.read([&](soci::session& session) {
    std::set<int64_t> out;
    long long provider = 0;
    soci::statement st =
        (session.prepare << "SELECT provider_id FROM notification_deliveries WHERE event_id = "
                            ":e AND redelivery_of = 0",
         soci::into(provider), soci::use(event_id));
    st.execute();
    while (st.fetch()) {
      out.insert(provider);
    }
    return out;
  });
}

std::vector<OrderKey> OutboxStore::openOrdered(int64_t provider_id) {
  return db_.read([&](soci::session& session) {
    std::vector<OrderKey> out;
    long long provider = provider_id, printer = 0, seq = 0;
    soci::statement st = (session.prepare << "SELECT printer_id, seq FROM notification_deliveries WHERE "
                                             "provider_id = :p AND printer_id > 0 AND seq > 0 AND "
                                          << kOpen,
                          soci::into(printer), soci::into(seq), soci::use(provider));
    st.execute();
    while (st.fetch()) {
      out.push_back({printer, seq});
    }
    return out;
  });
}

std::optional<int64_t> OutboxStore::nextDueAfter(int64_t now_ms) {
  return db_.read([&](soci::session& session) -> std::optional<int64_t> {
    long long next = 0, now = now_ms;
    soci::indicator ind = soci::i_ok;
    session << "SELECT MIN(next_attempt_at_ms) FROM notification_deliveries WHERE " << kOpen
            << " AND next_attempt_at_ms > :now",
        soci::use(now), soci::into(next, ind);
    if (ind == soci::i_null || !session.got_data()) {
      return std::nullopt;
    }
    return static_cast<int64_t>(next);
  });
}

int64_t OutboxStore::cancelPending(int64_t provider_id, const std::string& error, int64_t now_ms) {
  return db_.write([&](soci::session& session) {
    long long provider = provider_id, now = now_ms;
    soci::statement st =
        (session.prepare << "UPDATE notification_deliveries SET status = 'cancelled', "
                            "next_attempt_at_ms = 0, error = :error, updated_at_ms = :now WHERE "
                            "provider_id = :p AND "
                         << kOpen,
         soci::use(error), soci::use(now), soci::use(provider));
    st.execute(true);
    return static_cast<int64_t>(st.get_affected_rows());
  });
}

DeliveryPage OutboxStore::list(int64_t provider_id, const std::optional<std::string>& status, size_t limit,
                               size_t offset) {
  return db_.read([&](soci::session& session) {
    DeliveryPage page;
    long long provider = provider_id, max_rows = static_cast<long long>(limit),
              skip = static_cast<long long>(offset), total = 0;
    std::string wanted = status.value_or("");
    const std::string where =
        std::string(" WHERE provider_id = :p") + (status ? " AND status = :status" : "");
    if (status) {
      session << "SELECT COUNT(*) FROM notification_deliveries" << where, soci::use(provider),
          soci::use(wanted), soci::into(total);
    } else {
      session << "SELECT COUNT(*) FROM notification_deliveries" << where, soci::use(provider),
          soci::into(total);
    }
    page.total = total;
    Bound b;
    soci::statement st = (session.prepare << "SELECT " << kColumns << " FROM notification_deliveries" << where
                                          << " ORDER BY id DESC LIMIT :limit OFFSET :offset");
    intoAll(st, b);
    st.exchange(soci::use(provider));
    if (status) {
      st.exchange(soci::use(wanted));
    }
    st.exchange(soci::use(max_rows));
    st.exchange(soci::use(skip));
    st.define_and_bind();
    st.execute();
    while (st.fetch()) {
      page.items.push_back(b.row());
    }
    return page;
  });
}

std::map<int64_t, int64_t> OutboxStore::openCounts() {
  return db_.read([&](soci::session& session) {
    // Per provider on the (provider_id, status, ...) index: reads the open rows only, not the log.
    std::vector<long long> providers;
    long long provider = 0;
    soci::statement ids = (session.prepare << "SELECT id FROM notification_providers", soci::into(provider));
    ids.execute();
    while (ids.fetch()) {
      providers.push_back(provider);
    }
    std::map<int64_t, int64_t> out;
    for (long long id : providers) {
      long long count = 0;
      session << "SELECT COUNT(*) FROM notification_deliveries WHERE provider_id = :p AND " << kOpen,
          soci::use(id), soci::into(count);
      out[id] = count;
    }
    return out;
  });
}

int64_t OutboxStore::trim(int64_t cutoff_ms) {
  return db_.write([&](soci::session& session) {
    long long cutoff = cutoff_ms;
    soci::statement st =
        (session.prepare << "DELETE FROM notification_deliveries WHERE created_at_ms < :cutoff AND "
                            "status IN ('delivered', 'failed', 'suppressed', 'cancelled')",
         soci::use(cutoff));
    st.execute(true);
    int64_t removed = static_cast<int64_t>(st.get_affected_rows());
    // Rows an event routed to a provider in the moment it was being deleted.
    soci::statement orphans =
        (session.prepare << "DELETE FROM notification_deliveries WHERE provider_id NOT IN "
                            "(SELECT id FROM notification_providers)");
    orphans.execute(true);
    return removed + static_cast<int64_t>(orphans.get_affected_rows());
  });
}

nlohmann::json deliveryJson(const DeliveryRow& row) {
  nlohmann::json notification = nlohmann::json::parse(row.notification, nullptr, false);
  return {
      {"id", row.id},
      {"provider_id", row.provider_id},
      {"event_id", row.event_id},
      {"event", row.event_type},
      {"status", row.status},
      {"attempts", row.attempts},
      {"next_attempt_at", row.status == status::kPending || row.status == status::kRetrying
                              ? timeOrNull(row.next_attempt_at_ms)
                              : nlohmann::json(nullptr)},
      {"http_status", row.http_status > 0 ? nlohmann::json(row.http_status) : nlohmann::json(nullptr)},
      {"error", row.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.error)},
      {"response_snippet",
       row.response_snippet.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.response_snippet)},
      {"redelivery_of", row.redelivery_of > 0 ? nlohmann::json(row.redelivery_of) : nlohmann::json(nullptr)},
      {"created_at", timeOrNull(row.created_at_ms)},
      {"updated_at", timeOrNull(row.updated_at_ms)},
      {"delivered_at", timeOrNull(row.delivered_at_ms)},
      {"history", row.history},
      {"notification", notification.is_discarded() ? nlohmann::json(nullptr) : notification}};
}

} // namespace bambuddy::notifications
