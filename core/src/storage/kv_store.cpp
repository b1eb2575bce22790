#include "storage/kv_store.h"

#include "common/time.h"
#include "storage/database.h"

#include <bambuddy/json_limits.hpp>
#include <bambuddy/utf8.hpp>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <utility>
#include <vector>

namespace bambuddy::storage {

namespace {

// Rows per scan page, and a soft byte cap so a page of large documents stays small.
constexpr int kScanPageRows = 64;
constexpr std::size_t kScanPageBytes = 4 * 1024 * 1024;

void validateName(const char* what, const std::string& text, std::size_t max_bytes) {
  if (text.empty()) {
    throw std::invalid_argument(std::string(what) + " is empty");
  }
  if (text.size() > max_bytes) {
    throw std::invalid_argument(std::string(what) + " is " + std::to_string(text.size()) +
                                " bytes, the limit is " + std::to_string(max_bytes));
  }
  if (text.find('\0') != std::string::npos) {
    throw std::invalid_argument(std::string(what) + " contains a NUL byte");
  }
  if (!sdk::isValidUtf8(text)) {
    throw std::invalid_argument(std::string(what) + " is not valid UTF-8");
  }
}

void validateKey(const std::string& ns, const std::string& key) {
  validateName("namespace", ns, KvStore::kMaxNamespaceBytes);
  validateName("key", key, KvStore::kMaxKeyBytes);
}

// The smallest string greater than every string starting with `prefix`, or nullopt when none
// exists (empty prefix or all 0xFF bytes). SQLite compares TEXT byte-wise (BINARY collation).
std::optional<std::string> prefixSuccessor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) {
    prefix.pop_back();
  }
  if (prefix.empty()) {
    return std::nullopt;
  }
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

// Runs a database call and reports SOCI errors as StorageError with the operation named.
template <class F> auto guarded(const char* operation, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const StorageError&) {
    throw;
  } catch (const soci::soci_error& e) {
    throw StorageError(std::string("kv ") + operation + " failed: " + e.what());
  }
}

} // namespace

KvStore::KvStore(Database& db) : db_(db) {}

std::optional<std::string> KvStore::get(const std::string& ns, const std::string& key) {
  validateKey(ns, key);
  return guarded("get", [&] {
    return db_.read([&](soci::session& session) -> std::optional<std::string> {
      std::string value;
      soci::indicator ind = soci::i_ok;
      session << "SELECT value FROM kv WHERE namespace = :ns AND key = :k", soci::into(value, ind),
          soci::use(ns), soci::use(key);
      if (!session.got_data() || ind != soci::i_ok) {
        return std::nullopt;
      }
      return value;
    });
  });
}

void KvStore::put(const std::string& ns, const std::string& key, const std::string& json_text) {
  validateKey(ns, key);
  if (json_text.size() > kMaxValueBytes) {
    throw std::invalid_argument("value is " + std::to_string(json_text.size()) + " bytes, the limit is " +
                                std::to_string(kMaxValueBytes));
  }
  // nlohmann's lexer treats a NUL byte as the end of input, so "{}\0junk" would pass accept();
  // a raw NUL is never valid in JSON text anyway.
  if (json_text.find('\0') != std::string::npos || !nlohmann::json::accept(json_text)) {
    throw std::invalid_argument("value is not valid JSON");
  }
  // Whoever reads the value back parses and walks it; bound that like every other JSON input.
  const sdk::JsonLimitCheck limits =
      sdk::checkJsonLimits(json_text, sdk::JsonLimits{sdk::kDefaultJsonMaxDepth, kMaxValueBytes});
  if (!limits) {
    throw std::invalid_argument("value refused: " + limits.message(json_text.size()));
  }
  const std::string updated_at = formatUtcMs(nowUtcMs());
  guarded("put", [&] {
    db_.write([&](soci::session& session) {
      session << "INSERT INTO kv (namespace, key, value, updated_at) VALUES (:ns, :k, :v, :t) "
                 "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, "
                 "updated_at = excluded.updated_at",
          soci::use(ns), soci::use(key), soci::use(json_text), soci::use(updated_at);
    });
  });
  written(ns);
}

bool KvStore::remove(const std::string& ns, const std::string& key) {
  validateKey(ns, key);
  const bool existed = guarded("remove", [&] {
    return db_.write([&](soci::session& session) {
      soci::statement st = (session.prepare << "DELETE FROM kv WHERE namespace = :ns AND key = :k",
                            soci::use(ns), soci::use(key));
      st.execute(true);
      return st.get_affected_rows() > 0;
    });
  });
  if (existed) {
    written(ns);
  }
  return existed;
}

void KvStore::scan(const std::string& ns, const std::string& prefix,
                   const std::function<bool(const std::string& key, const std::string& value)>& visit) {
  validateName("namespace", ns, kMaxNamespaceBytes);
  if (prefix.find('\0') != std::string::npos) {
    throw std::invalid_argument("prefix contains a NUL byte");
  }
  if (prefix.size() > kMaxKeyBytes) {
    return; // no key can be that long
  }
  const std::optional<std::string> upper = prefixSuccessor(prefix);

  std::string lower = prefix;
  bool first_page = true;
  std::vector<std::pair<std::string, std::string>> page;
  for (;;) {
    page.clear();
    // The first page includes the prefix itself; later pages resume after the last key seen.
    std::string sql = "SELECT key, value FROM kv WHERE namespace = :ns AND key ";
    sql += first_page ? ">=" : ">";
    sql += " :lo";
    if (upper) {
      sql += " AND key < :hi";
    }
    sql += " ORDER BY key LIMIT " + std::to_string(kScanPageRows);

    bool more = guarded("scan", [&] {
      return db_.read([&](soci::session& session) {
        std::string key;
        std::string value;
        // Built step by step because the number of bound values depends on the prefix.
        soci::statement st(session);
        st.exchange(soci::into(key));
        st.exchange(soci::into(value));
        st.exchange(soci::use(ns));
        st.exchange(soci::use(lower));
        if (upper) {
          st.exchange(soci::use(*upper));
        }
        st.alloc();
        st.prepare(sql);
        st.define_and_bind();
        st.execute();
        std::size_t bytes = 0;
        while (st.fetch()) {
          bytes += key.size() + value.size();
          page.emplace_back(key, value);
          if (bytes >= kScanPageBytes) {
            return true; // stopped early: there may be more rows
          }
        }
        return static_cast<int>(page.size()) == kScanPageRows;
      });
    });

    for (const auto& [key, value] : page) {
      if (!visit(key, value)) {
        return;
      }
    }
    if (!more || page.empty()) {
      return;
    }
    lower = page.back().first;
    first_page = false;
  }
}

} // namespace bambuddy::storage
