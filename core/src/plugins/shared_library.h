// RAII handle on one plugin file. Only the C entry point is ever resolved from it.
#pragma once

#include <memory>
#include <string>

namespace bambuddy::plugins {

class SharedLibrary {
public:
  // Loads `path` with RTLD_NOW | RTLD_LOCAL. Returns null and sets `error` when it cannot be loaded
  // (missing file, not an ELF object, unresolved symbols).
  static std::unique_ptr<SharedLibrary> open(const std::string& path, std::string& error);
  ~SharedLibrary();
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  // The address of a C symbol, or null when the library does not export it.
  void* symbol(const char* name) const;
  const std::string& path() const { return path_; }

private:
  struct Impl;
  SharedLibrary(std::string path, std::unique_ptr<Impl> impl);
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

} // namespace bambuddy::plugins
