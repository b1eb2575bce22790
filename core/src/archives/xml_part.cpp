#include "archives/xml_part.h"

#include "archives/text_values.h"
#include "archives/three_mf_error.h"

#include <cstring>

namespace bambuddy::archives {
namespace {

// 1-based line and column (in bytes) of `offset` in `text`.
std::pair<std::size_t, std::size_t> lineAndColumn(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t line_start = 0;
  const std::size_t end = offset < text.size() ? offset : text.size();
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, end - line_start + 1};
}

} // namespace

std::string_view localName(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const std::size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

void loadXmlPart(pugi::xml_document& doc, std::string_view text, std::string_view entry_name,
                 std::string_view root, bool unclosed_root_ok) {
  const std::string entry = displayName(entry_name);
  const pugi::xml_parse_result result = doc.load_buffer(text.data(), text.size(), pugi::parse_default);
  const auto offset = static_cast<std::size_t>(result.offset < 0 ? 0 : result.offset);
  // pugixml reports a document that just stops with elements open as a tag mismatch at its
  // last byte; the tree then holds everything before.
  const bool cut_short = result.status == pugi::status_end_element_mismatch && offset + 1 >= text.size();
  if (!result && !(unclosed_root_ok && cut_short)) {
    const auto [line, column] = lineAndColumn(text, offset);
    throw ThreeMfError(ThreeMfErrorCode::MalformedMetadata,
                       entry + ": malformed XML at line " + std::to_string(line) + ", column " +
                           std::to_string(column) + ": " + result.description());
  }
  const pugi::xml_node element = doc.document_element();
  if (!element) {
    throw ThreeMfError(ThreeMfErrorCode::MalformedMetadata, entry + ": malformed XML: no root element");
  }
  if (localName(element) != root) {
    throw ThreeMfError(ThreeMfErrorCode::MalformedMetadata, entry + ": root element is <" +
                                                                displayName(element.name()) +
                                                                ">, expected <" + std::string(root) + ">");
  }
}

std::map<std::string, std::string, std::less<>> keyedMetadata(const pugi::xml_node& node) {
  std::map<std::string, std::string, std::less<>> out;
  for (const pugi::xml_node& child : node.children()) {
    if (child.type() != pugi::node_element || localName(child) != "metadata") {
      continue;
    }
    const pugi::xml_attribute key = child.attribute("key");
    if (key) {
      out.emplace(key.value(), child.attribute("value").value());
    }
  }
  return out;
}

} // namespace bambuddy::archives
