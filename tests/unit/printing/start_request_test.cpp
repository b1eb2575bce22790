// Reading the body of print/start (and a queue item's print fields), the plate choice against a 3MF's
// plates, and the file name a print gets on a printer's storage.
#include "common/service_error.h"
#include "printing/print_starter.h"
#include "printing/start_request.h"

#include <gtest/gtest.h>

namespace bambuddy::printing {
namespace start_request_test {

using nlohmann::json;

TEST(StartRequest, TakesTheArchivePlateAndEveryOption) {
  StartRequest r = parseStartRequest({{"archive_id", 7},
                                      {"plate", 2},
                                      {"use_ams", true},
                                      {"ams_mapping", {0, 3, -1, 254}},
                                      {"bed_leveling", false},
                                      {"flow_cali", true},
                                      {"vibration_cali", false},
                                      {"timelapse", true},
                                      {"bed_type", "textured_plate"}});
  EXPECT_EQ(r.archive_id, 7);
  ASSERT_TRUE(r.plate);
  EXPECT_EQ(*r.plate, 2);
  EXPECT_EQ(r.options, json({{"use_ams", true},
                             {"ams_mapping", {0, 3, -1, 254}},
                             {"bed_leveling", false},
                             {"flow_cali", true},
                             {"vibration_cali", false},
                             {"timelapse", true},
                             {"bed_type", "textured_plate"}}));
}

TEST(StartRequest, OnlyGivenOptionsArePassedOnAndNullMeansDefault) {
  StartRequest r = parseStartRequest({{"archive_id", 1}, {"timelapse", nullptr}, {"plate", nullptr}});
  EXPECT_FALSE(r.plate);
  EXPECT_EQ(r.options, json::object());
}

// Refusals of bad values are the route's body schema's: tests/unit/app/body_schema_test.cpp.

TEST(StartRequest, QueueBodiesKeepTheirOwnFields) {
  json body = {{"archive_id", 1}, {"printer_id", 3}, {"plate", 4}, {"use_ams", false}};
  EXPECT_EQ(parsePlate(body), std::optional<int>(4));
  EXPECT_EQ(parseOptions(body), json({{"use_ams", false}}));
}

json metadataWithPlates(std::vector<int> indices) {
  json plates = json::array();
  for (int i : indices) {
    plates.push_back({{"index", i}, {"print_time_s", 100 * i}});
  }
  return {{"plates", plates}};
}

TEST(ChoosePlate, DefaultsToTheFilesFirstPlate) {
  EXPECT_EQ(choosePlate(metadataWithPlates({2, 3}), std::nullopt), 2);
  EXPECT_EQ(choosePlate(nullptr, std::nullopt), 1);
  EXPECT_EQ(choosePlate(json::object(), std::nullopt), 1);
}

TEST(ChoosePlate, APlateTheFileLacksNamesThePlatesItHas) {
  EXPECT_EQ(choosePlate(metadataWithPlates({1, 2, 3}), 3), 3);
  try {
    choosePlate(metadataWithPlates({1, 2}), 5);
    FAIL() << "plate 5 accepted";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.httpStatus(), 400);
    EXPECT_EQ(e.body()["code"], "invalid_plate");
    EXPECT_NE(std::string(e.what()).find("this file has plates 1, 2"), std::string::npos) << e.what();
    EXPECT_EQ(e.body()["plates"], json({1, 2}));
  }
  try {
    choosePlate(metadataWithPlates({1}), 2);
    FAIL() << "plate 2 accepted";
  } catch (const ServiceError& e) {
    EXPECT_NE(std::string(e.what()).find("this file has plate 1"), std::string::npos) << e.what();
  }
}

TEST(ChoosePlate, AFileWithoutPlateDataTakesThePlateAsGiven) {
  EXPECT_EQ(choosePlate(json::object(), 3), 3);
}

TEST(PrinterFileName, KeepsSafeCharactersAndEndsIn3mf) {
  EXPECT_EQ(printerFileName("Benchy.3mf"), "Benchy.3mf");
  EXPECT_EQ(printerFileName("Fidget Collection.gcode.3mf"), "Fidget_Collection.3mf");
  EXPECT_EQ(printerFileName("a/b\\c:d*e?.3MF"), "a_b_c_d_e_.3mf");
  EXPECT_EQ(printerFileName("Würfel (v2)"), "W__rfel_(v2).3mf");
  EXPECT_EQ(printerFileName("..hidden.3mf"), "hidden.3mf");
  EXPECT_EQ(printerFileName(""), "print.3mf");
  EXPECT_EQ(printerFileName(".3mf"), "print.3mf");
  std::string long_name = printerFileName(std::string(300, 'x') + ".3mf");
  EXPECT_EQ(long_name.size(), 96u);
  EXPECT_EQ(long_name.substr(92), ".3mf");
}

} // namespace start_request_test
} // namespace bambuddy::printing
