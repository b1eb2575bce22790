// The one date/time module: the SDK's bambuddy/date_time.hpp (calendar from date.h) that plugins
// use, and the core's common/time.h over it. Cases gathered from the three copies it replaces
// (core common/time, auth.apikey's iso_time, plugins/common's http_date) and the core's httpDate.
#include "common/time.h"

#include <bambuddy/date_time.hpp>

#include <gtest/gtest.h>

namespace bambuddy::sdk {
namespace {

TEST(DateTime, CivilDatesAndTheirLimits) {
  EXPECT_EQ(epochMsFromCivil(1970, 1, 1, 0, 0, 0), 0);
  EXPECT_EQ(epochMsFromCivil(2024, 1, 15, 14, 30, 0, 123), 1705329000123);
  EXPECT_EQ(epochMsFromCivil(1969, 12, 31, 23, 59, 59), -1000);
  EXPECT_EQ(epochMsFromCivil(2000, 2, 29, 0, 0, 0), 951782400000); // divisible by 400: leap
  EXPECT_FALSE(epochMsFromCivil(1900, 2, 29, 0, 0, 0));            // divisible by 100: not
  EXPECT_FALSE(epochMsFromCivil(2023, 2, 29, 0, 0, 0));
  EXPECT_FALSE(epochMsFromCivil(2024, 4, 31, 0, 0, 0));
  EXPECT_FALSE(epochMsFromCivil(2024, 13, 1, 0, 0, 0));
  EXPECT_FALSE(epochMsFromCivil(2024, 0, 1, 0, 0, 0));
  EXPECT_FALSE(epochMsFromCivil(2024, 1, 0, 0, 0, 0));
  EXPECT_FALSE(epochMsFromCivil(2024, 1, 1, 24, 0, 0));
  EXPECT_FALSE(epochMsFromCivil(2024, 1, 1, 0, 60, 0));
  EXPECT_FALSE(epochMsFromCivil(2024, 1, 1, 0, 0, 61));
  // A leap second is the first second of the next minute, as in POSIX time.
  EXPECT_EQ(epochMsFromCivil(2016, 12, 31, 23, 59, 60), epochMsFromCivil(2017, 1, 1, 0, 0, 0));
}

TEST(DateTime, ParsesIsoUtcFormsAndRefusesOthers) {
  EXPECT_EQ(parseIsoUtc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parseIsoUtc("2024-01-15T14:30:00Z"), 1705329000000);
  EXPECT_EQ(parseIsoUtc("2024-01-15t14:30:00z"), 1705329000000);
  EXPECT_EQ(parseIsoUtc("2024-01-15T14:30:00.123Z"), 1705329000123);
  EXPECT_EQ(parseIsoUtc("2024-01-15T14:30:00.123456789Z"), 1705329000123);
  EXPECT_EQ(parseIsoUtc("2024-01-15T14:30:00.5+00:00"), 1705329000500);
  EXPECT_EQ(parseIsoUtc("2024-01-15T14:30:00-00:00"), 1705329000000);
  EXPECT_EQ(parseIsoUtc("1960-01-01T00:00:00Z"), -315619200000);
  EXPECT_TRUE(parseIsoUtc("2024-02-29T00:00:00Z"));
  for (const char* bad :
       {"2023-02-29T00:00:00Z", "2024-01-15T14:30:00+02:00", "2024-01-15T14:30:00", "2024-01-15 14:30:00Z",
        "2024-13-01T00:00:00Z", "2024-01-15T24:00:00Z", "2024-01-15T14:30:00.Z",
        "2024-01-15T14:30:00.1234567890Z", "24-01-15T14:30:00Z", "2024-1-15T14:30:00Z",
        "+2024-01-15T14:30:00Z", "2024-01-15T14:30:00Zjunk", "2024-01-15T14:30:00ZZ", "tomorrow", ""}) {
    EXPECT_FALSE(parseIsoUtc(bad)) << bad;
  }
}

TEST(DateTime, FormatsIsoUtcAndParsesItBack) {
  EXPECT_EQ(formatIsoUtcSeconds(1705329000123), "2024-01-15T14:30:00Z");
  EXPECT_EQ(formatIsoUtcMs(1705329000123), "2024-01-15T14:30:00.123Z");
  EXPECT_EQ(formatIsoUtcMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatIsoUtcMs(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(formatIsoUtcSeconds(253402300799000), "9999-12-31T23:59:59Z");
  for (int64_t ms :
       {int64_t{951782400007}, int64_t{-1}, int64_t{0}, int64_t{4102444799999}, int64_t{-62167219200000}}) {
    EXPECT_EQ(parseIsoUtc(formatIsoUtcMs(ms)), ms) << ms;
  }
}

TEST(DateTime, FormatsHttpAndMailDatesInUtc) {
  EXPECT_EQ(formatHttpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(formatHttpDate(784111777999), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(formatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(formatRfc5322Date(1705329000000), "Mon, 15 Jan 2024 14:30:00 +0000");
  EXPECT_EQ(formatRfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(formatRfc5322Date(951782400000), "Tue, 29 Feb 2000 00:00:00 +0000");
  EXPECT_EQ(formatRfc5322Date(4102444799999), "Thu, 31 Dec 2099 23:59:59 +0000");
  EXPECT_EQ(formatRfc5322Date(-1000), "Wed, 31 Dec 1969 23:59:59 +0000");
}

TEST(DateTime, ParsesAllThreeHttpDateForms) {
  const int64_t expected = 784111777000; // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), expected);
  EXPECT_EQ(parseHttpDate("Mon, 15 Jan 2024 14:30:00 GMT"), 1705329000000);
  EXPECT_EQ(parseHttpDate("Thursday, 01-Jan-37 00:00:00 GMT"), epochMsFromCivil(2037, 1, 1, 0, 0, 0));
  EXPECT_EQ(parseHttpDate(formatHttpDate(1705329000000)), 1705329000000);
  for (const char* bad :
       {"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Fri, 30 Feb 2024 00:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ", "Sun, 06 Nov 1899 08:49:37 GMT",
        "tomorrow", ""}) {
    EXPECT_FALSE(parseHttpDate(bad)) << bad;
  }
  EXPECT_FALSE(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT" + std::string(64, ' ')));
}

TEST(DateTime, TheCoreModuleSpeaksTheSameForms) {
  EXPECT_EQ(bambuddy::formatUtcMs(1705329000123), formatIsoUtcMs(1705329000123));
  EXPECT_EQ(bambuddy::formatUtcSeconds(1705329000123), "2024-01-15T14:30:00Z");
  EXPECT_EQ(bambuddy::parseUtcTimestamp("2024-01-15T14:30:00.123Z"), 1705329000123);
  EXPECT_FALSE(bambuddy::parseUtcTimestamp("2024-01-15T14:30:00+01:00"));
  EXPECT_EQ(bambuddy::formatHttpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
  const int64_t now = bambuddy::nowUtcMs();
  EXPECT_GT(now, 1700000000000); // after November 2023: the wall clock, in ms
  EXPECT_EQ(bambuddy::parseUtcTimestamp(bambuddy::formatUtcMs(now)), now);
}

} // namespace
} // namespace bambuddy::sdk
