#include "web/static_site.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace bambuddy::web {
namespace {

namespace fs = std::filesystem;

std::string lowerExtension(const std::string& name) {
  auto dot = name.rfind('.');
  if (dot == std::string::npos) {
    return {};
  }
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return ext;
}

// FNV-1a over the content: an ETag only has to change when the bytes do.
std::string etagOf(const std::string& body) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : body) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char text[24];
  std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(hash));
  return text;
}

// A name we are willing to serve: visible, no separators, no characters that need escaping in a
// URL path segment.
bool servableName(const std::string& name) {
  if (name.empty() || name[0] == '.') {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '-' || c == '_' || c == '~';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string readWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("web UI: cannot read " + path.string());
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    throw std::runtime_error("web UI: cannot read " + path.string());
  }
  return out.str();
}

} // namespace

std::string contentTypeFor(const std::string& file_name) {
  static const std::map<std::string, std::string> kTypes = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"woff", "font/woff"},
      {"txt", "text/plain; charset=utf-8"},
  };
  auto it = kTypes.find(lowerExtension(file_name));
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

StaticSite StaticSite::load(const std::string& root, int64_t max_total_bytes) {
  StaticSite site;
  const fs::path base(root);
  if (!fs::is_regular_file(base / "index.html")) {
    throw std::runtime_error("web UI: no index.html in " + root);
  }
  auto addFile = [&](const fs::path& path, const std::string& url_path, bool immutable) {
    StaticFile file;
    file.body = readWhole(path);
    site.total_bytes_ += static_cast<int64_t>(file.body.size());
    if (site.total_bytes_ > max_total_bytes) {
      throw std::runtime_error("web UI: files in " + root + " exceed " + std::to_string(max_total_bytes) +
                               " bytes");
    }
    file.content_type = contentTypeFor(path.filename().string());
    file.etag = etagOf(file.body);
    file.immutable = immutable;
    site.files_.emplace(url_path, std::move(file));
  };
  auto regularNotLink = [](const fs::directory_entry& entry) {
    std::error_code ec;
    return !entry.is_symlink(ec) && entry.is_regular_file(ec);
  };

  for (const fs::directory_entry& entry : fs::directory_iterator(base)) {
    const std::string name = entry.path().filename().string();
    if (!regularNotLink(entry) || !servableName(name) || name.find('.') == std::string::npos) {
      continue;
    }
    addFile(entry.path(), "/" + name, false);
  }
  std::error_code ec;
  const fs::path assets = base / "assets";
  if (fs::is_directory(fs::symlink_status(assets, ec))) {
    for (const fs::directory_entry& entry : fs::directory_iterator(assets)) {
      const std::string name = entry.path().filename().string();
      if (regularNotLink(entry) && servableName(name)) {
        addFile(entry.path(), "/assets/" + name, true);
      }
    }
  }
  if (site.files_.count("/index.html") == 0) {
    throw std::runtime_error("web UI: " + root + "/index.html must be a regular file, not a link");
  }
  return site;
}

const StaticFile* StaticSite::find(const std::string& url_path) const {
  auto it = files_.find(url_path == "/" ? std::string("/index.html") : url_path);
  return it == files_.end() ? nullptr : &it->second;
}

std::vector<std::string> StaticSite::topLevelPaths() const {
  std::vector<std::string> paths;
  for (const auto& [path, file] : files_) {
    if (path.rfind("/assets/", 0) != 0) {
      paths.push_back(path);
    }
  }
  return paths;
}

} // namespace bambuddy::web
