#include "plugins/shared_library.h"

#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>

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
  // Never unmapped, even after the host lets go of it: a plugin pulls in libraries with
  // thread-local storage and exit handlers (libcurl -> GnuTLS, for one), and unmapping them while
  // threads still hold their TLS blocks or before exit runs those handlers breaks the process
  // later, far from the cause (LeakSanitizer crashed at exit on the stale TLS of a plugin unloaded
  // by a restart in tests). Boost.DLL has no such mode, so the flag is added to the loaded object;
  // the reference this takes is released at once, as the object stays anyway.
  if (void* pinned = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE)) {
    ::dlclose(pinned);
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
