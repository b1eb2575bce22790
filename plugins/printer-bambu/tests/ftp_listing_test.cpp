// The LIST parser on the formats servers answer with, and on what it must skip or refuse.
#include "ftp_listing.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace bambuddy::printer_bambu {
namespace ftp_listing_test {

TEST(FtpListing, UnixLinesWithSpacesDirectoriesAndLinks) {
  const std::string text = "total 12\r\n"
                           "drwxr-xr-x   2 root     root         4096 Dec  6 11:07 cache\r\n"
                           "-rw-r--r--   1 bblp     0         3000000 Dec  6 11:07 Benchy plate 1.3mf\r\n"
                           "-rw-rw-rw-   1 root  root  12 Jan 01  2024   two  spaces\r\n"
                           "-rw-r--r-- 1 owner 77 May 31 09:15 no-group.gcode\r\n"
                           "lrwxrwxrwx   1 root     root           11 Feb  3 10:00 latest -> cache/x.3mf\r\n"
                           "drwxr-xr-x   2 root     root         4096 Dec  6 11:07 .\r\n"
                           "drwxr-xr-x   2 root     root         4096 Dec  6 11:07 ..\r\n"
                           "garbage line\r\n"
                           "\r\n";
  std::vector<RemoteEntry> entries = parseListing(text, 100);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].name, "cache");
  EXPECT_TRUE(entries[0].is_directory);
  EXPECT_EQ(entries[1].name, "Benchy plate 1.3mf");
  EXPECT_EQ(entries[1].size_bytes, 3000000u);
  EXPECT_FALSE(entries[1].is_directory);
  EXPECT_EQ(entries[2].name, "two  spaces"); // inner spaces kept
  EXPECT_EQ(entries[2].size_bytes, 12u);
  EXPECT_EQ(entries[3].name, "no-group.gcode");
  EXPECT_EQ(entries[3].size_bytes, 77u);
  EXPECT_EQ(entries[4].name, "latest");
}

TEST(FtpListing, OwnersNamedLikeMonthsDoNotConfuseIt) {
  std::vector<RemoteEntry> entries =
      parseListing("-rw-r--r-- 1 may jun 2048 Mar 14 2025 Dec 6 11:07 odd.3mf\n", 10);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].size_bytes, 2048u);
  EXPECT_EQ(entries[0].name, "Dec 6 11:07 odd.3mf");
}

TEST(FtpListing, DosLines) {
  std::vector<RemoteEntry> entries = parseListing("12-06-26  11:07AM       <DIR>          model\r\n"
                                                  "12-06-2026  01:15PM             1234 a file.3mf\r\n",
                                                  10);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].is_directory);
  EXPECT_EQ(entries[0].name, "model");
  EXPECT_EQ(entries[1].name, "a file.3mf");
  EXPECT_EQ(entries[1].size_bytes, 1234u);
}

TEST(FtpListing, HostileInputIsBounded) {
  // Sizes beyond 64 bits, names with '/', and too many entries.
  EXPECT_TRUE(parseListing("-rw-r--r-- 1 a b 99999999999999999999999 Dec 6 11:07 huge\n", 10).empty());
  EXPECT_TRUE(parseListing("-rw-r--r-- 1 a b 1 Dec 6 11:07 ../../etc/passwd\n", 10).empty());
  std::string many;
  for (int i = 0; i < 11; ++i) {
    many += "-rw-r--r-- 1 a b 1 Dec 6 11:07 f" + std::to_string(i) + "\n";
  }
  EXPECT_EQ(parseListing(many, 11).size(), 11u);
  EXPECT_THROW(parseListing(many, 10), std::length_error);
}

} // namespace ftp_listing_test
} // namespace bambuddy::printer_bambu
