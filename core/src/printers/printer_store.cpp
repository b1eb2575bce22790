#include "printers/printer_store.h"

#include "common/json_parse.h"
#include "storage/binder.h"
#include "storage/database.h"
#include "storage/id_sequence.h"

namespace bambuddy::printers {

namespace {

constexpr const char* kColumns =
    "id, name, driver, instance_id, source, settings, lifecycle, created_at_ms, updated_at_ms, "
    "require_plate_clear, awaiting_plate_clear";

nlohmann::json parseObject(const std::string& text) {
  nlohmann::json value = parseJsonLimited(text);
  return value.is_object() ? value : nlohmann::json::object();
}

std::vector<PrinterRecord> select(soci::session& session, const std::string& where, const int64_t* id) {
  std::vector<PrinterRecord> out;
  long long row_id = 0, created = 0, updated = 0;
  int require_plate_clear = 0, awaiting = 0;
  soci::indicator require_ind = soci::i_null;
  std::string name, driver, instance_id, source, settings, lifecycle;
  soci::statement st(session);
  st.exchange(soci::into(row_id));
  st.exchange(soci::into(name));
  st.exchange(soci::into(driver));
  st.exchange(soci::into(instance_id));
  st.exchange(soci::into(source));
  st.exchange(soci::into(settings));
  st.exchange(soci::into(lifecycle));
  st.exchange(soci::into(created));
  st.exchange(soci::into(updated));
  st.exchange(soci::into(require_plate_clear, require_ind));
  st.exchange(soci::into(awaiting));
  long long wanted = id != nullptr ? *id : 0;
  if (id != nullptr) {
    st.exchange(soci::use(wanted));
  }
  storage::prepareStatement(st,
                            std::string("SELECT ") + kColumns + " FROM printers" + where + " ORDER BY id");
  st.execute();
  while (st.fetch()) {
    PrinterRecord r;
    r.id = row_id;
    r.name = name;
    r.plugin = driver;
    r.instance_id = instance_id;
    r.source = source;
    r.settings = parseObject(settings);
    r.lifecycle = parseObject(lifecycle);
    r.created_at_ms = created;
    r.updated_at_ms = updated;
    if (require_ind == soci::i_ok) {
      r.require_plate_clear = require_plate_clear != 0;
    }
    r.awaiting_plate_clear = awaiting != 0;
    out.push_back(std::move(r));
  }
  return out;
}

} // namespace

std::vector<PrinterRecord> PrinterStore::list() {
  return db_.read([](soci::session& session) { return select(session, "", nullptr); });
}

std::vector<int64_t> PrinterStore::ids() {
  return db_.read([](soci::session& session) {
    std::vector<int64_t> out;
    long long id = 0;
    soci::statement st = (session.prepare << "SELECT id FROM printers ORDER BY id", soci::into(id));
    st.execute();
    while (st.fetch()) {
      out.push_back(id);
    }
    return out;
  });
}

std::optional<PrinterRecord> PrinterStore::find(int64_t id) {
  auto rows = db_.read([&](soci::session& session) { return select(session, " WHERE id = :id", &id); });
  if (rows.empty()) {
    return std::nullopt;
  }
  return std::move(rows.front());
}

PrinterRecord PrinterStore::insert(PrinterRecord record) {
  return db_.write([&](soci::session& session) {
    record.id = storage::nextId(session, "printers", "printers");
    if (record.instance_id.empty()) {
      record.instance_id = "printer-" + std::to_string(record.id);
    }
    long long id = record.id, created = record.created_at_ms, updated = record.updated_at_ms;
    std::string settings = record.settings.dump();
    std::string lifecycle = record.lifecycle.dump();
    int require = record.require_plate_clear.value_or(false) ? 1 : 0;
    soci::indicator require_ind = record.require_plate_clear ? soci::i_ok : soci::i_null;
    int awaiting = record.awaiting_plate_clear ? 1 : 0;
    session
        << "INSERT INTO printers (" << kColumns
        << ") VALUES (:id, :name, :driver, :instance, :source, :settings, :lifecycle, :created, :updated, "
           ":require, :awaiting)",
        soci::use(id), soci::use(record.name), soci::use(record.plugin), soci::use(record.instance_id),
        soci::use(record.source), soci::use(settings), soci::use(lifecycle), soci::use(created),
        soci::use(updated), soci::use(require, require_ind), soci::use(awaiting);
    return record;
  });
}

void PrinterStore::update(const PrinterRecord& record) {
  db_.write([&](soci::session& session) {
    long long id = record.id, updated = record.updated_at_ms;
    std::string settings = record.settings.dump();
    int require = record.require_plate_clear.value_or(false) ? 1 : 0;
    soci::indicator require_ind = record.require_plate_clear ? soci::i_ok : soci::i_null;
    session << "UPDATE printers SET name = :name, settings = :settings, require_plate_clear = :require, "
               "updated_at_ms = :updated WHERE id = :id",
        soci::use(record.name), soci::use(settings), soci::use(require, require_ind), soci::use(updated),
        soci::use(id);
  });
}

void PrinterStore::saveAwaitingPlateClear(soci::session& session, int64_t id, bool awaiting) {
  long long row_id = id;
  int value = awaiting ? 1 : 0;
  session << "UPDATE printers SET awaiting_plate_clear = :awaiting WHERE id = :id", soci::use(value),
      soci::use(row_id);
}

void PrinterStore::saveLifecycle(soci::session& session, int64_t id, const nlohmann::json& lifecycle) {
  long long row_id = id;
  std::string text = lifecycle.dump();
  session << "UPDATE printers SET lifecycle = :lifecycle WHERE id = :id", soci::use(text), soci::use(row_id);
}

bool PrinterStore::remove(int64_t id) {
  return db_.write([&](soci::session& session) {
    long long row_id = id;
    soci::statement st = (session.prepare << "DELETE FROM printers WHERE id = :id", soci::use(row_id));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

} // namespace bambuddy::printers
