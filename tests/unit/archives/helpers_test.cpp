// The small building blocks of the 3MF reader: text cleaning, number parsing, entry-name rules
// and the end-record look-ahead.
#include "archives/entry_name.h"
#include "archives/text_values.h"
#include "archives/three_mf_error.h"
#include "archives/zip_preflight.h"

#include "three_mf_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bambuddy::archives {
namespace helpers_test {

std::string nameError(std::string_view name) {
  try {
    checkEntryName(name);
  } catch (const ThreeMfError& e) {
    EXPECT_EQ(e.code(), ThreeMfErrorCode::UnsafePath);
    return e.what();
  }
  return "";
}

TEST(ArchivesEntryName, AcceptsPlainRelativePaths) {
  for (const char* name : {"3D/3dmodel.model", "[Content_Types].xml", "Metadata/", "_rels/.rels",
                           "Auxiliaries/.thumbnails/thumbnail_3mf.png", "a..b/c...d", "\xE4\xB8\xAD.png"}) {
    EXPECT_EQ(nameError(name), "") << name;
  }
}

TEST(ArchivesEntryName, RejectsEverythingThatCouldLeaveTheDirectory) {
  EXPECT_EQ(nameError(""), "entry '' has an empty name");
  EXPECT_EQ(nameError(".."), "entry '..' escapes the archive (path traversal)");
  EXPECT_EQ(nameError("a/.."), "entry 'a/..' escapes the archive (path traversal)");
  EXPECT_EQ(nameError("../"), "entry '../' escapes the archive (path traversal)");
  EXPECT_EQ(nameError("./../x"), "entry './../x' escapes the archive (path traversal)");
  EXPECT_EQ(nameError("//server/share"), "entry '//server/share' escapes the archive (absolute path)");
  EXPECT_EQ(nameError("a/b//"), "entry 'a/b//' is not a safe relative path (empty or '.' segment)");
  EXPECT_EQ(nameError("file.txt:stream"),
            "entry 'file.txt:stream' is not a safe relative path (drive letter or colon)");
  EXPECT_EQ(nameError("a\x7f"), "entry 'a\\x7f' is not a safe relative path (control character)");
  EXPECT_EQ(nameError(std::string_view("a\0b", 3)),
            "entry 'a\\x00b' is not a safe relative path (control character)");
}

TEST(ArchivesEntryName, KeyIgnoresAsciiCaseOnly) {
  EXPECT_EQ(entryNameKey("Metadata/Plate_1.PNG"), "metadata/plate_1.png");
  EXPECT_EQ(entryNameKey("\xC3\x84.png"), "\xC3\x84.png");
}

TEST(ArchivesText, CleanTextReplacesInvalidUtf8AndTrims) {
  EXPECT_EQ(cleanText("  PLA \n"), "PLA");
  EXPECT_EQ(cleanText("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(cleanText("a\xFF"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(cleanText("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                 // overlong '/'
  EXPECT_EQ(cleanText("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // UTF-16 surrogate
  EXPECT_EQ(cleanText("\xF4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");        // above U+10FFFF
  EXPECT_EQ(cleanText("ok\xE2\x82"), "ok\xEF\xBF\xBD\xEF\xBF\xBD");             // cut-off sequence
}

TEST(ArchivesText, CleanTextCutsOnACharacterBoundary) {
  bool truncated = false;
  EXPECT_EQ(cleanText("ab\xE2\x82\xAC", 4, &truncated), "ab"); // the euro sign needs 3 bytes
  EXPECT_TRUE(truncated);
  EXPECT_EQ(cleanText("abc", 3, &truncated), "abc");
  EXPECT_FALSE(truncated);
}

TEST(ArchivesText, DisplayNameEscapesAndShortens) {
  EXPECT_EQ(displayName("a\nb\xFF"), "a\\x0ab\\xff");
  EXPECT_EQ(displayName("\xE4\xB8\xAD"), "\xE4\xB8\xAD");
  const std::string shown = displayName(std::string(500, 'n'));
  EXPECT_EQ(shown, std::string(200, 'n') + "...");
}

TEST(ArchivesText, NumbersParseWholeStringsOnly) {
  EXPECT_EQ(parseInteger(" 42 "), 42);
  EXPECT_EQ(parseInteger("-3"), -3);
  EXPECT_FALSE(parseInteger(""));
  EXPECT_FALSE(parseInteger("4x"));
  EXPECT_FALSE(parseInteger("+4"));
  EXPECT_FALSE(parseInteger("99999999999999999999"));
  EXPECT_EQ(parseDecimal("0.2"), 0.2);
  EXPECT_EQ(parseDecimal("1e3"), 1000.0);
  EXPECT_FALSE(parseDecimal("0,2"));
  EXPECT_FALSE(parseDecimal("nan"));
  EXPECT_FALSE(parseDecimal("inf"));
  EXPECT_FALSE(parseDecimal("1e999"));
}

TEST(ArchivesText, AmountsAndCountsWarnOnBadValues) {
  std::vector<std::string> warnings;
  EXPECT_EQ(amountOrWarn("2.5", "w", warnings), 2.5);
  EXPECT_FALSE(amountOrWarn("", "w", warnings)); // absent, no warning
  EXPECT_EQ(countOrWarn("12", "c", warnings), 12);
  EXPECT_EQ(countOrWarn("12.5", "c", warnings), 13);
  EXPECT_TRUE(warnings.empty());
  EXPECT_FALSE(countOrWarn("-1", "c", warnings));
  EXPECT_FALSE(countOrWarn("1e300", "c", warnings));
  EXPECT_FALSE(amountOrWarn(std::string(100, '9') + "x", "w", warnings));
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_EQ(warnings[0], "c: '-1' is not a non-negative number; ignored");
  EXPECT_EQ(warnings[2], "w: '" + std::string(40, '9') + "...' is not a non-negative number; ignored");
}

TEST(ArchivesPreflight, ReadsTheCountOfARealArchive) {
  test::ZipBuilder zip;
  zip.add("a", "1").add("b", "2").add("c", "3");
  EXPECT_EQ(declaredEntryCount(zip.build()), 3u);
}

TEST(ArchivesPreflight, FindsTheRecordBeforeAComment) {
  test::ZipBuilder zip;
  zip.add("a", "1");
  std::string bytes = zip.build();
  const std::string comment = "made by a test, PK\x05\x06 inside";
  bytes[bytes.size() - 2] = static_cast<char>(comment.size());
  bytes += comment;
  EXPECT_EQ(declaredEntryCount(bytes), 1u);
}

TEST(ArchivesPreflight, AFakeRecordInTheCommentCannotHideTheRealCount) {
  test::ZipBuilder zip;
  zip.add("a", "1");
  std::string bytes = zip.build();
  const std::size_t eocd = bytes.rfind(std::string("PK\x05\x06", 4));
  ASSERT_EQ(eocd, bytes.size() - 22);
  bytes.replace(eocd + 8, 4, std::string("\x60\xEA\x60\xEA", 4)); // the real record: 60000 entries
  // The comment holds a record of its own that claims one entry and also ends the file.
  const std::string fake = std::string("PK\x05\x06", 4) + std::string(4, '\0') +
                           std::string("\x01\x00\x01\x00", 4) + std::string(10, '\0');
  bytes[bytes.size() - 2] = static_cast<char>(fake.size());
  bytes += fake;
  EXPECT_EQ(declaredEntryCount(bytes), 60000u);
}

TEST(ArchivesPreflight, UsesTheZip64Count) {
  std::string bytes;
  // ZIP64 end record at offset 0: signature, size, versions, disks, then the 8-byte counts.
  bytes += std::string("PK\x06\x06", 4) + std::string(20, '\0');
  bytes += std::string("\x40\xE2\x01\x00\x00\x00\x00\x00", 8); // on this disk: 123456
  bytes += std::string("\x40\xE2\x01\x00\x00\x00\x00\x00", 8); // total: 123456
  bytes += std::string(16, '\0');
  // Locator: signature, disk, offset of the ZIP64 record (0), disk count.
  bytes += std::string("PK\x06\x07", 4) + std::string(4, '\0') + std::string(8, '\0') +
           std::string("\x01\x00\x00\x00", 4);
  // Classic end record with 0xFFFF counts.
  bytes += std::string("PK\x05\x06", 4) + std::string(4, '\0') + std::string("\xff\xff\xff\xff", 4) +
           std::string(10, '\0');
  EXPECT_EQ(declaredEntryCount(bytes), 123456u);
}

TEST(ArchivesPreflight, NoRecordIsNotAZip) {
  for (const std::string& bytes : {std::string(), std::string("PK"), std::string(1000, 'x')}) {
    try {
      declaredEntryCount(bytes);
      ADD_FAILURE() << "accepted " << bytes.size() << " bytes";
    } catch (const ThreeMfError& e) {
      EXPECT_EQ(e.code(), ThreeMfErrorCode::NotZip);
    }
  }
}

} // namespace helpers_test
} // namespace bambuddy::archives
