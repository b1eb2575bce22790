// Loading one XML part of the archive with pugixml, with errors that name the part and the
// line and column of the problem.
#pragma once

#include <pugixml.hpp>

#include <map>
#include <string>
#include <string_view>

namespace bambuddy::archives {

// Parses `text`, the content of entry `entry_name`, into `doc` and checks that the root
// element's local name is `root` (so "<m:model>" counts as "model"). Throws
// ThreeMfError(MalformedMetadata): "<entry>: malformed XML at line L, column C: <reason>" or
// "<entry>: root element is <x>, expected <root>". With `unclosed_root_ok`, text that ends
// while elements are still open (a prefix of a larger part) is accepted as far as it goes.
void loadXmlPart(pugi::xml_document& doc, std::string_view text, std::string_view entry_name,
                 std::string_view root, bool unclosed_root_ok = false);

// "model" for "model" and for "m:model".
std::string_view localName(const pugi::xml_node& node);

// The key/value pairs of `node`'s <metadata key="..." value="..."/> children (Bambu's config
// files); the first occurrence of a key wins.
std::map<std::string, std::string, std::less<>> keyedMetadata(const pugi::xml_node& node);

} // namespace bambuddy::archives
