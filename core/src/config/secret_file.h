// Reads a secret from a file named in the config (`<field>_file: /run/secrets/x1c`), the way
// Docker secrets and systemd credentials hand them to a service.
#pragma once

#include <cstddef>
#include <string>

namespace bambuddy::config {

inline constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

struct SecretFileContent {
  std::string value; // the content without trailing CR/LF (valid only when ok())
  std::string error; // names the path and the reason, never any content
  bool ok() const { return error.empty(); }
};

// Reads `path` (a relative path is taken against `base_dir`, the config file's directory).
// Only a regular file (a symlink to one is fine) of at most kMaxSecretFileBytes is read; its
// trailing "\n" and "\r" characters are dropped; the rest must be UTF-8 without NUL bytes.
SecretFileContent readSecretFile(const std::string& path, const std::string& base_dir);

} // namespace bambuddy::config
