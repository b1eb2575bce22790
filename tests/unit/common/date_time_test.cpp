// The one date/time module: the SDK's bambuddy/date_time.hpp (calendar from date.h) that plugins
// use, and the core's common/time.h over it. Cases gathered from the three copies it replaces
// (core common/time, auth.apikey's iso_time, plugins/common's http_date) and the core's httpDate.
#include "common/time.h"

#include <bambuddy/date_time.hpp>

#include <gtest/gtest.h>

namespace bambuddy::sdk {
namespace date_time_test {

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

// Every form has a four-digit year, so the module speaks 0000-01-01T00:00:00.000Z to
// 9999-12-31T23:59:59.999Z and refuses what falls outside, so whatever parses formats back.
TEST(DateTime, TheRangeIsTheFourDigitYears) {
  EXPECT_EQ(epochMsFromCivil(0, 1, 1, 0, 0, 0), kMinEpochMs);
  EXPECT_EQ(epochMsFromCivil(9999, 12, 31, 23, 59, 59, 999), kMaxEpochMs);
  EXPECT_EQ(formatIsoUtcMs(kMinEpochMs), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(formatIsoUtcMs(kMaxEpochMs), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(parseIsoUtc("0000-01-01T00:00:00Z"), kMinEpochMs);
  EXPECT_EQ(parseIsoUtc("9999-12-31T23:59:59.999Z"), kMaxEpochMs);
  EXPECT_EQ(parseIsoUtc("9999-12-31T23:59:59.999999999Z"), kMaxEpochMs);         // digits past ms dropped
  EXPECT_EQ(parseIsoUtc("0000-02-29T00:00:00Z"), kMinEpochMs + 59 * 86400000LL); // year 0 is a leap year
  EXPECT_FALSE(epochMsFromCivil(-1, 12, 31, 23, 59, 59));
  EXPECT_FALSE(epochMsFromCivil(10000, 1, 1, 0, 0, 0));

  // The leap second of the last day would be 10000-01-01T00:00:00Z: refused, with the reason.
  std::string error;
  EXPECT_FALSE(parseIsoUtc("9999-12-31T23:59:60Z", error));
  EXPECT_EQ(error, "the leap second falls in year 10000, after 9999-12-31T23:59:59.999Z, the last instant a "
                   "four-digit year can write");
  EXPECT_FALSE(parseIsoUtc("9999-12-31T23:59:60.000Z"));
  EXPECT_FALSE(epochMsFromCivil(9999, 12, 31, 23, 59, 60));
  EXPECT_FALSE(parseHttpDate("Fri, 31 Dec 9999 23:59:60 GMT"));
  EXPECT_EQ(parseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT"), kMaxEpochMs - 999);
  // Other leap seconds of that year, and of year 0, stay in range.
  EXPECT_EQ(parseIsoUtc("9999-12-31T23:58:60Z"), parseIsoUtc("9999-12-31T23:59:00Z"));
  EXPECT_EQ(parseIsoUtc("0000-01-01T00:00:60Z"), kMinEpochMs + 60000);
}

TEST(DateTime, RefusalsSayWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"tomorrow", "not of the form YYYY-MM-DDTHH:MM:SSZ"},
      {"2024-01-15T14:30:00.Z", "the fraction of a second must have 1 to 9 digits"},
      {"2024-01-15T14:30:00+02:00", "must end in Z (or +00:00): only UTC is accepted"},
      {"2023-02-29T00:00:00Z", "the date does not exist"},
      {"2024-01-15T24:00:00Z", "the time of day is out of range"},
  };
  for (const auto& [text, why] : cases) {
    std::string error;
    EXPECT_FALSE(parseIsoUtc(text, error)) << text;
    EXPECT_EQ(error, why) << text;
  }
  std::string error;
  EXPECT_FALSE(epochMsFromCivil(10000, 1, 1, 0, 0, 0, 0, error));
  EXPECT_EQ(error, "year 10000 is outside 0000..9999");
  std::string core_error;
  EXPECT_FALSE(bambuddy::parseUtcTimestamp("9999-12-31T23:59:60Z", core_error));
  EXPECT_NE(core_error.find("year 10000"), std::string::npos) << core_error;
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

} // namespace date_time_test
} // namespace bambuddy::sdk
