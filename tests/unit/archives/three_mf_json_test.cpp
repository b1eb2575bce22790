// The JSON form of the extracted metadata, as the archives API stores and returns it.
#include "archives/three_mf.h"

#include "three_mf_fixture.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace bambuddy::archives {
namespace three_mf_json_test {

TEST(ThreeMfJson, CarriesEveryFieldWithSnakeCaseKeys) {
  const nlohmann::json json = toJson(parseThreeMf(test::slicedProject().build()));
  EXPECT_EQ(json["title"], "Calibration Cube & Friends");
  EXPECT_EQ(json["designer"], "Jane Maker");
  EXPECT_EQ(json["design_model_id"], "US1234abcd");
  EXPECT_EQ(json["design_profile_id"], "987654");
  EXPECT_EQ(json["profile_title"], "0.20mm Standard");
  EXPECT_EQ(json["slicer"], "BambuStudio-01.10.01.50");
  EXPECT_EQ(json["slicer_version"], "01.10.01.50");
  EXPECT_EQ(json["printer_model"], "Bambu Lab X1 Carbon");
  EXPECT_EQ(json["printer_model_id"], "C11");
  EXPECT_EQ(json["print_profile"], "0.20mm Standard @BBL X1C");
  EXPECT_EQ(json["bed_type"], "Textured PEI Plate");
  EXPECT_EQ(json["layer_height_mm"], 0.2);
  EXPECT_EQ(json["nozzle_diameter_mm"], 0.4);
  EXPECT_EQ(json["sliced"], true);
  EXPECT_EQ(json["total_print_time_s"], 5400);
  EXPECT_EQ(json["total_filament_g"], 30.75);
  EXPECT_EQ(json["filament_types"], nlohmann::json({"PLA", "PETG"}));
  EXPECT_EQ(json["filament_colors"], nlohmann::json({"#FFFFFF", "#000000FF"}));
  EXPECT_EQ(json["thumbnail_entry"], "Metadata/plate_1.png");
  EXPECT_EQ(json["thumbnail_bytes"], test::tinyPng().size());
  EXPECT_FALSE(json.contains("thumbnail_png")); // bytes are stored as a file, not in JSON
  EXPECT_EQ(json["entry_count"], 10);
  EXPECT_EQ(json["warnings"], nlohmann::json::array());

  ASSERT_EQ(json["plates"].size(), 2u);
  const nlohmann::json& plate = json["plates"][1];
  EXPECT_EQ(plate["index"], 2);
  EXPECT_EQ(plate["name"], "");
  EXPECT_EQ(plate["print_time_s"], 3600);
  EXPECT_EQ(plate["weight_g"], 20.25);
  EXPECT_EQ(plate["printer_model_id"], "C11");
  EXPECT_EQ(plate["nozzle_diameter_mm"], 0.4);
  EXPECT_EQ(plate["thumbnail_entry"], "Metadata/plate_2.png");
  EXPECT_EQ(plate["gcode_entry"], "Metadata/plate_2.gcode");
  EXPECT_EQ(plate["filaments"][1],
            nlohmann::json(
                {{"slot", 2}, {"type", "PETG"}, {"color", "#000000FF"}, {"used_g", 15.0}, {"used_m", 5.0}}));
  EXPECT_EQ(plate["objects"][1],
            nlohmann::json({{"identify_id", 202}, {"name", "bracket.stl"}, {"skipped", true}}));
}

TEST(ThreeMfJson, AbsentValuesAreNullAndTheResultAlwaysSerializes) {
  test::ZipBuilder zip = test::minimalPackage();
  zip.set("3D/3dmodel.model", "<model><metadata name=\"Title\">\xff\xfe</metadata><resources/></model>");
  const nlohmann::json json = toJson(parseThreeMf(zip.build()));
  for (const char* key :
       {"designer", "slicer", "slicer_version", "printer_model", "layer_height_mm", "nozzle_diameter_mm",
        "total_print_time_s", "total_filament_g", "thumbnail_entry", "thumbnail_bytes"}) {
    EXPECT_TRUE(json.at(key).is_null()) << key;
  }
  EXPECT_EQ(json["plates"], nlohmann::json::array());
  EXPECT_EQ(json["sliced"], false);
  EXPECT_NO_THROW(json.dump()); // the invalid UTF-8 title was replaced
  EXPECT_EQ(json["title"], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

} // namespace three_mf_json_test
} // namespace bambuddy::archives
