// Hand-written on glibc's <elf.h> rather than libelf: reading one section table and one symbol
// table takes a few bounded lookups, and the build then needs nothing beyond libc.
#include "elf_exports.h"

#include <elf.h>
#include <link.h> // ElfW: the ELF types of this machine's class

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace bambuddy::testing {
namespace {

constexpr size_t kMaxFileBytes = size_t{1} << 30; // sanitizer builds of a plugin stay far below

std::string readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open " + path);
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size <= 0 || static_cast<uint64_t>(size) > kMaxFileBytes) {
    throw std::runtime_error(path + " is empty or larger than 1 GiB");
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  return bytes;
}

// A T at `offset` (and `count` of them), or an exception when they would reach past the file.
template <class T> const T* at(const std::string& file, uint64_t offset, uint64_t count = 1) {
  if (offset > file.size() || count > (file.size() - offset) / sizeof(T)) {
    throw std::runtime_error("ELF table points outside the file");
  }
  return reinterpret_cast<const T*>(file.data() + offset);
}

} // namespace

std::vector<std::string> elfExportedSymbols(const std::string& path) {
  const std::string file = readWhole(path);
  const auto* header = at<ElfW(Ehdr)>(file, 0);
  if (std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0) {
    throw std::runtime_error(path + " is not an ELF file");
  }
#if __WORDSIZE == 64
  const unsigned char machine_class = ELFCLASS64;
#else
  const unsigned char machine_class = ELFCLASS32;
#endif
  if (header->e_ident[EI_CLASS] != machine_class || header->e_type != ET_DYN) {
    throw std::runtime_error(path + " is not a shared object of this machine's class");
  }
  if (header->e_shentsize != sizeof(ElfW(Shdr))) {
    throw std::runtime_error(path + " has an unexpected section header size");
  }
  const auto* sections = at<ElfW(Shdr)>(file, header->e_shoff, header->e_shnum);
  std::vector<std::string> names;
  bool found = false;
  for (size_t i = 0; i < header->e_shnum; ++i) {
    const ElfW(Shdr)& table = sections[i];
    if (table.sh_type != SHT_DYNSYM) {
      continue;
    }
    found = true;
    if (table.sh_entsize != sizeof(ElfW(Sym)) || table.sh_link >= header->e_shnum) {
      throw std::runtime_error(path + " has a malformed .dynsym");
    }
    const ElfW(Shdr)& strings = sections[table.sh_link];
    const char* text = at<char>(file, strings.sh_offset, strings.sh_size);
    const auto* symbols = at<ElfW(Sym)>(file, table.sh_offset, table.sh_size / sizeof(ElfW(Sym)));
    for (size_t s = 0; s < table.sh_size / sizeof(ElfW(Sym)); ++s) {
      const ElfW(Sym)& symbol = symbols[s];
      const unsigned bind = ELF64_ST_BIND(symbol.st_info); // same macro value for both classes
      const bool global = bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE;
      if (!global || symbol.st_shndx == SHN_UNDEF) {
        continue;
      }
      if (symbol.st_name >= strings.sh_size) {
        throw std::runtime_error(path + " has a symbol name outside its string table");
      }
      const char* name = text + symbol.st_name;
      const size_t max_len = strings.sh_size - symbol.st_name;
      names.emplace_back(name, strnlen(name, max_len));
    }
  }
  if (!found) {
    throw std::runtime_error(path + " has no dynamic symbol table");
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace bambuddy::testing
