#include "notifications/provider_store.h"

#include "storage/database.h"
#include "storage/id_sequence.h"

namespace bambuddy::notifications {

namespace {

constexpr const char* kColumns =
    "id, name, type, instance_id, source, enabled, settings, events, printer_ids, "
    "quiet_hours, disabled_reason, disabled_at_ms, failing_since_ms, created_at_ms, "
    "updated_at_ms";

nlohmann::json parse(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, false);
}

// Columns hold what the API accepted; a row edited by hand into nonsense loses only that filter.
ProviderRouting routingFrom(const std::string& events, const std::string& printers,
                            const std::string& quiet) {
  ProviderRouting routing;
  try {
    routing.events = parseEvents(parse(events));
  } catch (const std::exception&) {
  }
  try {
    routing.printer_ids = parsePrinterIds(parse(printers));
  } catch (const std::exception&) {
  }
  try {
    nlohmann::json q = parse(quiet);
    if (q.is_object()) {
      routing.quiet_hours = parseQuietHours(q);
    }
  } catch (const std::exception&) {
  }
  return routing;
}

std::vector<ProviderRecord> select(soci::session& session, const std::string& where, const int64_t* id) {
  std::vector<ProviderRecord> out;
  long long row_id = 0, disabled_at = 0, failing_since = 0, created = 0, updated = 0;
  int enabled = 0;
  std::string name, type, instance_id, source, settings, events, printers, quiet, reason;
  soci::statement st =
      (session.prepare << "SELECT " << kColumns << " FROM notification_providers" << where << " ORDER BY id");
  st.exchange(soci::into(row_id));
  st.exchange(soci::into(name));
  st.exchange(soci::into(type));
  st.exchange(soci::into(instance_id));
  st.exchange(soci::into(source));
  st.exchange(soci::into(enabled));
  st.exchange(soci::into(settings));
  st.exchange(soci::into(events));
  st.exchange(soci::into(printers));
  st.exchange(soci::into(quiet));
  st.exchange(soci::into(reason));
  st.exchange(soci::into(disabled_at));
  st.exchange(soci::into(failing_since));
  st.exchange(soci::into(created));
  st.exchange(soci::into(updated));
  long long wanted = id != nullptr ? *id : 0;
  if (id != nullptr) {
    st.exchange(soci::use(wanted));
  }
  st.define_and_bind();
  st.execute();
  while (st.fetch()) {
    ProviderRecord r;
    r.id = row_id;
    r.name = name;
    r.plugin = ProviderRecord::pluginForType(type);
    r.instance_id = instance_id;
    r.source = source;
    r.enabled = enabled != 0;
    r.settings = parse(settings);
    if (!r.settings.is_object()) {
      r.settings = nlohmann::json::object();
    }
    r.routing = routingFrom(events, printers, quiet);
    r.disabled_reason = reason;
    r.disabled_at_ms = disabled_at;
    r.failing_since_ms = failing_since;
    r.created_at_ms = created;
    r.updated_at_ms = updated;
    out.push_back(std::move(r));
  }
  return out;
}

struct Columns {
  std::string settings, events, printers, quiet;
  explicit Columns(const ProviderRecord& r)
      : settings(r.settings.dump()), events(eventsJson(r.routing).dump()),
        printers(printerIdsJson(r.routing).dump()), quiet(quietHoursJson(r.routing).dump()) {}
};

} // namespace

std::vector<ProviderRecord> ProviderStore::list() {
  return db_.read([](soci::session& session) { return select(session, "", nullptr); });
}

std::optional<ProviderRecord> ProviderStore::find(int64_t id) {
  auto rows = db_.read([&](soci::session& session) { return select(session, " WHERE id = :id", &id); });
  if (rows.empty()) {
    return std::nullopt;
  }
  return std::move(rows.front());
}

ProviderRecord ProviderStore::insert(ProviderRecord record) {
  return db_.write([&](soci::session& session) {
    record.id = storage::nextId(session, "notification_providers", "notification_providers");
    if (record.instance_id.empty()) {
      record.instance_id = "provider-" + std::to_string(record.id);
    }
    Columns c(record);
    const std::string type = record.type();
    long long id = record.id, disabled_at = record.disabled_at_ms, failing = record.failing_since_ms,
              created = record.created_at_ms, updated = record.updated_at_ms;
    int enabled = record.enabled ? 1 : 0;
    session << "INSERT INTO notification_providers (" << kColumns
            << ") VALUES (:id, :name, :type, :instance, :source, :enabled, :settings, :events, :printers, "
               ":quiet, "
               ":reason, :disabled_at, :failing, :created, :updated)",
        soci::use(id), soci::use(record.name), soci::use(type), soci::use(record.instance_id),
        soci::use(record.source), soci::use(enabled), soci::use(c.settings), soci::use(c.events),
        soci::use(c.printers), soci::use(c.quiet), soci::use(record.disabled_reason), soci::use(disabled_at),
        soci::use(failing), soci::use(created), soci::use(updated);
    return record;
  });
}

void ProviderStore::update(const ProviderRecord& record) {
  db_.write([&](soci::session& session) {
    Columns c(record);
    long long id = record.id, disabled_at = record.disabled_at_ms, failing = record.failing_since_ms,
              updated = record.updated_at_ms;
    int enabled = record.enabled ? 1 : 0;
    session << "UPDATE notification_providers SET name = :name, enabled = :enabled, settings = :settings, "
               "events = :events, printer_ids = :printers, quiet_hours = :quiet, disabled_reason = :reason, "
               "disabled_at_ms = :disabled_at, failing_since_ms = :failing, updated_at_ms = :updated WHERE "
               "id = :id",
        soci::use(record.name), soci::use(enabled), soci::use(c.settings), soci::use(c.events),
        soci::use(c.printers), soci::use(c.quiet), soci::use(record.disabled_reason), soci::use(disabled_at),
        soci::use(failing), soci::use(updated), soci::use(id);
  });
}

bool ProviderStore::remove(int64_t id) {
  return db_.write([&](soci::session& session) {
    long long row_id = id;
    session << "DELETE FROM notification_deliveries WHERE provider_id = :id", soci::use(row_id);
    soci::statement st =
        (session.prepare << "DELETE FROM notification_providers WHERE id = :id", soci::use(row_id));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

} // namespace bambuddy::notifications
