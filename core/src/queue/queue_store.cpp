#include "queue/queue_store.h"

#include "storage/binder.h"
#include "storage/database.h"
#include "storage/id_sequence.h"
#include "storage/row_values.h"

#include <algorithm>

namespace bambuddy::queue {

namespace {

using storage::Binder;

constexpr const char* kColumns[] = {"archive_id",
                                    "printer_id",
                                    "position",
                                    "scheduled_at_ms",
                                    "status",
                                    "reason",
                                    "assigned_printer_id",
                                    "print_archive_id",
                                    "started_at_ms",
                                    "ended_at_ms",
                                    "created_at_ms",
                                    "updated_at_ms",
                                    "plate",
                                    "print_options"};

void bindColumns(soci::statement& st, Binder& b, const QueueItem& item) {
  b.bind(st, std::optional<int64_t>(item.archive_id));
  b.bind(st, item.printer_id);
  b.bind(st, std::optional<int64_t>(item.position));
  b.bind(st, item.scheduled_at_ms);
  b.bind(st, std::optional<std::string>(item.status));
  b.bind(st, item.reason);
  b.bind(st, item.assigned_printer_id);
  b.bind(st, item.print_archive_id);
  b.bind(st, item.started_at_ms);
  b.bind(st, item.ended_at_ms);
  b.bind(st, std::optional<int64_t>(item.created_at_ms));
  b.bind(st, std::optional<int64_t>(item.updated_at_ms));
  b.bind(st, item.plate ? std::optional<int64_t>(*item.plate) : std::nullopt);
  b.bind(st,
         item.print_options.empty() ? std::nullopt : std::optional<std::string>(item.print_options.dump()));
}

QueueItem fromRow(const soci::row& row) {
  using namespace storage;
  QueueItem item;
  item.id = int64Or(row, "id", 0);
  item.archive_id = int64Or(row, "archive_id", 0);
  item.printer_id = optInt64(row, "printer_id");
  item.position = int64Or(row, "position", 0);
  item.scheduled_at_ms = optInt64(row, "scheduled_at_ms");
  item.status = stringOr(row, "status");
  item.reason = optString(row, "reason");
  item.assigned_printer_id = optInt64(row, "assigned_printer_id");
  item.print_archive_id = optInt64(row, "print_archive_id");
  item.started_at_ms = optInt64(row, "started_at_ms");
  item.ended_at_ms = optInt64(row, "ended_at_ms");
  item.created_at_ms = int64Or(row, "created_at_ms", 0);
  item.updated_at_ms = int64Or(row, "updated_at_ms", 0);
  if (auto plate = optInt64(row, "plate")) {
    item.plate = static_cast<int>(*plate);
  }
  if (auto options = optString(row, "print_options")) {
    nlohmann::json parsed = nlohmann::json::parse(*options, nullptr, false);
    if (parsed.is_object()) {
      item.print_options = std::move(parsed);
    }
  }
  return item;
}

std::vector<QueueItem> selectItems(soci::session& session, const std::string& sql,
                                   const std::optional<int64_t>& id,
                                   const std::optional<std::string>& status) {
  Binder binder;
  soci::row row;
  soci::statement st(session);
  st.exchange(soci::into(row));
  if (id) {
    binder.bind(st, id);
  }
  if (status) {
    binder.bind(st, status);
  }
  storage::prepareStatement(st, sql);
  st.execute();
  std::vector<QueueItem> out;
  while (st.fetch()) {
    out.push_back(fromRow(row));
  }
  return out;
}

} // namespace

QueueItem QueueStore::insert(QueueItem item) {
  return db_.write([&](soci::session& session) {
    item.id = storage::nextId(session, "queue_items", "queue_items");
    if (item.position <= 0) {
      long long highest = 0;
      soci::indicator ind = soci::i_ok;
      session << "SELECT MAX(position) FROM queue_items", soci::into(highest, ind);
      item.position = (ind == soci::i_null ? 0 : highest) + 1;
    }
    std::string sql = "INSERT INTO queue_items (id";
    std::string values = ") VALUES (:id";
    for (const char* c : kColumns) {
      sql += std::string(", ") + c;
      values += std::string(", :") + c;
    }
    Binder binder;
    soci::statement st(session);
    binder.bind(st, std::optional<int64_t>(item.id));
    bindColumns(st, binder, item);
    storage::prepareStatement(st, sql + values + ")");
    st.execute(true);
    return item;
  });
}

std::optional<QueueItem> QueueStore::find(int64_t id) {
  auto rows = db_.read([&](soci::session& session) {
    return selectItems(session, "SELECT * FROM queue_items WHERE id = :id", id, std::nullopt);
  });
  if (rows.empty()) {
    return std::nullopt;
  }
  return rows.front();
}

std::vector<QueueItem> QueueStore::list(const std::optional<std::string>& status) {
  return db_.read([&](soci::session& session) {
    return selectItems(session,
                       std::string("SELECT * FROM queue_items") + (status ? " WHERE status = :status" : "") +
                           " ORDER BY position, id",
                       std::nullopt, status);
  });
}

bool QueueStore::update(const QueueItem& item) {
  return db_.write([&](soci::session& session) {
    std::string sql = "UPDATE queue_items SET ";
    bool first = true;
    for (const char* c : kColumns) {
      sql += std::string(first ? "" : ", ") + c + " = :" + c;
      first = false;
    }
    Binder binder;
    soci::statement st(session);
    bindColumns(st, binder, item);
    binder.bind(st, std::optional<int64_t>(item.id));
    storage::prepareStatement(st, sql + " WHERE id = :id");
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

bool QueueStore::remove(int64_t id) {
  return db_.write([&](soci::session& session) {
    long long row_id = id;
    soci::statement st = (session.prepare << "DELETE FROM queue_items WHERE id = :id", soci::use(row_id));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

void QueueStore::reorder(const std::vector<int64_t>& ids) {
  db_.write([&](soci::session& session) {
    // The listed items take the lowest positions among the pending ones, in the given order;
    // items not listed keep their relative order after them.
    std::vector<QueueItem> pending =
        selectItems(session, "SELECT * FROM queue_items WHERE status = :status ORDER BY position, id",
                    std::nullopt, std::string("pending"));
    std::vector<int64_t> order = ids;
    for (const QueueItem& item : pending) {
      if (std::find(ids.begin(), ids.end(), item.id) == ids.end()) {
        order.push_back(item.id);
      }
    }
    long long base = pending.empty() ? 1 : static_cast<long long>(pending.front().position);
    for (std::size_t i = 0; i < order.size(); ++i) {
      long long position = base + static_cast<long long>(i);
      long long id = order[i];
      session << "UPDATE queue_items SET position = :p WHERE id = :id", soci::use(position), soci::use(id);
    }
  });
}

} // namespace bambuddy::queue
