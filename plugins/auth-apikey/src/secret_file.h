// Writing a small secret to a file that only the server's user can read.
#pragma once

#include <string>
#include <string_view>

namespace bambuddy::auth_apikey {

// Writes `content` to `path` with mode 0600 and fsyncs it. A new file is created exclusively
// (O_EXCL, O_NOFOLLOW); an existing one is replaced atomically by a 0600 temp file and rename,
// never written through, so a symlink planted at `path` is replaced rather than followed.
// Throws sdk::Error(BB_ERR_IO, "admin_key_file") naming the path and the system error.
void writeSecretFile(const std::string& path, std::string_view content);

} // namespace bambuddy::auth_apikey
