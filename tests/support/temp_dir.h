// A directory under $TMPDIR removed (recursively) when the object goes away.
#pragma once

#include <string>

namespace bambuddy::testing {

class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to path()/name (creating parent directories) and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

private:
  std::string path_;
};

std::string readFile(const std::string& path);

} // namespace bambuddy::testing
