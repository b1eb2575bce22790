#include "plugins/shared_library.h"

#include <boost/dll/shared_library.hpp>

namespace bambuddy::plugins {

struct SharedLibrary::Impl {
  boost::dll::shared_library library;
};

SharedLibrary::SharedLibrary(std::string path, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), impl_(std::move(impl)) {}

SharedLibrary::~SharedLibrary() = default;

std::unique_ptr<SharedLibrary> SharedLibrary::open(const std::string& path, std::string& error) {
  auto impl = std::make_unique<Impl>();
  boost::dll::fs::error_code ec;
  // rtld_now: a plugin with unresolved symbols fails here, not on its first call.
  impl->library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    error = ec.message();
    return nullptr;
  }
  return std::unique_ptr<SharedLibrary>(new SharedLibrary(path, std::move(impl)));
}

void* SharedLibrary::symbol(const char* name) const {
  if (!impl_->library.has(name)) {
    return nullptr;
  }
  return reinterpret_cast<void*>(&impl_->library.get<char>(name));
}

} // namespace bambuddy::plugins
