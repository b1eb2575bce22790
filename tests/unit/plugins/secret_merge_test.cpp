// Settings PATCHes of plugin instances (plugins/secret_fields.h): RFC 7396 merge patch through
// nlohmann's merge_patch, except that a secret the client echoes as the mask keeps its stored value.
#include "plugins/secret_fields.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace bambuddy::plugins {
namespace secret_merge_test {

using nlohmann::json;

const std::string kSchema = R"({
  "type": "object",
  "properties": {
    "url": {"type": "string"},
    "token": {"type": "string", "writeOnly": true},
    "auth": {"type": "object", "properties": {"password": {"type": "string", "x-bambuddy-secret": true}}},
    "tags": {"type": "array"}
  }
})";

TEST(MergeSettings, FollowsRfc7396) {
  const json current = {{"url", "http://a"}, {"tags", {1, 2}}, {"auth", {{"user", "u"}, {"password", "p"}}}};
  // null deletes, objects merge member by member, arrays and scalars replace whole.
  EXPECT_EQ(mergeSettings(current, json{{"url", nullptr}, {"tags", {3}}, {"auth", {{"user", "v"}}}}, kSchema),
            (json{{"tags", {3}}, {"auth", {{"user", "v"}, {"password", "p"}}}}));
  // A nested null deletes only that member; a null for a key that is not there changes nothing.
  EXPECT_EQ(mergeSettings(current, json{{"auth", {{"user", nullptr}}}, {"absent", nullptr}}, kSchema),
            (json{{"url", "http://a"}, {"tags", {1, 2}}, {"auth", {{"password", "p"}}}}));
  // An object patch onto a scalar replaces it; nulls inside a new object are dropped.
  EXPECT_EQ(mergeSettings(json{{"url", 5}}, json{{"url", {{"a", 1}, {"b", nullptr}}}}, kSchema),
            (json{{"url", {{"a", 1}}}}));
}

TEST(MergeSettings, EchoedMasksKeepTheStoredSecrets) {
  const json current = {{"url", "http://a"}, {"token", "t0"}, {"auth", {{"password", "p0"}}}};
  const json patch = {{"url", "http://b"}, {"token", kSecretMask}, {"auth", {{"password", kSecretMask}}}};
  EXPECT_EQ(mergeSettings(current, patch, kSchema),
            (json{{"url", "http://b"}, {"token", "t0"}, {"auth", {{"password", "p0"}}}}));
  // A new value replaces, null deletes, and the mask for a secret that was never stored adds nothing.
  EXPECT_EQ(mergeSettings(current, json{{"token", "t1"}, {"auth", {{"password", nullptr}}}}, kSchema),
            (json{{"url", "http://a"}, {"token", "t1"}, {"auth", json::object()}}));
  EXPECT_EQ(mergeSettings(json{{"url", "http://a"}}, json{{"token", kSecretMask}}, kSchema),
            (json{{"url", "http://a"}}));
  // The mask in a field that is not secret is a value like any other.
  EXPECT_EQ(mergeSettings(current, json{{"url", kSecretMask}}, kSchema).at("url"), kSecretMask);
}

TEST(MergeSettings, UnparseableSchemaStillProtectsWellKnownNames) {
  EXPECT_EQ(mergeSettings(json{{"password", "p0"}, {"x", 1}}, json{{"password", kSecretMask}, {"x", 2}}, "{"),
            (json{{"password", "p0"}, {"x", 2}}));
}

} // namespace secret_merge_test
} // namespace bambuddy::plugins
