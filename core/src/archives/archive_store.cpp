#include "archives/archive_store.h"

#include "archives/day_counts.h"

#include "storage/binder.h"
#include "storage/database.h"
#include "storage/id_sequence.h"
#include "storage/row_values.h"

namespace bambuddy::archives {

namespace {

using storage::Binder;

// Every column but id, in one order used by insert and update.
constexpr const char* kColumns[] = {"status",
                                    "name",
                                    "filename",
                                    "printer_id",
                                    "printer_name",
                                    "job_id",
                                    "source_archive_id",
                                    "queue_item_id",
                                    "started_at_ms",
                                    "ended_at_ms",
                                    "duration_s",
                                    "progress",
                                    "filament_used_g",
                                    "filament_type",
                                    "estimated_time_s",
                                    "error",
                                    "notes",
                                    "tags",
                                    "favourite",
                                    "file_key",
                                    "file_size",
                                    "thumbnail_key",
                                    "metadata",
                                    "sort_at_ms",
                                    "created_at_ms",
                                    "updated_at_ms",
                                    "plate",
                                    "file_reason",
                                    "start_event_id"};

std::optional<std::string> jsonText(const nlohmann::json& value) {
  return value.is_null() ? std::nullopt : std::optional<std::string>(value.dump());
}

nlohmann::json parseOrNull(const std::optional<std::string>& text) {
  if (!text) {
    return nullptr;
  }
  nlohmann::json value = nlohmann::json::parse(*text, nullptr, false);
  return value.is_discarded() ? nlohmann::json(nullptr) : value;
}

void bindColumns(soci::statement& st, Binder& b, const ArchiveRecord& r) {
  b.bind(st, std::optional<std::string>(r.status));
  b.bind(st, std::optional<std::string>(r.name));
  b.bind(st, r.filename);
  b.bind(st, r.printer_id);
  b.bind(st, r.printer_name);
  b.bind(st, r.job_id);
  b.bind(st, r.source_archive_id);
  b.bind(st, r.queue_item_id);
  b.bind(st, r.started_at_ms);
  b.bind(st, r.ended_at_ms);
  b.bind(st, r.duration_s);
  b.bind(st, r.progress);
  b.bind(st, r.filament_used_g);
  b.bind(st, r.filament_type);
  b.bind(st, r.estimated_time_s);
  b.bind(st, jsonText(r.error));
  b.bind(st, std::optional<std::string>(r.notes));
  b.bind(st, std::optional<std::string>(nlohmann::json(r.tags).dump()));
  b.bind(st, std::optional<int64_t>(r.favourite ? 1 : 0));
  b.bind(st, r.file_key);
  b.bind(st, r.file_size);
  b.bind(st, r.thumbnail_key);
  b.bind(st, jsonText(r.metadata));
  b.bind(st, std::optional<int64_t>(r.sortAtMs()));
  b.bind(st, std::optional<int64_t>(r.created_at_ms));
  b.bind(st, std::optional<int64_t>(r.updated_at_ms));
  b.bind(st, r.plate);
  b.bind(st, r.file_reason);
  b.bind(st, r.start_event_id);
}

ArchiveRecord fromRow(const soci::row& row) {
  using namespace storage;
  ArchiveRecord r;
  r.id = int64Or(row, "id", 0);
  r.status = stringOr(row, "status");
  r.name = stringOr(row, "name");
  r.filename = optString(row, "filename");
  r.printer_id = optInt64(row, "printer_id");
  r.printer_name = optString(row, "printer_name");
  r.job_id = optString(row, "job_id");
  r.source_archive_id = optInt64(row, "source_archive_id");
  r.queue_item_id = optInt64(row, "queue_item_id");
  r.started_at_ms = optInt64(row, "started_at_ms");
  r.ended_at_ms = optInt64(row, "ended_at_ms");
  r.duration_s = optInt64(row, "duration_s");
  r.progress = optDouble(row, "progress");
  r.filament_used_g = optDouble(row, "filament_used_g");
  r.filament_type = optString(row, "filament_type");
  r.estimated_time_s = optInt64(row, "estimated_time_s");
  r.error = parseOrNull(optString(row, "error"));
  r.notes = stringOr(row, "notes");
  nlohmann::json tags = parseOrNull(optString(row, "tags"));
  if (tags.is_array()) {
    for (const auto& t : tags) {
      if (t.is_string()) {
        r.tags.push_back(t.get<std::string>());
      }
    }
  }
  r.favourite = int64Or(row, "favourite", 0) != 0;
  r.file_key = optString(row, "file_key");
  r.file_size = optInt64(row, "file_size");
  r.thumbnail_key = optString(row, "thumbnail_key");
  r.metadata = parseOrNull(optString(row, "metadata"));
  r.created_at_ms = int64Or(row, "created_at_ms", 0);
  r.updated_at_ms = int64Or(row, "updated_at_ms", 0);
  r.plate = optInt64(row, "plate");
  r.file_reason = optString(row, "file_reason");
  r.start_event_id = optString(row, "start_event_id");
  return r;
}

std::vector<ArchiveRecord> selectRows(soci::session& session, const std::string& sql,
                                      const std::function<void(soci::statement&, Binder&)>& bind) {
  Binder binder;
  soci::row row;
  soci::statement st(session);
  st.exchange(soci::into(row));
  bind(st, binder);
  storage::prepareStatement(st, sql);
  st.execute();
  std::vector<ArchiveRecord> out;
  while (st.fetch()) {
    out.push_back(fromRow(row));
  }
  return out;
}

// "%" and "_" in a search are literal characters, not wildcards.
std::string likePattern(const std::string& q) {
  std::string out = "%";
  for (char c : q) {
    if (c == '%' || c == '_' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "%";
}

// The trigram index answers substrings of 3 characters or more; shorter ones are matched by
// reading the rows (LIKE), as the index has nothing to look up.
bool usesSearchIndex(const std::string& q) {
  std::size_t characters = 0;
  for (unsigned char c : q) {
    characters += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  return characters >= 3;
}

// q as one FTS5 phrase: a string in double quotes (doubled inside) is taken literally, and a phrase
// of trigrams matches where its text occurs, as LIKE '%q%' does.
std::string searchPhrase(const std::string& q) {
  std::string out = "\"";
  for (char c : q) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

} // namespace

ArchiveRecord ArchiveStore::insert(ArchiveRecord record) {
  // Counted after the commit (the write() returns), so a reader never caches the old state under
  // the new generation.
  ArchiveRecord stored = db_.write([&](soci::session& session) {
    record.id = storage::nextId(session, "archives", "archives");
    std::string sql = "INSERT INTO archives (id";
    std::string values = ") VALUES (:id";
    for (const char* column : kColumns) {
      sql += std::string(", ") + column;
      values += std::string(", :") + column;
    }
    Binder binder;
    soci::statement st(session);
    binder.bind(st, std::optional<int64_t>(record.id));
    bindColumns(st, binder, record);
    storage::prepareStatement(st, sql + values + ")");
    st.execute(true);
    applyDayCount(session, contributionOf(record), +1);
    return record;
  });
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return stored;
}

std::optional<ArchiveRecord> ArchiveStore::find(int64_t id) {
  auto rows = db_.read([&](soci::session& session) {
    return selectRows(session, "SELECT * FROM archives WHERE id = :id",
                      [&](soci::statement& st, Binder& b) { b.bind(st, std::optional<int64_t>(id)); });
  });
  if (rows.empty()) {
    return std::nullopt;
  }
  return std::move(rows.front());
}

ArchivePage ArchiveStore::list(const ArchiveFilter& filter) {
  std::string where = " WHERE 1 = 1";
  if (filter.printer_id) {
    where += " AND printer_id = :printer_id";
  }
  where += printerInSql("printer_id", filter.printers_in);
  if (filter.status) {
    where += " AND status = :status";
  }
  if (filter.since_ms) {
    where += " AND sort_at_ms >= :since";
  }
  if (filter.until_ms) {
    where += " AND sort_at_ms < :until";
  }
  // The FTS5 index is SQLite's; PostgreSQL serves the LIKE below from its pg_trgm indexes.
  const bool indexed_search = filter.q && db_.backend() == "sqlite3" && usesSearchIndex(*filter.q);
  if (indexed_search) {
    where += " AND id IN (SELECT rowid FROM archives_search WHERE archives_search MATCH :q)";
  } else if (filter.q) {
    where += " AND (LOWER(name) LIKE LOWER(:q1) ESCAPE '\\' OR LOWER(COALESCE(filename, '')) LIKE LOWER(:q2) "
             "ESCAPE '\\')";
  }
  // Only the page, not the total, starts after the cursor. The first condition bounds the index
  // range (an OR of the two cases alone made SQLite read every newer row: 1.7 s per page at
  // 1,000,000 archives); the second drops the rows at the cursor's own time up to its id.
  const std::string page_where =
      where + (filter.after
                   ? " AND sort_at_ms <= :after_sort AND (sort_at_ms < :after_sort2 OR id < :after_id)"
                   : "");
  auto bindFilters = [&](soci::statement& st, Binder& b) {
    if (filter.printer_id) {
      b.bind(st, filter.printer_id);
    }
    if (filter.status) {
      b.bind(st, filter.status);
    }
    if (filter.since_ms) {
      b.bind(st, filter.since_ms);
    }
    if (filter.until_ms) {
      b.bind(st, filter.until_ms);
    }
    if (indexed_search) {
      b.bind(st, std::optional<std::string>(searchPhrase(*filter.q)));
    } else if (filter.q) {
      b.bind(st, std::optional<std::string>(likePattern(*filter.q)));
      b.bind(st, std::optional<std::string>(likePattern(*filter.q)));
    }
  };
  return db_.read([&](soci::session& session) {
    ArchivePage page;
    if (filter.q) {
      // A name search has no running total: count the matching rows.
      Binder binder;
      long long total = 0;
      soci::statement st(session);
      st.exchange(soci::into(total));
      bindFilters(st, binder);
      storage::prepareStatement(st, "SELECT COUNT(*) FROM archives" + where);
      st.execute(true);
      page.total = total;
    } else {
      DayCountFilter counts;
      counts.printer_id = filter.printer_id;
      counts.printers_in = filter.printers_in;
      if (filter.status) {
        counts.statuses.push_back(*filter.status);
      }
      counts.since_ms = filter.since_ms;
      counts.until_ms = filter.until_ms;
      for (const DayCount& c : readDayCounts(session, counts, kGroupNone)) {
        page.total += c.n;
      }
    }
    // One row more than asked says whether a next page exists.
    page.items = selectRows(session,
                            "SELECT * FROM archives" + page_where +
                                " ORDER BY sort_at_ms DESC, id DESC LIMIT :limit OFFSET :offset",
                            [&](soci::statement& st, Binder& b) {
                              bindFilters(st, b);
                              if (filter.after) {
                                b.bind(st, std::optional<int64_t>(filter.after->sort_at_ms));
                                b.bind(st, std::optional<int64_t>(filter.after->sort_at_ms));
                                b.bind(st, std::optional<int64_t>(filter.after->id));
                              }
                              b.bind(st, std::optional<int64_t>(filter.limit + 1));
                              b.bind(st, std::optional<int64_t>(filter.offset));
                            });
    if (static_cast<int64_t>(page.items.size()) > filter.limit) {
      page.items.resize(static_cast<std::size_t>(filter.limit));
      const ArchiveRecord& last = page.items.back();
      page.next = ArchiveCursor{last.sortAtMs(), last.id};
    }
    return page;
  });
}

bool ArchiveStore::update(const ArchiveRecord& record) {
  bool changed = db_.write([&](soci::session& session) {
    auto before =
        selectRows(session, "SELECT * FROM archives WHERE id = :id",
                   [&](soci::statement& st, Binder& b) { b.bind(st, std::optional<int64_t>(record.id)); });
    if (before.empty()) {
      return false;
    }
    std::string sql = "UPDATE archives SET ";
    bool first = true;
    for (const char* column : kColumns) {
      sql += std::string(first ? "" : ", ") + column + " = :" + column;
      first = false;
    }
    Binder binder;
    soci::statement st(session);
    bindColumns(st, binder, record);
    binder.bind(st, std::optional<int64_t>(record.id));
    storage::prepareStatement(st, sql + " WHERE id = :id");
    st.execute(true);
    applyDayCount(session, contributionOf(before.front()), -1);
    applyDayCount(session, contributionOf(record), +1);
    return true;
  });
  if (changed) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  return changed;
}

bool ArchiveStore::remove(int64_t id) {
  bool removed = db_.write([&](soci::session& session) {
    auto before = selectRows(session, "SELECT * FROM archives WHERE id = :id",
                             [&](soci::statement& st, Binder& b) { b.bind(st, std::optional<int64_t>(id)); });
    if (before.empty()) {
      return false;
    }
    long long row_id = id;
    soci::statement st = (session.prepare << "DELETE FROM archives WHERE id = :id", soci::use(row_id));
    st.execute(true);
    applyDayCount(session, contributionOf(before.front()), -1);
    return true;
  });
  if (removed) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  return removed;
}

std::optional<ArchiveRecord> ArchiveStore::findByStartEvent(const std::string& event_id) {
  auto rows = db_.read([&](soci::session& session) {
    return selectRows(
        session, "SELECT * FROM archives WHERE start_event_id = :e ORDER BY id LIMIT 1",
        [&](soci::statement& st, Binder& b) { b.bind(st, std::optional<std::string>(event_id)); });
  });
  if (rows.empty()) {
    return std::nullopt;
  }
  return std::move(rows.front());
}

std::optional<ArchiveRecord> ArchiveStore::openPrint(int64_t printer_id) {
  auto rows = db_.read([&](soci::session& session) {
    return selectRows(
        session,
        "SELECT * FROM archives WHERE printer_id = :p AND status = 'printing' ORDER BY id DESC LIMIT 1",
        [&](soci::statement& st, Binder& b) { b.bind(st, std::optional<int64_t>(printer_id)); });
  });
  if (rows.empty()) {
    return std::nullopt;
  }
  return std::move(rows.front());
}

} // namespace bambuddy::archives
