// Fields of PostgreSQL's COPY ... FROM STDIN text format: tab-separated, one row a line, \N for
// NULL, backslash escapes. The SQLite-to-PostgreSQL copy streams rows in it (far faster than one
// INSERT a row over the network).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bambuddy::storage::copy_text {

void appendNull(std::string& out);
void appendInteger(std::string& out, int64_t value);
// The shortest decimal that reads back as the same double; Infinity, -Infinity and NaN spelled
// as PostgreSQL reads them.
void appendDouble(std::string& out, double value);
// Bytes of a text value, with backslash, tab, newline and carriage return escaped.
void appendText(std::string& out, const char* data, std::size_t size);
// A bytea value in hex form (\x0a1b...), its backslash escaped for the COPY stream.
void appendBytea(std::string& out, const unsigned char* data, std::size_t size);

// Between two fields of a row, and after its last one.
inline void endField(std::string& out) {
  out += '\t';
}
// Replaces the tab after a row's last field with the end of the line.
inline void endRow(std::string& out) {
  out.back() = '\n';
}

} // namespace bambuddy::storage::copy_text
