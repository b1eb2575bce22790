// Test helpers for storage.local: drive an instance through its C ops table, as the server does.
#pragma once

#include <bambuddy/abi.h>
#include <bambuddy/testing/fake_host.hpp>

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern "C" const bb_plugin_descriptor* bb_plugin_query(uint32_t host_abi_major, uint32_t host_abi_minor);

namespace bambuddy::storage_local::test {

// The outcome of one op call: the return code and the error the plugin filled in.
struct OpResult {
  int32_t rc = -1;
  std::string reason;
  std::string message;
};

using Listing = std::vector<std::pair<std::string, uint64_t>>;

inline const bb_plugin_descriptor* descriptor() {
  return bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR);
}

// Calls one instance's bb_storage_ops with std::string arguments.
class StoreClient {
public:
  explicit StoreClient(const bambuddy::testing::FakeHost::Instance& instance)
      : ops_(instance.ops<bb_storage_ops>()), self_(instance.self()) {}

  OpResult put(std::string_view key, std::string_view data) const {
    bb_error err = makeError();
    int32_t rc = ops_->put(self_, key.data(), key.size(), data.data(), data.size(), &err);
    return result(rc, err);
  }

  // `out` receives the blob; it is cleared first and only written by the plugin's sink calls.
  OpResult get(std::string_view key, std::string* out = nullptr) const {
    std::string sink;
    bb_error err = makeError();
    int32_t rc = ops_->get(
        self_, key.data(), key.size(),
        [](void* user, const char* data, size_t len) { static_cast<std::string*>(user)->append(data, len); },
        &sink, &err);
    if (out != nullptr) {
      *out = sink;
    }
    return result(rc, err);
  }

  // Convenience: the blob, or a failure with the op's message.
  std::string read(std::string_view key) const {
    std::string content;
    OpResult r = get(key, &content);
    EXPECT_EQ(r.rc, BB_OK) << "get " << key << ": " << r.reason << " " << r.message;
    return content;
  }

  OpResult remove(std::string_view key) const {
    bb_error err = makeError();
    int32_t rc = ops_->remove(self_, key.data(), key.size(), &err);
    return result(rc, err);
  }

  // Collects visited keys; the visitor asks to stop after `stop_after` keys when that is non-zero.
  OpResult list(std::string_view prefix, Listing* out, size_t stop_after = 0) const {
    struct Visit {
      Listing rows;
      size_t stop_after;
    } visit{{}, stop_after};
    bb_error err = makeError();
    int32_t rc = ops_->list(
        self_, prefix.data(), prefix.size(),
        [](void* user, const char* key, size_t key_len, uint64_t size) -> int32_t {
          auto* v = static_cast<Visit*>(user);
          v->rows.emplace_back(std::string(key, key_len), size);
          return v->stop_after != 0 && v->rows.size() >= v->stop_after ? 1 : 0;
        },
        &visit, &err);
    if (out != nullptr) {
      *out = std::move(visit.rows);
    }
    return result(rc, err);
  }

  Listing keys(std::string_view prefix = "") const {
    Listing rows;
    OpResult r = list(prefix, &rows);
    EXPECT_EQ(r.rc, BB_OK) << "list " << prefix << ": " << r.reason << " " << r.message;
    return rows;
  }

private:
  static bb_error makeError() {
    bb_error err{};
    err.struct_size = sizeof(bb_error);
    return err;
  }
  static OpResult result(int32_t rc, const bb_error& err) {
    OpResult r;
    r.rc = rc;
    if (rc != BB_OK) {
      r.reason = err.reason;
      r.message = err.message;
    }
    return r;
  }

  const bb_storage_ops* ops_;
  void* self_;
};

// Every path below `dir` (symlinks not followed) with a fingerprint: file contents, "<dir>" or
// "-> target". Two equal snapshots mean nothing was created, changed or removed.
inline std::map<std::string, std::string> snapshot(const std::string& dir) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path& p = it->path();
    std::string rel = fs::relative(p, dir).string();
    if (fs::is_symlink(it->symlink_status())) {
      out[rel] = "-> " + fs::read_symlink(p).string();
    } else if (it->is_directory()) {
      out[rel] = "<dir>";
    } else {
      out[rel] = bambuddy::testing::readFile(p.string());
    }
  }
  return out;
}

// The names directly inside `dir`, sorted.
inline std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Names anywhere below `dir` that look like storage.local temp files.
inline std::vector<std::string> tempFiles(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().find('~') != std::string::npos) {
      found.push_back(e.path().string());
    }
  }
  return found;
}

// A FakeHost whose data root is a fresh temp dir, plus helpers to make storage.local instances.
class StoreTest : public ::testing::Test {
protected:
  StoreTest() : host_(tmp_.path() + "/data") {}

  // Creates an instance; a creation failure fails the test.
  std::unique_ptr<bambuddy::testing::FakeHost::Instance> create(const std::string& config_json = "{}") {
    try {
      return host_.create(descriptor(), config_json, "{}");
    } catch (const sdk::Error& e) {
      ADD_FAILURE() << "create failed: " << e.reason() << ": " << e.what();
      throw;
    }
  }

  // The config for a root at tmp/<name>, plus extra members given as JSON text.
  std::string rootConfig(const std::string& name = "blobs", const std::string& extra = "") const {
    std::string config = R"({"root":")" + tmp_.path() + "/" + name + "\"";
    if (!extra.empty()) {
      config += "," + extra;
    }
    return config + "}";
  }

  bambuddy::testing::TempDir tmp_;
  bambuddy::testing::FakeHost host_;
};

} // namespace bambuddy::storage_local::test
