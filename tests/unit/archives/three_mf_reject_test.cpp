// Every way parseThreeMf refuses an upload: the error code, HTTP status and exact message.
#include "archives/three_mf.h"

#include "three_mf_fixture.h"
#include "three_mf_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>

namespace bambuddy::archives {
namespace three_mf_reject_test {

using test::minimalPackage;
using test::parseError;
using test::slicedProject;
using test::ZipBuilder;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

TEST(ThreeMfReject, EmptyUpload) {
  const ThreeMfError error = parseError("");
  EXPECT_EQ(error.code(), ThreeMfErrorCode::NotZip);
  EXPECT_EQ(error.httpStatus(), 400);
  EXPECT_EQ(error.codeName(), "not_zip");
  EXPECT_STREQ(error.what(), "not a zip archive (the upload is empty)");
}

TEST(ThreeMfReject, RandomBytes) {
  std::mt19937 random(42);
  std::string bytes(4096, '\0');
  for (char& c : bytes) {
    c = static_cast<char>(random() & 0xFF);
  }
  const ThreeMfError error = parseError(bytes);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::NotZip);
  EXPECT_STREQ(error.what(), "not a zip archive (no end-of-central-directory record: not a zip file, or the "
                             "upload is truncated)");
  EXPECT_EQ(parseError("PK\x03\x04").code(), ThreeMfErrorCode::NotZip);
}

TEST(ThreeMfReject, TruncatedEndOfArchive) {
  const std::string bytes = slicedProject().build();
  const ThreeMfError error = parseError(bytes.substr(0, bytes.size() - 30));
  EXPECT_EQ(error.code(), ThreeMfErrorCode::NotZip);
  EXPECT_THAT(error.what(), HasSubstr("truncated"));
}

TEST(ThreeMfReject, TruncatedInTheMiddleOrMissingItsStart) {
  const std::string bytes = slicedProject().build();
  // The end record survives but the offsets it holds point past the data.
  const ThreeMfError front = parseError(bytes.substr(100));
  EXPECT_EQ(front.code(), ThreeMfErrorCode::NotZip);
  EXPECT_STREQ(front.what(), "not a valid zip archive (its directory does not match its entries: damaged or "
                             "truncated)");
  const std::string middle = bytes.substr(0, bytes.size() / 2) + bytes.substr(bytes.size() - 200);
  EXPECT_EQ(parseError(middle).code(), ThreeMfErrorCode::NotZip);
}

TEST(ThreeMfReject, ZipWithoutTheModelPart) {
  ZipBuilder zip = slicedProject();
  zip.remove("3D/3dmodel.model");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::NotThreeMf);
  EXPECT_EQ(error.codeName(), "not_3mf");
  EXPECT_STREQ(error.what(), "not a 3MF file: 3D/3dmodel.model missing");
}

TEST(ThreeMfReject, ZipOfSomethingElse) {
  ZipBuilder zip;
  zip.add("readme.txt", "hello").add("photo.jpg", "\xff\xd8\xff");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::NotThreeMf);
  EXPECT_STREQ(error.what(), "not a 3MF file: [Content_Types].xml and 3D/3dmodel.model missing");
  // An empty archive is just an end record (libzip writes no file for it).
  const std::string empty_zip = std::string("PK\x05\x06", 4) + std::string(18, '\0');
  EXPECT_STREQ(parseError(empty_zip).what(),
               "not a 3MF file: [Content_Types].xml and 3D/3dmodel.model missing");
}

struct UnsafeName {
  const char* name;
  const char* message;
};

void PrintTo(const UnsafeName& unsafe, std::ostream* out) {
  *out << unsafe.name;
}

class ThreeMfUnsafeNames : public ::testing::TestWithParam<UnsafeName> {};

TEST_P(ThreeMfUnsafeNames, AreRejectedBeforeAnythingIsRead) {
  ZipBuilder zip = slicedProject();
  zip.add(GetParam().name, "payload");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::UnsafePath);
  EXPECT_EQ(error.httpStatus(), 400);
  EXPECT_STREQ(error.what(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    ThreeMfReject, ThreeMfUnsafeNames,
    ::testing::Values(
        UnsafeName{"../evil", "entry '../evil' escapes the archive (path traversal)"},
        UnsafeName{"/abs", "entry '/abs' escapes the archive (absolute path)"},
        UnsafeName{"a/../../b", "entry 'a/../../b' escapes the archive (path traversal)"},
        UnsafeName{"Metadata/..", "entry 'Metadata/..' escapes the archive (path traversal)"},
        UnsafeName{"C:\\x", "entry 'C:\\x' is not a safe relative path (drive letter or colon)"},
        UnsafeName{"a\\b", "entry 'a\\b' is not a safe relative path (backslash)"},
        UnsafeName{"C:x", "entry 'C:x' is not a safe relative path (drive letter or colon)"},
        UnsafeName{"a\\..\\..\\b", "entry 'a\\..\\..\\b' is not a safe relative path (backslash)"},
        UnsafeName{"a/./b", "entry 'a/./b' is not a safe relative path (empty or '.' segment)"},
        UnsafeName{"a//b", "entry 'a//b' is not a safe relative path (empty or '.' segment)"}));

// libzip refuses to write such a name, so it is patched into the archive afterwards.
TEST(ThreeMfReject, ControlCharacterInAName) {
  ZipBuilder zip = slicedProject();
  zip.add("Metadata/a_z", "payload");
  std::string bytes = zip.build();
  test::patchName(bytes, "Metadata/a_z", "Metadata/a\x01z");
  const ThreeMfError error = parseError(bytes);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::UnsafePath);
  EXPECT_STREQ(error.what(), "entry 'Metadata/a\\x01z' is not a safe relative path (control character)");
}

TEST(ThreeMfReject, DuplicateNamesIgnoringCase) {
  ZipBuilder zip = slicedProject();
  zip.add("metadata/PLATE_1.png", "again");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::DuplicateEntry);
  EXPECT_STREQ(error.what(), "duplicate entry 'metadata/PLATE_1.png'");
}

TEST(ThreeMfReject, ExactDuplicateNames) {
  ZipBuilder zip = slicedProject();
  zip.add("Metadata/slice_info.confiX", "<config/>");
  std::string bytes = zip.build();
  test::patchName(bytes, "Metadata/slice_info.confiX", "Metadata/slice_info.config");
  // Two parts of one name could be read differently by two readers; libzip already refuses.
  const ThreeMfError error = parseError(bytes);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::DuplicateEntry);
  EXPECT_STREQ(error.what(), "duplicate entry names in the archive");
}

TEST(ThreeMfReject, ZipBombByCompressionRatio) {
  constexpr uint64_t kHundredMiB = 100ull << 20;
  ZipBuilder zip = slicedProject();
  zip.addZeros("Metadata/plate_3.gcode", kHundredMiB);
  const std::string bytes = zip.build();
  ASSERT_LT(bytes.size(), 1u << 20); // 100 MiB of zeros deflate to ~100 KiB

  const auto started = std::chrono::steady_clock::now();
  const ThreeMfError error = parseError(bytes);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(error.code(), ThreeMfErrorCode::ZipBomb);
  EXPECT_EQ(error.codeName(), "zip_bomb");
  EXPECT_THAT(error.what(), MatchesRegex("zip bomb suspected: entry 'Metadata/plate_3.gcode' expands from "
                                         "[0-9]+ to 104857600 bytes"));
  // Caught from the declared sizes: nothing was decompressed.
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));
}

TEST(ThreeMfReject, ZipBombLyingAboutItsSize) {
  ZipBuilder zip = slicedProject();
  zip.addZeros("Metadata/plate_3.gcode", 4ull << 20);
  std::string bytes = zip.build();
  // Declares 100 bytes, so neither the ratio nor the total catches it; reading must stop there.
  test::patchDeclaredSize(bytes, "Metadata/plate_3.gcode", 100);
  const ThreeMfError error = parseError(bytes);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::ZipBomb);
  EXPECT_STREQ(
      error.what(),
      "zip bomb suspected: entry 'Metadata/plate_3.gcode' expands beyond its declared size of 100 bytes");
}

TEST(ThreeMfReject, MetadataPartLyingAboutItsSizeIsCutOffEvenWithoutVerification) {
  ZipBuilder zip = slicedProject();
  zip.remove("Metadata/slice_info.config").addZeros("Metadata/slice_info.config", 4ull << 20);
  std::string bytes = zip.build();
  test::patchDeclaredSize(bytes, "Metadata/slice_info.config", 100);
  ThreeMfLimits limits;
  limits.verify_all_entries = false;
  const ThreeMfError error = parseError(bytes, limits);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::ZipBomb);
  EXPECT_STREQ(error.what(), "zip bomb suspected: entry 'Metadata/slice_info.config' expands beyond its "
                             "declared size of 100 bytes");
}

TEST(ThreeMfReject, EntryShorterThanDeclared) {
  ZipBuilder zip = slicedProject();
  std::string bytes = zip.build();
  test::patchDeclaredSize(bytes, "Metadata/slice_info.config", 5000);
  const ThreeMfError error = parseError(bytes);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::CorruptEntry);
  EXPECT_THAT(error.what(), StartsWith("entry 'Metadata/slice_info.config' is corrupt ("));
}

TEST(ThreeMfReject, TooManyEntriesAtTheDefaultLimit) {
  ZipBuilder zip = minimalPackage();
  for (int i = 0; i < 9999; ++i) {
    zip.add("Metadata/f" + std::to_string(i), "", ZipBuilder::Method::Store);
  }
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::TooManyEntries);
  EXPECT_STREQ(error.what(), "too many entries (10001; limit 10000)");
}

TEST(ThreeMfReject, TooManyEntriesAtACustomLimit) {
  ThreeMfLimits limits;
  limits.max_entries = 9;
  const ThreeMfError error = parseError(slicedProject().build(), limits);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::TooManyEntries);
  EXPECT_STREQ(error.what(), "too many entries (10; limit 9)");
  limits.max_entries = 10;
  EXPECT_NO_THROW(parseThreeMf(slicedProject().build(), limits));
}

// An end record claiming millions of entries is refused before libzip sizes a table for them.
TEST(ThreeMfReject, ForgedEntryCountInTheEndRecord) {
  std::string bytes = minimalPackage().build();
  const std::size_t eocd = bytes.rfind(std::string("PK\x05\x06", 4));
  ASSERT_NE(eocd, std::string::npos);
  bytes[eocd + 8] = bytes[eocd + 10] = '\xff';
  bytes[eocd + 9] = bytes[eocd + 11] = '\xff';
  const ThreeMfError error = parseError(bytes);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::TooManyEntries);
  EXPECT_STREQ(error.what(), "too many entries (65535; limit 10000)");
}

TEST(ThreeMfReject, OversizedUploadIs413) {
  const std::string bytes = slicedProject().build();
  ThreeMfLimits limits;
  limits.max_file_bytes = 1000;
  const ThreeMfError error = parseError(bytes, limits);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::TooLarge);
  EXPECT_EQ(error.httpStatus(), 413);
  EXPECT_EQ(error.codeName(), "too_large");
  EXPECT_EQ(std::string(error.what()),
            "archive is too large (" + std::to_string(bytes.size()) + " bytes; limit 1000)");
}

TEST(ThreeMfReject, OversizedUncompressedTotalIs413) {
  ZipBuilder zip = minimalPackage();
  zip.add("Metadata/plate_1.gcode", std::string(5000, 'G'));
  const std::string bytes = zip.build();
  ThreeMfLimits limits;
  limits.max_total_uncompressed_bytes = 4000;
  const ThreeMfError error = parseError(bytes, limits);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::TooLarge);
  EXPECT_EQ(error.httpStatus(), 413);
  EXPECT_THAT(error.what(),
              MatchesRegex("archive is too large uncompressed \\([0-9]+ bytes declared; limit 4000\\)"));
}

TEST(ThreeMfReject, CorruptCrcInAMetadataPart) {
  ZipBuilder zip = slicedProject();
  zip.remove("Metadata/slice_info.config")
      .add("Metadata/slice_info.config", test::kSliceInfoXml, ZipBuilder::Method::Store);
  std::string bytes = zip.build();
  test::corruptStoredData(bytes, "X-BBL-Client-Version");
  for (const bool verify : {true, false}) {
    ThreeMfLimits limits;
    limits.verify_all_entries = verify;
    const ThreeMfError error = parseError(bytes, limits);
    EXPECT_EQ(error.code(), ThreeMfErrorCode::CorruptEntry);
    EXPECT_EQ(error.codeName(), "corrupt_entry");
    EXPECT_STREQ(error.what(), "entry 'Metadata/slice_info.config' is corrupt (CRC mismatch)");
  }
}

TEST(ThreeMfReject, CorruptDeflateData) {
  ZipBuilder zip = minimalPackage();
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text += "G1 X" + std::to_string(i) + " Y" + std::to_string(i * 7 % 13) + "\n";
  }
  zip.add("Metadata/plate_1.gcode", text);
  std::string bytes = zip.build();
  // Scramble the middle of the compressed stream (it starts after the entry's local header).
  const std::size_t start = bytes.find("Metadata/plate_1.gcode") + 22 + 200;
  for (std::size_t i = start; i < start + 64; ++i) {
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
  }
  const ThreeMfError error = parseError(bytes);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::CorruptEntry);
  EXPECT_THAT(error.what(), StartsWith("entry 'Metadata/plate_1.gcode' is corrupt ("));
}

TEST(ThreeMfReject, EncryptedEntry) {
  ZipBuilder zip = slicedProject();
  zip.addEncrypted("Metadata/secret.gcode", "G28\n");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::UnsupportedEntry);
  EXPECT_STREQ(error.what(), "entry 'Metadata/secret.gcode' is encrypted");
}

TEST(ThreeMfReject, UnsupportedCompressionMethod) {
  std::string bytes = slicedProject().build();
  test::patchCompressionMethod(bytes, "Metadata/plate_2.gcode", 98); // PPMd
  const ThreeMfError error = parseError(bytes);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::UnsupportedEntry);
  EXPECT_STREQ(error.what(), "entry 'Metadata/plate_2.gcode' uses an unsupported compression method (98)");
}

TEST(ThreeMfReject, MalformedSliceInfoXml) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/slice_info.config",
          "<config>\n  <plate>\n    <metadata key=\"index\" value=\"1\">\n  </plate>\n</config>\n");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::MalformedMetadata);
  EXPECT_EQ(error.codeName(), "malformed_metadata");
  EXPECT_STREQ(error.what(),
               "Metadata/slice_info.config: malformed XML at line 4, column 5: Start-end tags mismatch");
}

TEST(ThreeMfReject, SliceInfoWithTheWrongRoot) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/slice_info.config", "<settings><plate/></settings>");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::MalformedMetadata);
  EXPECT_STREQ(error.what(), "Metadata/slice_info.config: root element is <settings>, expected <config>");
}

TEST(ThreeMfReject, EmptyModelSettings) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/model_settings.config", "");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::MalformedMetadata);
  EXPECT_THAT(error.what(),
              StartsWith("Metadata/model_settings.config: malformed XML at line 1, column 1: "));
}

TEST(ThreeMfReject, MalformedModelAndContentTypes) {
  ZipBuilder zip = slicedProject();
  zip.set("3D/3dmodel.model", "<model><metadata name=\"Title\">x</model>");
  EXPECT_STREQ(parseError(zip.build()).what(),
               "3D/3dmodel.model: malformed XML at line 1, column 34: Start-end tags mismatch");
  zip.set("3D/3dmodel.model", test::kModelXml);
  zip.set("[Content_Types].xml", "<Relationships/>");
  EXPECT_STREQ(parseError(zip.build()).what(),
               "[Content_Types].xml: root element is <Relationships>, expected <Types>");
}

TEST(ThreeMfReject, MalformedProjectSettingsJson) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/project_settings.config",
          "{\n  \"layer_height\": \"0.2\",\n  \"printer_model\" \"X1\"\n}");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::MalformedMetadata);
  EXPECT_EQ(error.httpStatus(), 400);
  EXPECT_THAT(error.what(),
              StartsWith("Metadata/project_settings.config: malformed JSON (parse error at line 3, "
                         "column 22: syntax error"));
  EXPECT_THAT(error.what(), HasSubstr("; byte 49)"));
}

// nlohmann throws out_of_range, not parse_error, for a number beyond a double; it escaped as a 500
// (found by tests/fuzz/notifications in a request body; the same parse reads this part).
TEST(ThreeMfReject, ProjectSettingsWithANumberOutOfRange) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/project_settings.config", "{\"layer_height\": 1e999}");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::MalformedMetadata);
  EXPECT_EQ(error.httpStatus(), 400);
  EXPECT_STREQ(error.what(), "Metadata/project_settings.config: malformed JSON (a number is out of range)");
}

TEST(ThreeMfReject, ProjectSettingsThatIsNotAnObject) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/project_settings.config", "[\"layer_height\", \"0.2\"]");
  EXPECT_STREQ(parseError(zip.build()).what(),
               "Metadata/project_settings.config: expected a JSON object, found array");
}

TEST(ThreeMfReject, DeeplyNestedProjectSettings) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/project_settings.config",
          "{\"a\":" + std::string(200000, '[') + std::string(200000, ']') + "}");
  const ThreeMfError error = parseError(zip.build());
  EXPECT_EQ(error.code(), ThreeMfErrorCode::MalformedMetadata);
  EXPECT_STREQ(error.what(), "Metadata/project_settings.config: JSON nested deeper than 64 levels");
}

TEST(ThreeMfReject, MetadataPartAboveItsLimit) {
  ThreeMfLimits limits;
  limits.max_metadata_entry_bytes = 1000; // slice_info.config is about 1.4 KB
  const ThreeMfError error = parseError(slicedProject().build(), limits);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::MetadataTooLarge);
  EXPECT_EQ(error.httpStatus(), 400);
  EXPECT_EQ(std::string(error.what()), "entry 'Metadata/slice_info.config' is too large to read (" +
                                           std::to_string(std::string(test::kSliceInfoXml).size()) +
                                           " bytes; limit 1000)");
}

} // namespace three_mf_reject_test
} // namespace bambuddy::archives
