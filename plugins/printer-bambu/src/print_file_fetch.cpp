#include "print_file_fetch.h"

#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

namespace bambuddy::printer_bambu {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxNameBytes = 255;

sdk::Error invalid(const std::string& message) {
  return sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_command", "fetch_print_file: " + message);
}

std::string text(const json& doc, const char* key, bool required) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    if (required) {
      throw invalid(std::string(key) + " is required");
    }
    return "";
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > 4096) {
    throw invalid(std::string(key) + " must be a string");
  }
  return it->get<std::string>();
}

// A plain file name: no directory part, no control characters.
bool plainName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameBytes || name == "." || name == "..") {
    return false;
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
      return false;
    }
  }
  return true;
}

std::string baseName(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool endsWith(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

} // namespace

FetchRequest parseFetchRequest(const std::string& command_json) {
  json doc = json::parse(command_json, nullptr, false);
  if (!doc.is_object()) {
    throw invalid("the command must be a JSON object");
  }
  FetchRequest r;
  r.path = text(doc, "path", true);
  if (r.path.empty() || r.path.front() != '/') {
    throw invalid("path must be an absolute local path");
  }
  auto max = doc.find("max_bytes");
  if (max == doc.end() || !max->is_number_unsigned() || max->get<uint64_t>() == 0) {
    throw invalid("max_bytes must be a positive integer");
  }
  r.max_bytes = max->get<uint64_t>();
  r.filename = baseName(text(doc, "filename", false));
  r.name = text(doc, "name", false);
  if (r.filename.empty() && r.name.empty()) {
    throw invalid("filename or name is needed to find the file");
  }
  return r;
}

std::vector<std::string> candidateNames(const FetchRequest& request) {
  std::vector<std::string> names;
  auto add = [&](const std::string& name) {
    if (plainName(name) && endsWith(name, ".3mf")) {
      for (const std::string& known : names) {
        if (known == name) {
          return;
        }
      }
      names.push_back(name);
    }
  };
  add(request.filename);
  add(request.name + ".3mf");
  add(request.name + ".gcode.3mf");
  std::vector<std::string> paths;
  for (const char* dir : {"/cache/", "/"}) {
    for (const std::string& name : names) {
      paths.push_back(dir + name);
    }
  }
  return paths;
}

PrintFileFetch::PrintFileFetch(TransportFactory transports, std::string where)
    : transports_(std::move(transports)), where_(std::move(where)) {}

void PrintFileFetch::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  if (current_ != nullptr) {
    current_->cancel();
  }
}

void PrintFileFetch::resume() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = false;
}

std::string PrintFileFetch::fetch(const FetchRequest& request) {
  const std::vector<std::string> candidates = candidateNames(request);
  if (candidates.empty()) {
    throw sdk::Error(BB_ERR_NOT_FOUND, "not_found", "the print names no .3mf file to look for");
  }
  std::unique_ptr<StorageTransport> transport = transports_();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cancelled_) {
      throw sdk::Error(BB_ERR_UNAVAILABLE, "ftp_cancelled", "the printer's driver is stopping");
    }
    if (running_) {
      throw sdk::Error(BB_ERR_CONFLICT, "fetch_running", "a file is already being fetched from " + where_);
    }
    running_ = true;
    current_ = transport.get();
  }
  struct Done {
    PrintFileFetch& self;
    ~Done() {
      std::lock_guard<std::mutex> lock(self.mutex_);
      self.running_ = false;
      self.current_ = nullptr;
    }
  } done{*this};

  try {
    // One listing per directory; a missing /cache (no SD card, older firmware) is not an error.
    std::map<std::string, std::map<std::string, uint64_t>> listed;
    for (const char* dir : {"/cache", "/"}) {
      try {
        for (const RemoteEntry& e : transport->list(dir)) {
          if (!e.is_directory) {
            listed[dir][e.name] = e.size_bytes;
          }
        }
      } catch (const FtpsError& e) {
        if (e.failure() != FtpsFailure::NotFound) {
          throw;
        }
      }
    }
    std::string remote;
    uint64_t size = 0;
    for (const std::string& candidate : candidates) {
      const std::string dir = candidate.rfind("/cache/", 0) == 0 ? "/cache" : "/";
      auto in_dir = listed.find(dir);
      if (in_dir == listed.end()) {
        continue;
      }
      auto found = in_dir->second.find(baseName(candidate));
      if (found != in_dir->second.end()) {
        remote = candidate;
        size = found->second;
        break;
      }
    }
    if (remote.empty()) {
      std::string looked;
      for (const std::string& c : candidates) {
        looked += (looked.empty() ? "" : ", ") + c;
      }
      throw sdk::Error(BB_ERR_NOT_FOUND, "not_found",
                       "no such file on " + where_ + " (looked for " + looked + ")");
    }
    if (size > request.max_bytes) {
      throw sdk::Error(BB_ERR_IO, "too_large",
                       remote + " is " + std::to_string(size) + " bytes, more than the " +
                           std::to_string(request.max_bytes) + " allowed");
    }
    int fd = ::open(request.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      throw sdk::Error(BB_ERR_IO, "local_io", "cannot write " + request.path + ": " + std::strerror(errno));
    }
    try {
      transport->download(remote, fd, request.max_bytes, nullptr);
    } catch (...) {
      ::close(fd);
      throw;
    }
    struct stat st {};
    const bool stat_ok = ::fstat(fd, &st) == 0;
    ::close(fd);
    json answer = {{"remote_file", remote}, {"size", stat_ok ? static_cast<uint64_t>(st.st_size) : size}};
    return answer.dump();
  } catch (const FtpsError& e) {
    throw sdk::Error(BB_ERR_UNAVAILABLE, e.reason(), e.what());
  }
}

} // namespace bambuddy::printer_bambu
