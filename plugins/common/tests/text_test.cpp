// utf8, base64 and RFC 2047 helpers of the shared text library (dates: tests/unit/common/date_time_test.cpp).
#include "text/base64.h"
#include "text/rfc2047.h"
#include "text/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace bambuddy::common::text {
namespace text_test {

TEST(Utf8, SequenceLengthRejectsIllFormedBytes) {
  EXPECT_EQ(utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(utf8SequenceLength("\xC3\xA9", 0), 2u);         // é
  EXPECT_EQ(utf8SequenceLength("\xE2\x82\xAC", 0), 3u);     // €
  EXPECT_EQ(utf8SequenceLength("\xF0\x9F\x98\x80", 0), 4u); // 😀
  EXPECT_EQ(utf8SequenceLength("\x80", 0), 0u);             // stray continuation
  EXPECT_EQ(utf8SequenceLength("\xC0\xAF", 0), 0u);         // overlong '/'
  EXPECT_EQ(utf8SequenceLength("\xE0\x80\xAF", 0), 0u);     // overlong
  EXPECT_EQ(utf8SequenceLength("\xED\xA0\x80", 0), 0u);     // surrogate U+D800
  EXPECT_EQ(utf8SequenceLength("\xF4\x90\x80\x80", 0), 0u); // beyond U+10FFFF
  EXPECT_EQ(utf8SequenceLength("\xE2\x82", 0), 0u);         // truncated
  EXPECT_TRUE(isValidUtf8("caf\xC3\xA9"));
  EXPECT_FALSE(isValidUtf8("caf\xC3"));
  EXPECT_TRUE(isAscii("plain"));
  EXPECT_FALSE(isAscii("caf\xC3\xA9"));
}

TEST(Utf8, SnippetNeverSplitsACharacterAndStaysValid) {
  std::string euros;
  for (int i = 0; i < 400; ++i) {
    euros += "\xE2\x82\xAC"; // 3 bytes each
  }
  std::string s = utf8Snippet(euros, 1023);
  EXPECT_EQ(s.size(), 1023u); // 341 whole characters
  EXPECT_TRUE(isValidUtf8(s));
  std::string t = utf8Snippet("ab" + euros, 1023);
  EXPECT_EQ(t.size(), 1022u); // "ab" + 340 characters; the 341st would need 1025 bytes
  EXPECT_TRUE(isValidUtf8(t));
}

TEST(Utf8, SnippetReplacesBadBytesAndNul) {
  std::string raw("ok\xFF\x00x", 5);
  EXPECT_EQ(utf8Snippet(raw, 100), "ok\xEF\xBF\xBD\xEF\xBF\xBDx");
  EXPECT_EQ(utf8Snippet("abc", 0), "");
  EXPECT_EQ(utf8Snippet("abc", 2), "ab");
}

TEST(Utf8, SingleLineRemovesLineBreaks) {
  EXPECT_EQ(singleLine("  Title\r\nInjected: yes\t "), "Title  Injected: yes");
  EXPECT_EQ(singleLine("\r\n"), "");
}

TEST(Base64, MatchesRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64Encode(plain), encoded);
    ASSERT_TRUE(base64Decode(encoded).has_value()) << encoded;
    EXPECT_EQ(*base64Decode(encoded), plain);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  EXPECT_EQ(base64Decode(base64Encode(all)), all);
}

TEST(Base64, DecodeIsStrict) {
  EXPECT_FALSE(base64Decode("Zg=").has_value());        // length
  EXPECT_FALSE(base64Decode("Zm9v!A==").has_value());   // alphabet
  EXPECT_FALSE(base64Decode("Zg==Zg==").has_value());   // padding in the middle
  EXPECT_FALSE(base64Decode("Zh==").has_value());       // non-zero unused bits
  EXPECT_FALSE(base64Decode("Zm9v\nYmFy").has_value()); // whitespace
  EXPECT_FALSE(base64Decode("Zm9v_-==").has_value());   // base64url is another alphabet
}

// Decodes the words back (independently of encodedWords) to check the round trip.
std::string decodeWords(const std::string& header) {
  std::string out;
  size_t pos = 0;
  while ((pos = header.find("=?UTF-8?B?", pos)) != std::string::npos) {
    size_t end = header.find("?=", pos + 10);
    out += *base64Decode(header.substr(pos + 10, end - pos - 10));
    pos = end + 2;
  }
  return out;
}

TEST(Rfc2047, AsciiStaysAndUtf8IsEncodedInShortWords) {
  EXPECT_EQ(headerText("Print finished: benchy.3mf"), "Print finished: benchy.3mf");
  EXPECT_EQ(headerText("Druck fertig: W\xC3\xBCrfel"), "=?UTF-8?B?RHJ1Y2sgZmVydGlnOiBXw7xyZmVs?=");
  std::string long_text;
  for (int i = 0; i < 60; ++i) {
    long_text += "\xF0\x9F\x96\xA8 x"; // 🖨 x: a 4-byte character that must never be cut
  }
  std::vector<std::string> words = encodedWords(long_text);
  ASSERT_GT(words.size(), 3u);
  for (const std::string& w : words) {
    EXPECT_LE(w.size(), 75u) << w;
    EXPECT_TRUE(w.size() >= 60 || &w == &words.back()) << "words are filled: " << w;
    std::string inner = *base64Decode(w.substr(10, w.size() - 12));
    EXPECT_TRUE(isValidUtf8(inner)) << "a word split a character: " << w;
  }
  EXPECT_EQ(decodeWords(headerText(long_text, "\r\n ")), long_text);
  // With "Subject: " already on the first line, that line stays within 76 characters too.
  std::vector<std::string> offset_words = encodedWords(long_text, 9);
  EXPECT_LE(9 + offset_words.front().size(), 76u);
  EXPECT_LE(offset_words.back().size(), 75u);
  EXPECT_TRUE(encodedWords("").empty());
  // Control characters are not printable ASCII either: encoded, never passed raw into a header.
  EXPECT_NE(headerText("a\r\nb").find("=?UTF-8?B?"), std::string::npos);
}

} // namespace text_test
} // namespace bambuddy::common::text
