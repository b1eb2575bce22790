#include "config/config_error.h"
#include "config/json_pointer.h"
#include "config/yaml_loader.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

namespace bambuddy::config {
namespace yaml_loader_test {

// Runs `fn`, expecting a ConfigException, and returns its errors formatted one per entry.
template <class F> std::vector<std::string> errorsOf(F&& fn) {
  try {
    fn();
  } catch (const ConfigException& e) {
    std::vector<std::string> out;
    for (const ConfigError& error : e.errors()) {
      out.push_back(error.format());
    }
    return out;
  }
  ADD_FAILURE() << "expected a ConfigException";
  return {};
}

TEST(YamlLoader, ScalarTypesFollowYaml12Core) {
  LoadedDocument doc = parseYaml(R"(
int: 42
negative: -7
hex: 0x1F
octal: 0o17
float: 1.5
exp: 1e3
t: true
f: False
n1: null
n2: ~
n3:
quoted_int: "42"
single_quoted_bool: 'true'
quoted_null: "null"
block: |
  line
tagged: !!str 12
word: hello
ip: 127.0.0.1:8080
version: 1.2.3
yes_is_a_string: yes
)",
                                 "t.yaml");
  const nlohmann::json& j = doc.json;
  EXPECT_TRUE(j["int"].is_number_integer());
  EXPECT_EQ(j["int"], 42);
  EXPECT_EQ(j["negative"], -7);
  EXPECT_EQ(j["hex"], 31);
  EXPECT_EQ(j["octal"], 15);
  EXPECT_TRUE(j["float"].is_number_float());
  EXPECT_DOUBLE_EQ(j["float"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(j["exp"].get<double>(), 1000.0);
  EXPECT_EQ(j["t"], true);
  EXPECT_EQ(j["f"], false);
  EXPECT_TRUE(j["n1"].is_null());
  EXPECT_TRUE(j["n2"].is_null());
  EXPECT_TRUE(j["n3"].is_null());
  EXPECT_EQ(j["quoted_int"], "42");
  EXPECT_EQ(j["single_quoted_bool"], "true");
  EXPECT_EQ(j["quoted_null"], "null");
  EXPECT_EQ(j["block"], "line\n");
  EXPECT_EQ(j["tagged"], "12");
  EXPECT_EQ(j["word"], "hello");
  EXPECT_EQ(j["ip"], "127.0.0.1:8080");
  EXPECT_EQ(j["version"], "1.2.3");
  EXPECT_EQ(j["yes_is_a_string"], "yes");
}

TEST(YamlLoader, SequencesMapsAndAliases) {
  LoadedDocument doc =
      parseYaml("base: &b {x: 1, y: [a, 2]}\ncopy: *b\nlist:\n  - 1\n  - {k: v}\n", "t.yaml");
  EXPECT_EQ(doc.json["base"], nlohmann::json::parse(R"({"x":1,"y":["a",2]})"));
  EXPECT_EQ(doc.json["copy"], doc.json["base"]);
  EXPECT_EQ(doc.json["list"], nlohmann::json::parse(R"([1,{"k":"v"}])"));
}

TEST(YamlLoader, EmptyAndCommentOnlyFilesAreNull) {
  EXPECT_TRUE(parseYaml("", "t.yaml").json.is_null());
  EXPECT_TRUE(parseYaml("# nothing here\n\n", "t.yaml").json.is_null());
}

TEST(YamlLoader, LinesMapPointersToKeyLines) {
  LoadedDocument doc = parseYaml(R"(server:
  listen: 1.2.3.4:5
plugins:
  load:
    - name: a.b
    - name: c.d
      config:
        topic: x
)",
                                 "t.yaml");
  EXPECT_EQ(doc.lines.at("/server"), 1);
  EXPECT_EQ(doc.lines.at("/server/listen"), 2);
  EXPECT_EQ(doc.lines.at("/plugins/load"), 4);
  EXPECT_EQ(doc.lines.at("/plugins/load/0"), 5);
  EXPECT_EQ(doc.lines.at("/plugins/load/1"), 6);
  EXPECT_EQ(doc.lines.at("/plugins/load/1/config"), 7);
  EXPECT_EQ(doc.lines.at("/plugins/load/1/config/topic"), 8);
  // A missing key falls back to its nearest present ancestor.
  EXPECT_EQ(doc.lineOf("/plugins/load/1/config/missing"), 7);
  EXPECT_EQ(doc.lineOf("/plugins/load/0/name"), 5);
  EXPECT_EQ(doc.lineOf("/plugins/load/0/config/deep/er"), 5);
  EXPECT_EQ(doc.lineOf("/nothing"), 1);
  EXPECT_EQ(doc.lineOf(""), 1);
}

TEST(YamlLoader, NullValueLineIsItsKeyLine) {
  LoadedDocument doc = parseYaml("a: 1\nb:\n\n\nc: 2\n", "t.yaml");
  EXPECT_EQ(doc.lines.at("/b"), 2);
  EXPECT_EQ(doc.lines.at("/c"), 5);
}

TEST(YamlLoader, KeysNeedingPointerEscapes) {
  LoadedDocument doc = parseYaml("\"a/b\": 1\n\"c~d\": 2\n", "t.yaml");
  EXPECT_EQ(doc.lines.at("/a~1b"), 1);
  EXPECT_EQ(doc.lines.at("/c~0d"), 2);
}

TEST(YamlLoader, DuplicateKeysAreErrors) {
  auto errors = errorsOf([] { parseYaml("a: 1\nserver:\n  threads: 2\n  threads: 3\na: 2\n", "dup.yaml"); });
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "dup.yaml:4 server.threads: duplicate key (first defined on line 3)");
  EXPECT_EQ(errors[1], "dup.yaml:5 a: duplicate key (first defined on line 1)");
}

TEST(YamlLoader, NonScalarAndEmptyKeysAreErrors) {
  auto errors = errorsOf([] { parseYaml("ok: 1\n? [1, 2]\n: x\n", "k.yaml"); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "k.yaml:2: mapping keys must be plain values, not lists or maps");
  errors = errorsOf([] { parseYaml("outer:\n  : x\n", "k.yaml"); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "k.yaml:2 outer: empty mapping key");
}

TEST(YamlLoader, SyntaxErrorNamesLineAndColumn) {
  auto errors = errorsOf([] { parseYaml("a: [1,\n", "bad.yaml"); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "bad.yaml:2: invalid YAML (column 1): end of sequence flow not found");
}

TEST(YamlLoader, SeveralDocumentsAreRefused) {
  auto errors = errorsOf([] { parseYaml("a: 1\n---\nb: 2\n", "multi.yaml"); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("multi.yaml:"), std::string::npos);
  EXPECT_NE(errors[0].find("only one is allowed"), std::string::npos);
}

// yaml-cpp 0.7's LoadAll never returns on a line holding only ',' (it reports empty documents
// forever, allocating); found by tests/fuzz/yaml_config. Run on a thread so a hang fails the test.
TEST(YamlLoader, StrayCommaIsAnErrorNotAHang) {
  for (const std::string text : {",", "\n,\n", "# comment\n,    # more\n"}) {
    auto promise = std::make_shared<std::promise<std::vector<std::string>>>();
    std::future<std::vector<std::string>> result = promise->get_future();
    std::thread([promise, text] {
      promise->set_value(errorsOf([&] { parseYaml(text, "comma.yaml"); }));
    }).detach();
    ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready)
        << "parseYaml hangs on " << text;
    std::vector<std::string> errors = result.get();
    ASSERT_EQ(errors.size(), 1u) << text;
    EXPECT_EQ(errors[0].rfind("comma.yaml:", 0), 0u) << errors[0];
  }
}

TEST(YamlLoader, RecursiveAliasIsAnErrorNotACrash) {
  auto errors = errorsOf([] { parseYaml("a: &x [*x]\n", "loop.yaml"); });
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("nested too deeply"), std::string::npos);
}

// Block-style maps nested `levels` deep: "k:\n  k:\n    k: 1".
std::string nestedMaps(int levels) {
  std::string text;
  for (int i = 0; i < levels; ++i) {
    text += std::string(static_cast<size_t>(i) * 2, ' ') + "k:" + (i + 1 == levels ? " 1\n" : "\n");
  }
  return text;
}

TEST(YamlLoader, NestingUpToTheJsonDepthLimitIsAccepted) {
  LoadedDocument doc = parseYaml(nestedMaps(64), "deep.yaml");
  const nlohmann::json* node = &doc.json;
  int depth = 0;
  while (node->is_object()) {
    node = &(*node)["k"];
    ++depth;
  }
  EXPECT_EQ(depth, 64);
  EXPECT_EQ(*node, 1);
}

TEST(YamlLoader, NestingPastTheLimitNamesFileAndLine) {
  auto errors = errorsOf([] { parseYaml(nestedMaps(65), "deep.yaml"); });
  ASSERT_EQ(errors.size(), 1u);
  // The 65th map is the value of the key on line 64.
  EXPECT_EQ(errors[0].rfind("deep.yaml:64 k.k.", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("nest at most 64 levels"), std::string::npos) << errors[0];
}

TEST(YamlLoader, TwoHundredLevelsAreAConfigErrorNotACrash) {
  auto block = errorsOf([] { parseYaml(nestedMaps(200), "deep.yaml"); });
  ASSERT_EQ(block.size(), 1u);
  EXPECT_NE(block[0].find("nest at most 64 levels"), std::string::npos) << block[0];
  auto flow =
      errorsOf([] { parseYaml("a: " + std::string(200, '[') + std::string(200, ']') + "\n", "flow.yaml"); });
  ASSERT_EQ(flow.size(), 1u);
  EXPECT_EQ(flow[0].rfind("flow.yaml:1 a", 0), 0u) << flow[0];
  // Far deeper than yaml-cpp's own guard (2000): its parser stops with a syntax error.
  auto huge = errorsOf([] { parseYaml(std::string(100000, '[') + std::string(100000, ']'), "huge.yaml"); });
  ASSERT_EQ(huge.size(), 1u);
  EXPECT_EQ(huge[0].rfind("huge.yaml:1: invalid YAML", 0), 0u) << huge[0];
}

TEST(YamlLoader, AliasBombIsRefused) {
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 7; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) {
      text += (k ? ", " : "") + prev;
    }
    text += "]\n";
  }
  auto errors = errorsOf([&] { parseYaml(text, "bomb.yaml"); });
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("document too large"), std::string::npos);
}

TEST(YamlLoader, ValuesJsonCannotHoldAreErrors) {
  auto errors = errorsOf([] { parseYaml("big: 99999999999999999999\ninf: .inf\n", "n.yaml"); });
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "n.yaml:1 big: integer out of range: 99999999999999999999");
  EXPECT_EQ(errors[1], "n.yaml:2 inf: infinite and NaN numbers are not supported: .inf");
}

TEST(YamlLoader, TagsAreCheckedOrRefused) {
  EXPECT_EQ(parseYaml("a: !!int 5\nb: !!float 2\n", "t.yaml").json,
            nlohmann::json::parse(R"({"a":5,"b":2.0})"));
  auto errors = errorsOf([] { parseYaml("a: !!int abc\nb: !custom 1\n", "t.yaml"); });
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "t.yaml:1 a: value 'abc' does not match its tag 'tag:yaml.org,2002:int'");
  EXPECT_EQ(errors[1], "t.yaml:2 b: unsupported YAML tag '!custom'");
}

TEST(YamlLoader, InvalidUtf8IsRefused) {
  auto errors = errorsOf([] { parseYaml("a: \"\xff\xfe\"\n", "u.yaml"); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("invalid UTF-8"), std::string::npos);
  EXPECT_EQ(parseYaml("a: \"h\xc3\xa9\"\n", "u.yaml").json["a"], "h\xc3\xa9");
}

TEST(YamlLoader, FilesAreReadAndUnreadableOnesReported) {
  testing::TempDir dir;
  std::string path = dir.write("c.yaml", "x: 1\n");
  EXPECT_EQ(loadYamlFile(path).json["x"], 1);
  EXPECT_EQ(loadYamlFile(path).file, path);
  auto errors = errorsOf([&] { loadYamlFile(dir.file("missing.yaml")); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], dir.file("missing.yaml") + ": cannot read file: No such file or directory");
  errors = errorsOf([&] { loadYamlFile(dir.path()); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], dir.path() + ": cannot read file: it is a directory");
}

TEST(ConfigErrorFormat, AllShapes) {
  EXPECT_EQ((ConfigError{"config/bambuddy.yaml", 12, "plugins.load[2].config.topic", "required"}.format()),
            "config/bambuddy.yaml:12 plugins.load[2].config.topic: required");
  EXPECT_EQ((ConfigError{"f.yaml", 3, "", "invalid YAML"}.format()), "f.yaml:3: invalid YAML");
  EXPECT_EQ((ConfigError{"f.yaml", 0, "", "cannot read file"}.format()), "f.yaml: cannot read file");
  EXPECT_EQ((ConfigError{"", 0, "", "BAMBUDDY_LISTEN=x: missing port"}.format()),
            "BAMBUDDY_LISTEN=x: missing port");
  ConfigException e({ConfigError{"a", 1, "x", "m1"}, ConfigError{"a", 2, "", "m2"}});
  EXPECT_STREQ(e.what(), "a:1 x: m1\na:2: m2");
}

TEST(JsonPointer, DisplayPath) {
  EXPECT_EQ(displayPath(""), "");
  EXPECT_EQ(displayPath("/plugins/load/2/config/topic"), "plugins.load[2].config.topic");
  EXPECT_EQ(displayPath("/a~1b/c~0d"), "a/b.c~d");
  EXPECT_EQ(displayPath("/0/x"), "[0].x");
  // With the document, a numeric key of an object stays a key.
  nlohmann::json doc = nlohmann::json::parse(R"({"codes": {"2": {"x": 1}}, "list": [[5]]})");
  EXPECT_EQ(displayPath("/codes/2/x", &doc), "codes.2.x");
  EXPECT_EQ(displayPath("/list/0/0", &doc), "list[0][0]");
  EXPECT_EQ(displayPath("/list/3/name", &doc), "list[3].name");
  EXPECT_EQ(childPointer("/a", "b/c"), "/a/b~1c");
  EXPECT_EQ(childPointer("", std::size_t{3}), "/3");
  EXPECT_EQ(splitPointer("/a~1b/~0"), (std::vector<std::string>{"a/b", "~"}));
}

} // namespace yaml_loader_test
} // namespace bambuddy::config
