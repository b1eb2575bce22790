// The one UTF-8 check (bambuddy/utf8.hpp, utfcpp underneath) that config, storage, archives,
// plugins/common and the printer driver use: what is well-formed, and the byte-wise repair.
#include <bambuddy/utf8.hpp>

#include <gtest/gtest.h>

#include <string>

namespace bambuddy::sdk {
namespace utf8_test {

const std::string kFffd(kUtf8Replacement);

TEST(Utf8, WellFormedTextPasses) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8(std::string("nul \0 inside", 12))); // NUL is a character; callers decide
  EXPECT_TRUE(isValidUtf8("\xE2\x96\xBA \xF0\x9F\x98\x80 \xC3\xA9"));
  EXPECT_TRUE(isValidUtf8("\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));
}

TEST(Utf8, IllFormedTextIsRefused) {
  for (const char* bad : {
           "\xC0\xAF",         // overlong '/'
           "\xC1\xBF",         // overlong
           "\xE0\x9F\xBF",     // overlong below U+0800
           "\xF0\x8F\xBF\xBF", // overlong below U+10000
           "\xED\xA0\x80",     // surrogate
           "\xED\xBF\xBF",     // surrogate
           "\xF4\x90\x80\x80", // above U+10FFFF
           "\xF5\x80\x80\x80", // lead byte that never starts a sequence
           "\xFF",
           "\xE2\x96",     // truncated
           "a\xE2\x96",    // truncated at the end
           "\xE2\x41\xBA", // continuation missing
           "\x80",         // stray continuation
       }) {
    EXPECT_FALSE(isValidUtf8(bad)) << testing::PrintToString(std::string(bad));
  }
}

TEST(Utf8, SequenceLengthAtAPosition) {
  const std::string text = "a\xC3\xA9\xE2\x96\xBA\xF0\x9F\x98\x80\x80";
  EXPECT_EQ(utf8SequenceLength(text, 0), 1u);
  EXPECT_EQ(utf8SequenceLength(text, 1), 2u);
  EXPECT_EQ(utf8SequenceLength(text, 2), 0u); // inside a character
  EXPECT_EQ(utf8SequenceLength(text, 3), 3u);
  EXPECT_EQ(utf8SequenceLength(text, 6), 4u);
  EXPECT_EQ(utf8SequenceLength(text, 10), 0u);
  EXPECT_EQ(utf8SequenceLength(text, 11), 0u); // past the end
  EXPECT_EQ(utf8SequenceLength("\xE2\x96", 0), 0u);
}

TEST(Utf8, RepairReplacesEachBadByte) {
  EXPECT_EQ(repairUtf8("a\xFF"
                       "b"),
            "a" + kFffd + "b");
  EXPECT_EQ(repairUtf8("\xE2\x96\xBA"), "\xE2\x96\xBA");
  EXPECT_EQ(repairUtf8("\xE2\x96"), kFffd + kFffd);
  // A broken sequence never swallows the good character after it.
  EXPECT_EQ(repairUtf8("\xE2\x96\xC3\xA9"), kFffd + kFffd + "\xC3\xA9");
  EXPECT_EQ(repairUtf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  EXPECT_TRUE(isValidUtf8(repairUtf8("\xC0\xAF\xF4\x90\x80\x80 ok \x80")));
}

} // namespace utf8_test
} // namespace bambuddy::sdk
