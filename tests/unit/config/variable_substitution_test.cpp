// ${VAR} references in config string values (config/variable_substitution.h): the forms, the
// escape, errors that name file:line and the variable but never a value, and the real process
// environment through Environment::fromProcess.
#include "config/config_error.h"
#include "config/core_config.h"
#include "config/variable_substitution.h"
#include "config/yaml_loader.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

namespace bambuddy::config {
namespace variable_substitution_test {

using nlohmann::json;

VariableLookup fixed(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

std::string sub(const std::string& text, const VariableLookup& lookup) {
  SubstitutionResult r = substituteVariables(text, lookup);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error;
  return r.value;
}

std::string errorOf(const std::string& text, const VariableLookup& lookup) {
  SubstitutionResult r = substituteVariables(text, lookup);
  EXPECT_FALSE(r.ok()) << text << " gave " << r.value;
  return r.error;
}

std::vector<std::string> loadErrors(const std::string& yaml, const VariableLookup& lookup) {
  try {
    parseYaml(yaml, "s.yaml", lookup);
  } catch (const ConfigException& e) {
    std::vector<std::string> out;
    for (const ConfigError& error : e.errors()) {
      out.push_back(error.format());
    }
    return out;
  }
  ADD_FAILURE() << "expected a ConfigException for:\n" << yaml;
  return {};
}

TEST(VariableSubstitution, Forms) {
  auto vars = fixed({{"HOST", "printer.lan"}, {"EMPTY", ""}, {"CODE", "12345678"}});
  EXPECT_EQ(sub("${HOST}", vars), "printer.lan");
  EXPECT_EQ(sub("mqtts://${HOST}:8883/${CODE}", vars), "mqtts://printer.lan:8883/12345678");
  EXPECT_EQ(sub("${MISSING:-fallback}", vars), "fallback");
  EXPECT_EQ(sub("${HOST:-fallback}", vars), "printer.lan");
  // POSIX: ":-" also replaces an empty value, "-" only a missing one; ${EMPTY} is set and empty.
  EXPECT_EQ(sub("${EMPTY:-fallback}", vars), "fallback");
  EXPECT_EQ(sub("[${EMPTY-fallback}]", vars), "[]");
  EXPECT_EQ(sub("${MISSING-fallback}", vars), "fallback");
  EXPECT_EQ(sub("[${EMPTY}]", vars), "[]");
  EXPECT_EQ(sub("${MISSING:-}", vars), "");
  EXPECT_EQ(sub("${MISSING:-a b:c-d}", vars), "a b:c-d");
}

TEST(VariableSubstitution, EscapeAndPlainDollars) {
  auto vars = fixed({{"A", "x"}});
  EXPECT_EQ(sub("$${A}", vars), "${A}");
  EXPECT_EQ(sub("cost $5, pa$$word, $A, ${A}$", vars), "cost $5, pa$$word, $A, x$");
  EXPECT_EQ(sub("$${A} and ${A}", vars), "${A} and x");
  EXPECT_EQ(sub("$${", vars), "${");
  // A value is not substituted again: a variable holding "${B}" stays that text.
  EXPECT_EQ(sub("${A}", fixed({{"A", "${B}"}})), "${B}");
  EXPECT_FALSE(hasVariableSyntax("pa$$word {x}"));
  EXPECT_TRUE(hasVariableSyntax("$${x}"));
}

TEST(VariableSubstitution, ErrorsNameTheVariableButNoValue) {
  auto vars = fixed({{"SET", "s3cr3t-value"}});
  std::string unset = errorOf("${NOT_SET}", vars);
  EXPECT_NE(unset.find("NOT_SET is not set"), std::string::npos) << unset;
  EXPECT_NE(errorOf("${", vars).find("unterminated"), std::string::npos);
  EXPECT_NE(errorOf("${SET", vars).find("unterminated"), std::string::npos);
  EXPECT_NE(errorOf("${}", vars).find("invalid variable reference"), std::string::npos);
  EXPECT_NE(errorOf("${1X}", vars).find("invalid variable reference"), std::string::npos);
  std::string other = errorOf("${SET:+alt} ${SET}", vars);
  EXPECT_NE(other.find("unsupported form of ${SET"), std::string::npos) << other;
  EXPECT_EQ(other.find("s3cr3t"), std::string::npos) << other;
  // No lookup at all: nothing is set.
  EXPECT_NE(errorOf("${HOME}", VariableLookup()).find("HOME is not set"), std::string::npos);
}

TEST(VariableSubstitution, YamlStringValuesOnly) {
  auto vars = fixed({{"CODE", "01234567"}, {"NAME", "x1c"}, {"N", "5"}});
  LoadedDocument doc = parseYaml("plain: ${CODE}\n"
                                 "quoted: \"${CODE}\"\n"
                                 "single: '${NAME}-a'\n"
                                 "block: |\n  ${NAME}\n"
                                 "number: ${N}\n"
                                 "${NAME}: key stays\n"
                                 "list:\n  - ${NAME}\n  - $${NAME}\n  - 7\n"
                                 "flow: [\"${NAME}\", '${CODE}']\n"
                                 "default: ${NOPE:-8883}\n",
                                 "t.yaml", vars);
  // Substituted values are strings, quoted or not: an all-digit access code stays text.
  EXPECT_EQ(doc.json["plain"], "01234567");
  EXPECT_EQ(doc.json["quoted"], "01234567");
  EXPECT_EQ(doc.json["single"], "x1c-a");
  EXPECT_EQ(doc.json["block"], "x1c\n");
  EXPECT_EQ(doc.json["number"], "5");
  EXPECT_EQ(doc.json["default"], "8883");
  EXPECT_EQ(doc.json["${NAME}"], "key stays");
  EXPECT_EQ(doc.json["list"], json::parse(R"(["x1c", "${NAME}", 7])"));
  // In flow collections the reference must be quoted ({ and } are flow indicators there).
  EXPECT_EQ(doc.json["flow"], json::parse(R"(["x1c", "01234567"])"));
}

TEST(VariableSubstitution, YamlErrorsCarryFileLineAndPath) {
  auto vars = fixed({{"SECRET", "hunter2-do-not-print"}});
  auto errors = loadErrors("a: 1\n"
                           "server:\n"
                           "  listen: ${LISTEN_ADDR}\n"
                           "list:\n"
                           "  - ok\n"
                           "  - \"${SECRET} ${ALSO_MISSING}\"\n"
                           "b: ${SECRET:x}\n",
                           vars);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "s.yaml:3 server.listen: environment variable LISTEN_ADDR is not set (write "
                       "${LISTEN_ADDR:-default} to give a default)");
  EXPECT_EQ(errors[1].rfind("s.yaml:6 list[1]: environment variable ALSO_MISSING is not set", 0), 0u)
      << errors[1];
  EXPECT_EQ(errors[2].rfind("s.yaml:7 b: unsupported form of ${SECRET", 0), 0u) << errors[2];
  for (const std::string& e : errors) {
    EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
  }
}

TEST(VariableSubstitution, InvalidUtf8FromTheEnvironmentIsRefused) {
  auto errors = loadErrors("a: ${BAD}\n", fixed({{"BAD", "\xff\xfe"}}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "s.yaml:1 a: invalid UTF-8 in the value after ${...} substitution");
}

TEST(VariableSubstitution, AliasesCannotMultiplyAHugeValue) {
  std::string yaml = "a: &x ${BIG}\nb: [";
  for (int i = 0; i < 40; ++i) {
    yaml += std::string(i == 0 ? "" : ", ") + "*x";
  }
  yaml += "]\n";
  auto errors = loadErrors(yaml, fixed({{"BIG", std::string(1024 * 1024, 'x')}}));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("exceed 16 MiB in total"), std::string::npos) << errors[0];
}

// The real process environment, through the path the server takes (loadCoreConfig with
// Environment::fromProcess), with the existing BAMBUDDY_* overrides still applied.
TEST(VariableSubstitution, CoreConfigUsesTheProcessEnvironment) {
  testing::TempDir dir;
  std::string path = dir.write("conf/bambuddy.yaml", "server:\n"
                                                     "  listen: ${BB_TEST_LISTEN:-127.0.0.1:9}\n"
                                                     "  web_ui: false\n"
                                                     "data_dir: ${BB_TEST_DATA}/d\n"
                                                     "log:\n"
                                                     "  level: ${BB_TEST_LEVEL}\n");
  setenv("BB_TEST_DATA", dir.path().c_str(), 1);
  setenv("BB_TEST_LEVEL", "debug", 1);
  setenv("BB_TEST_LISTEN", "", 1); // set but empty: ":-" takes the default
  CoreConfig config = loadCoreConfig(path, Environment::fromProcess());
  EXPECT_EQ(config.data_dir, dir.path() + "/d");
  EXPECT_EQ(config.log_level, LogLevel::Debug);
  EXPECT_EQ(config.server.listen_port, 9);

  setenv("BAMBUDDY_LISTEN", "127.0.0.1:7", 1);
  setenv("BAMBUDDY_DATA_DIR", (dir.path() + "/override").c_str(), 1);
  config = loadCoreConfig(path, Environment::fromProcess());
  unsetenv("BAMBUDDY_LISTEN");
  unsetenv("BAMBUDDY_DATA_DIR");
  EXPECT_EQ(config.server.listen_port, 7);
  EXPECT_EQ(config.data_dir, dir.path() + "/override");

  unsetenv("BB_TEST_LEVEL");
  try {
    loadCoreConfig(path, Environment::fromProcess());
    ADD_FAILURE() << "expected an error for the unset BB_TEST_LEVEL";
  } catch (const ConfigException& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].format(), path + ":6 log.level: environment variable BB_TEST_LEVEL is not set "
                                             "(write ${BB_TEST_LEVEL:-default} to give a default)");
  }
  unsetenv("BB_TEST_DATA");
  unsetenv("BB_TEST_LISTEN");
}

} // namespace variable_substitution_test
} // namespace bambuddy::config
