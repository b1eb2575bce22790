// The built web interface, held in memory: index.html and the other files at the top of the web
// root, and the files directly under assets/ (the bundler's hashed output). Loading everything at
// start keeps request handling free of disk reads and of path handling from the request: a path
// either names one of the loaded files or it does not.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bambuddy::web {

struct StaticFile {
  std::string body;
  std::string content_type;
  // Strong validator for If-None-Match, quoted ("\"1a2b...\"").
  std::string etag;
  // Files under assets/ carry a content hash in their name, so browsers may keep them forever.
  bool immutable = false;
};

class StaticSite {
public:
  // Reads `root`. Throws std::runtime_error naming the path when root has no index.html, when a
  // file cannot be read, or when the files together exceed max_total_bytes. Symbolic links,
  // hidden files (".name") and sub-folders other than assets/ are skipped; so are top-level names
  // without a dot, which could shadow API paths ("/health").
  static StaticSite load(const std::string& root, int64_t max_total_bytes);

  // The file for a URL path: "/" and "/index.html" give index.html, "/assets/x.js" an asset.
  // nullptr when there is no such file.
  const StaticFile* find(const std::string& url_path) const;

  // URL paths of the top-level files ("/index.html", "/favicon.svg"), sorted.
  std::vector<std::string> topLevelPaths() const;
  std::size_t fileCount() const { return files_.size(); }
  int64_t totalBytes() const { return total_bytes_; }

private:
  std::map<std::string, StaticFile> files_; // by URL path
  int64_t total_bytes_ = 0;
};

// Content type for a file name by its extension; "application/octet-stream" when unknown.
std::string contentTypeFor(const std::string& file_name);

} // namespace bambuddy::web
