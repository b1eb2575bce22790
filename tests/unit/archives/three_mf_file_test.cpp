// parseThreeMfFile: the same validation and metadata as parseThreeMf, read from a file on demand
// (uploads are streamed to disk and never held whole in memory).
#include "archives/three_mf.h"
#include "archives/zip_preflight.h"

#include "support/temp_dir.h"
#include "support/three_mf_sample.h"
#include "support/zip_builder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace bambuddy::archives {
namespace three_mf_file_test {

using bambuddy::testing::TempDir;

std::string writeFile(TempDir& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

ThreeMfErrorCode fileErrorCode(const std::string& path, const ThreeMfLimits& limits = {}) {
  try {
    parseThreeMfFile(path, limits);
  } catch (const ThreeMfError& e) {
    return e.code();
  }
  ADD_FAILURE() << "parseThreeMfFile accepted " << path;
  return ThreeMfErrorCode::NotZip;
}

TEST(ThreeMfFile, SameMetadataAsFromMemory) {
  TempDir dir;
  const std::string bytes = bambuddy::testing::sampleThreeMf("Bracket", 4000, 21.5);
  const std::string path = writeFile(dir, "a.3mf", bytes);
  ThreeMfMetadata from_file = parseThreeMfFile(path);
  ThreeMfMetadata from_memory = parseThreeMf(bytes);
  EXPECT_EQ(toJson(from_file), toJson(from_memory));
  EXPECT_EQ(from_file.thumbnail_png, from_memory.thumbnail_png);
}

TEST(ThreeMfFile, LargeFileWithATailBeyondTheWindow) {
  TempDir dir;
  const std::string bytes = bambuddy::testing::largeThreeMf("Big", 3u << 20);
  ASSERT_GT(bytes.size(), kZipTailBytes * 4);
  ThreeMfMetadata metadata = parseThreeMfFile(writeFile(dir, "big.3mf", bytes));
  EXPECT_TRUE(metadata.sliced);
  EXPECT_EQ(toJson(metadata), toJson(parseThreeMf(bytes)));
}

TEST(ThreeMfFile, RefusalsMatchTheInMemoryParser) {
  TempDir dir;
  EXPECT_EQ(fileErrorCode(writeFile(dir, "text.3mf", "this is not a zip file at all")),
            ThreeMfErrorCode::NotZip);
  EXPECT_EQ(fileErrorCode(writeFile(dir, "empty.3mf", "")), ThreeMfErrorCode::NotZip);
  const std::string sample = bambuddy::testing::sampleThreeMf("x", 1, 1);
  ThreeMfLimits small;
  small.max_file_bytes = sample.size() - 1;
  EXPECT_EQ(fileErrorCode(writeFile(dir, "big.3mf", sample), small), ThreeMfErrorCode::TooLarge);
  ThreeMfLimits few;
  few.max_entries = 2;
  EXPECT_EQ(fileErrorCode(writeFile(dir, "many.3mf", sample), few), ThreeMfErrorCode::TooManyEntries);
  // Cut short: the end record is gone.
  EXPECT_EQ(fileErrorCode(writeFile(dir, "cut.3mf", sample.substr(0, sample.size() / 2))),
            ThreeMfErrorCode::NotZip);
}

TEST(ThreeMfFile, MissingFileIsAnErrorNotACrash) {
  EXPECT_THROW(parseThreeMfFile("/nonexistent/dir/upload.part"), std::runtime_error);
}

TEST(ZipPreflight, CountFromATailEqualsTheWholeFile) {
  const std::string bytes = bambuddy::testing::largeThreeMf("Tail", 1u << 20);
  const uint64_t whole = declaredEntryCount(bytes);
  const uint64_t offset = bytes.size() - kZipTailBytes;
  EXPECT_EQ(declaredEntryCount(std::string_view(bytes).substr(offset), offset), whole);
  EXPECT_EQ(whole, 5u);
}

} // namespace three_mf_file_test
} // namespace bambuddy::archives
