// The symbols a shared object exports: the defined global and weak entries of its dynamic symbol
// table (.dynsym), read from the ELF file itself, so the check needs no nm/readelf at test time.
#pragma once

#include <string>
#include <vector>

namespace bambuddy::testing {

// Sorted names. Throws std::runtime_error naming the problem when `path` is not a readable ELF
// shared object of this machine's class (64- or 32-bit) or its tables point outside the file.
std::vector<std::string> elfExportedSymbols(const std::string& path);

} // namespace bambuddy::testing
