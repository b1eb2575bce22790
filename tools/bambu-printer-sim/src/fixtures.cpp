#include "fixtures.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bambusim {
namespace {

std::string readFixture(const std::string& name, const std::string& dir) {
  if (dir.empty()) {
    const auto& embedded = embeddedFixtures();
    auto it = embedded.find(name);
    if (it == embedded.end()) {
      std::string known;
      for (const auto& [file, content] : embedded) {
        known += " " + file;
      }
      throw std::runtime_error("no built-in fixture " + name + " (built in:" + known + ")");
    }
    return it->second;
  }
  const std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read fixture " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json sectionOf(const std::string& name, const std::string& dir, const char* key) {
  nlohmann::json doc = nlohmann::json::parse(readFixture(name, dir), nullptr, false);
  if (doc.is_discarded()) {
    throw std::runtime_error("fixture " + name + " is not valid JSON");
  }
  if (!doc.is_object() || !doc.contains(key) || !doc[key].is_object()) {
    throw std::runtime_error(std::string("fixture ") + name + " has no '" + key + "' object");
  }
  return doc[key];
}

} // namespace

FixtureSet loadFixtures(const std::string& model, const std::string& fixture_dir) {
  FixtureSet set;
  set.print = sectionOf(model + "-pushall-idle.json", fixture_dir, "print");
  set.info = sectionOf(model + "-get-version.json", fixture_dir, "info");
  return set;
}

} // namespace bambusim
