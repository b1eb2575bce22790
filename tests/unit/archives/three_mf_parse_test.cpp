// What parseThreeMf extracts from valid files, and how it treats odd values.
#include "archives/three_mf.h"

#include "three_mf_fixture.h"
#include "three_mf_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bambuddy::archives {
namespace three_mf_parse_test {

using test::kModelXml;
using test::kSliceInfoXml;
using test::minimalPackage;
using test::slicedProject;
using test::tinyPng;
using test::ZipBuilder;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ThreeMfParse, ExtractsEveryValueOfASlicedTwoPlateProject) {
  const std::string bytes = slicedProject().build();
  const ThreeMfMetadata m = parseThreeMf(bytes);

  EXPECT_EQ(m.title, "Calibration Cube & Friends");
  EXPECT_EQ(m.designer, "Jane Maker");
  EXPECT_EQ(m.design_model_id, "US1234abcd");
  EXPECT_EQ(m.design_profile_id, "987654");
  EXPECT_EQ(m.profile_title, "0.20mm Standard");
  EXPECT_EQ(m.slicer, "BambuStudio-01.10.01.50");
  EXPECT_EQ(m.slicer_version, "01.10.01.50");
  EXPECT_EQ(m.printer_model, "Bambu Lab X1 Carbon");
  EXPECT_EQ(m.printer_model_id, "C11");
  EXPECT_EQ(m.print_profile, "0.20mm Standard @BBL X1C");
  EXPECT_EQ(m.bed_type, "Textured PEI Plate");
  EXPECT_EQ(m.layer_height_mm, 0.2);
  EXPECT_EQ(m.nozzle_diameter_mm, 0.4);
  EXPECT_TRUE(m.sliced);

  ASSERT_EQ(m.plates.size(), 2u);
  const PlateInfo& one = m.plates[0];
  EXPECT_EQ(one.index, 1);
  EXPECT_EQ(one.name, "Cube plate");
  EXPECT_EQ(one.print_time_s, 1800);
  EXPECT_EQ(one.weight_g, 10.5);
  EXPECT_EQ(one.printer_model_id, "C11");
  EXPECT_EQ(one.nozzle_diameter_mm, 0.4);
  ASSERT_EQ(one.filaments.size(), 1u);
  EXPECT_EQ(one.filaments[0].slot, 1);
  EXPECT_EQ(one.filaments[0].type, "PLA");
  EXPECT_EQ(one.filaments[0].color, "#FFFFFF");
  EXPECT_EQ(one.filaments[0].used_g, 10.5);
  EXPECT_EQ(one.filaments[0].used_m, 3.52);
  ASSERT_EQ(one.objects.size(), 1u);
  EXPECT_EQ(one.objects[0].identify_id, 101);
  EXPECT_EQ(one.objects[0].name, "cube.stl");
  EXPECT_FALSE(one.objects[0].skipped);
  EXPECT_EQ(one.thumbnail_entry, "Metadata/plate_1.png");
  EXPECT_EQ(one.gcode_entry, "Metadata/plate_1.gcode");

  const PlateInfo& two = m.plates[1];
  EXPECT_EQ(two.index, 2);
  EXPECT_EQ(two.name, "");
  EXPECT_EQ(two.print_time_s, 3600);
  EXPECT_EQ(two.weight_g, 20.25);
  ASSERT_EQ(two.filaments.size(), 2u);
  EXPECT_EQ(two.filaments[1].slot, 2);
  EXPECT_EQ(two.filaments[1].type, "PETG");
  EXPECT_EQ(two.filaments[1].color, "#000000FF");
  EXPECT_EQ(two.filaments[1].used_g, 15.0);
  EXPECT_EQ(two.filaments[1].used_m, 5.0);
  ASSERT_EQ(two.objects.size(), 2u);
  EXPECT_EQ(two.objects[1].identify_id, 202);
  EXPECT_TRUE(two.objects[1].skipped);
  EXPECT_EQ(two.thumbnail_entry, "Metadata/plate_2.png");
  EXPECT_EQ(two.gcode_entry, "Metadata/plate_2.gcode");

  EXPECT_EQ(m.total_print_time_s, 5400);
  EXPECT_EQ(m.total_filament_g, 30.75);
  // Only the filaments the plates use, not the project's unused TPU.
  EXPECT_THAT(m.filament_types, ElementsAre("PLA", "PETG"));
  EXPECT_THAT(m.filament_colors, ElementsAre("#FFFFFF", "#000000FF"));
  EXPECT_EQ(m.thumbnail_entry, "Metadata/plate_1.png");
  EXPECT_EQ(m.thumbnail_png, tinyPng());
  EXPECT_EQ(m.entry_count, 10u);
  EXPECT_GT(m.uncompressed_bytes, std::string(kSliceInfoXml).size() + std::string(kModelXml).size());
  EXPECT_THAT(m.warnings, IsEmpty());
}

TEST(ThreeMfParse, UncompressedBytesIsTheSumOfEntrySizes) {
  ZipBuilder zip = minimalPackage();
  zip.add("Metadata/note.txt", std::string(1000, 'x'));
  const ThreeMfMetadata m = parseThreeMf(zip.build());
  EXPECT_EQ(m.uncompressed_bytes,
            std::string(test::kContentTypesXml).size() + std::string(kModelXml).size() + 1000);
  EXPECT_EQ(m.entry_count, 3u);
}

TEST(ThreeMfParse, UnslicedProjectIsValidWithPlatesFromModelSettings) {
  ZipBuilder zip = slicedProject();
  zip.remove("Metadata/slice_info.config").remove("Metadata/plate_1.gcode").remove("Metadata/plate_2.gcode");
  const ThreeMfMetadata m = parseThreeMf(zip.build());

  EXPECT_FALSE(m.sliced);
  ASSERT_EQ(m.plates.size(), 2u);
  EXPECT_EQ(m.plates[0].index, 1);
  EXPECT_EQ(m.plates[0].name, "Cube plate");
  EXPECT_FALSE(m.plates[0].print_time_s);
  EXPECT_FALSE(m.plates[0].gcode_entry);
  EXPECT_EQ(m.plates[0].thumbnail_entry, "Metadata/plate_1.png");
  EXPECT_EQ(m.plates[1].index, 2);
  EXPECT_FALSE(m.total_print_time_s);
  EXPECT_FALSE(m.total_filament_g);
  EXPECT_FALSE(m.slicer_version);
  EXPECT_FALSE(m.printer_model_id);
  // Without sliced plates the project's configured filaments are all there is.
  EXPECT_THAT(m.filament_types, ElementsAre("PLA", "PETG", "TPU"));
  EXPECT_THAT(m.filament_colors, ElementsAre("#FFFFFF", "#000000FF", "#FF0000"));
  EXPECT_EQ(m.printer_model, "Bambu Lab X1 Carbon");
  EXPECT_EQ(m.thumbnail_png, tinyPng());
  EXPECT_THAT(m.warnings, IsEmpty());
}

TEST(ThreeMfParse, MinimalPackageHasOnlyModelMetadata) {
  const ThreeMfMetadata m = parseThreeMf(minimalPackage().build());
  EXPECT_EQ(m.title, "Calibration Cube & Friends");
  EXPECT_FALSE(m.sliced);
  EXPECT_THAT(m.plates, IsEmpty());
  EXPECT_FALSE(m.printer_model);
  EXPECT_FALSE(m.layer_height_mm);
  EXPECT_FALSE(m.thumbnail_entry);
  EXPECT_FALSE(m.thumbnail_png);
  EXPECT_THAT(m.filament_types, IsEmpty());
  EXPECT_THAT(m.warnings, IsEmpty());
}

TEST(ThreeMfParse, NonNumericValuesAreLeftOutWithAWarning) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/slice_info.config", R"(<config>
  <plate>
    <metadata key="index" value="first"/>
    <metadata key="prediction" value="abc"/>
    <metadata key="weight" value="-5"/>
    <metadata key="nozzle_diameters" value="nan"/>
    <filament id="x" type="PLA" color="#FFFFFF" used_m="1e999" used_g="1,5"/>
    <object identify_id="id-9" name="part" skipped="false"/>
  </plate>
</config>)");
  zip.set("Metadata/project_settings.config", R"({"layer_height": "thin", "nozzle_diameter": [true],
                                                  "printer_model": 42, "filament_type": "PLA"})");
  const ThreeMfMetadata m = parseThreeMf(zip.build());

  ASSERT_EQ(m.plates.size(), 1u);
  const PlateInfo& plate = m.plates[0];
  EXPECT_EQ(plate.index, 1); // numbered by position
  EXPECT_FALSE(plate.print_time_s);
  EXPECT_FALSE(plate.weight_g);
  EXPECT_FALSE(plate.nozzle_diameter_mm);
  ASSERT_EQ(plate.filaments.size(), 1u);
  EXPECT_EQ(plate.filaments[0].slot, 0);
  EXPECT_EQ(plate.filaments[0].type, "PLA");
  EXPECT_FALSE(plate.filaments[0].used_g);
  EXPECT_FALSE(plate.filaments[0].used_m);
  ASSERT_EQ(plate.objects.size(), 1u);
  EXPECT_FALSE(plate.objects[0].identify_id);
  EXPECT_FALSE(m.total_print_time_s);
  EXPECT_FALSE(m.total_filament_g);
  EXPECT_FALSE(m.layer_height_mm);
  EXPECT_FALSE(m.nozzle_diameter_mm);
  EXPECT_EQ(m.printer_model, "42"); // a number where a name belongs is still readable text

  const std::string all = ::testing::PrintToString(m.warnings);
  EXPECT_THAT(all, HasSubstr("Metadata/slice_info.config: plate #1 has an invalid index 'first'"));
  EXPECT_THAT(all, HasSubstr("plate 1 prediction: 'abc' is not a non-negative number; ignored"));
  EXPECT_THAT(all, HasSubstr("plate 1 weight: '-5' is not a non-negative number"));
  EXPECT_THAT(all, HasSubstr("plate 1 nozzle_diameters: 'nan'"));
  EXPECT_THAT(all, HasSubstr("filament id 'x' is not a positive number"));
  EXPECT_THAT(all, HasSubstr("used_g: '1,5'"));
  EXPECT_THAT(all, HasSubstr("used_m: '1e999'"));
  EXPECT_THAT(all, HasSubstr("object identify_id 'id-9' is not a number"));
  EXPECT_THAT(all, HasSubstr("Metadata/project_settings.config: layer_height: 'thin'"));
  EXPECT_THAT(
      all,
      HasSubstr("Metadata/project_settings.config: nozzle_diameter has an unexpected JSON type (boolean)"));
  EXPECT_EQ(m.warnings.size(), 10u) << all;
}

TEST(ThreeMfParse, DecimalPredictionIsRoundedAndPlateWeightFallsBackToFilaments) {
  ZipBuilder zip = minimalPackage();
  zip.add("Metadata/slice_info.config", R"(<config><plate>
    <metadata key="index" value="3"/>
    <metadata key="prediction" value=" 99.6 "/>
    <filament id="1" type="PLA" color="#FFFFFF" used_g="1.25"/>
    <filament id="2" type="PLA" color="#FFFFFF" used_g="2.5"/>
  </plate></config>)");
  const ThreeMfMetadata m = parseThreeMf(zip.build());
  ASSERT_EQ(m.plates.size(), 1u);
  EXPECT_EQ(m.plates[0].index, 3);
  EXPECT_EQ(m.plates[0].print_time_s, 100);
  EXPECT_FALSE(m.plates[0].weight_g);
  EXPECT_EQ(m.total_filament_g, 3.75);
  EXPECT_THAT(m.filament_types, ElementsAre("PLA"));
  EXPECT_FALSE(m.sliced); // slice info without any plate G-code
}

TEST(ThreeMfParse, ThumbnailThatIsNotAPngIsSkippedForTheNextCandidate) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/plate_1.png", "GIF89a not a png");
  zip.add("Metadata/thumbnail.png", tinyPng());
  const ThreeMfMetadata m = parseThreeMf(zip.build());
  EXPECT_EQ(m.thumbnail_entry, "Metadata/thumbnail.png");
  EXPECT_EQ(m.thumbnail_png, tinyPng());
  EXPECT_THAT(m.warnings, ElementsAre("thumbnail 'Metadata/plate_1.png' skipped: not a PNG image"));
}

TEST(ThreeMfParse, OversizedThumbnailIsSkippedWithAWarning) {
  ThreeMfLimits limits;
  limits.max_thumbnail_bytes = 10;
  const ThreeMfMetadata m = parseThreeMf(slicedProject().build(), limits);
  EXPECT_FALSE(m.thumbnail_entry);
  EXPECT_FALSE(m.thumbnail_png);
  const std::string size = std::to_string(tinyPng().size());
  EXPECT_THAT(m.warnings,
              ElementsAre("thumbnail 'Metadata/plate_1.png' skipped: " + size + " bytes; limit 10"));
}

TEST(ThreeMfParse, ThumbnailFromAuxiliariesWhenNoPlateHasOne) {
  ZipBuilder zip = minimalPackage();
  zip.add("Auxiliaries/.thumbnails/thumbnail_3mf.png", tinyPng());
  const ThreeMfMetadata m = parseThreeMf(zip.build());
  EXPECT_EQ(m.thumbnail_entry, "Auxiliaries/.thumbnails/thumbnail_3mf.png");
}

TEST(ThreeMfParse, PartNamesMatchIgnoringCase) {
  ZipBuilder zip;
  zip.add("[content_types].xml", test::kContentTypesXml).add("3d/3DModel.model", kModelXml);
  const ThreeMfMetadata m = parseThreeMf(zip.build());
  EXPECT_EQ(m.title, "Calibration Cube & Friends");
}

TEST(ThreeMfParse, NamespacePrefixedModelElementsAreRead) {
  ZipBuilder zip = minimalPackage();
  zip.set("3D/3dmodel.model", R"(<m:model xmlns:m="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
  <m:metadata name="Title">Prefixed</m:metadata><m:resources/><m:build/>
  <m:metadata name="DesignModelId">US99</m:metadata></m:model>)");
  const ThreeMfMetadata m = parseThreeMf(zip.build());
  EXPECT_EQ(m.title, "Prefixed");
  EXPECT_EQ(m.design_model_id, "US99");
}

// A model part above the metadata limit carries its geometry inline: only the part before
// <resources> is parsed.
TEST(ThreeMfParse, LargeModelPartIsReadUpToItsResources) {
  std::string model = R"(<?xml version="1.0"?>
<model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
 <metadata name="Title">Big mesh</metadata>
 <metadata name="Application">PrusaSlicer-2.7.0</metadata>
 <resources><object id="1" type="model"><mesh><vertices>)";
  while (model.size() < 200 * 1024) {
    model += R"(<vertex x="1.5" y="2.5" z="3.5"/>)";
  }
  model += "</vertices></mesh></object></resources><build/></model>";
  ZipBuilder zip = minimalPackage();
  zip.set("3D/3dmodel.model", model);
  ThreeMfLimits limits;
  limits.max_metadata_entry_bytes = 64 * 1024;
  const ThreeMfMetadata m = parseThreeMf(zip.build(), limits);
  EXPECT_EQ(m.title, "Big mesh");
  EXPECT_EQ(m.slicer, "PrusaSlicer-2.7.0");
  EXPECT_THAT(m.warnings, IsEmpty());
}

TEST(ThreeMfParse, LargeModelPartWithoutResourcesInItsPrefixGivesAWarning) {
  std::string model = R"(<model><metadata name="Description">)" + std::string(100 * 1024, 'x') +
                      R"(</metadata><resources/><build/></model>)";
  ZipBuilder zip = minimalPackage();
  zip.set("3D/3dmodel.model", model);
  ThreeMfLimits limits;
  limits.max_metadata_entry_bytes = 64 * 1024;
  const ThreeMfMetadata m = parseThreeMf(zip.build(), limits);
  EXPECT_FALSE(m.title);
  EXPECT_THAT(
      m.warnings,
      ElementsAre("3D/3dmodel.model: no <resources> in its first 65536 bytes; model metadata not read"));
}

TEST(ThreeMfParse, LongAndInvalidUtf8TextIsCleaned) {
  ZipBuilder zip = minimalPackage();
  zip.set("3D/3dmodel.model", "<model><metadata name=\"Title\">Bad \xff\xfe bytes</metadata>"
                              "<metadata name=\"Designer\">" +
                                  std::string(3000, 'd') + "</metadata><resources/></model>");
  const ThreeMfMetadata m = parseThreeMf(zip.build());
  EXPECT_EQ(m.title, "Bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
  ASSERT_TRUE(m.designer);
  EXPECT_EQ(m.designer->size(), 1024u);
  EXPECT_THAT(m.warnings, ElementsAre("3D/3dmodel.model: metadata Designer cut to 1024 bytes"));
}

// pugixml expands no entities beyond the five predefined ones: no file is read, nothing multiplies.
TEST(ThreeMfParse, DtdEntitiesAreNeitherLoadedNorExpanded) {
  ZipBuilder zip = slicedProject();
  zip.set("Metadata/slice_info.config", R"(<?xml version="1.0"?>
<!DOCTYPE config [
  <!ENTITY secret SYSTEM "file:///etc/passwd">
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<config><plate>
  <metadata key="index" value="1"/>
  <metadata key="printer_model_id" value="&secret;"/>
  <metadata key="prediction" value="&c;"/>
</plate></config>)");
  const ThreeMfMetadata m = parseThreeMf(zip.build());
  ASSERT_EQ(m.plates.size(), 1u);
  EXPECT_EQ(m.plates[0].printer_model_id, "&secret;");
  EXPECT_FALSE(m.plates[0].print_time_s);
  EXPECT_THAT(m.warnings,
              ElementsAre("Metadata/slice_info.config: plate 1 prediction: '&c;' is not a non-negative "
                          "number; ignored"));
}

TEST(ThreeMfParse, CorruptEntryIsOnlyFoundByFullVerification) {
  ZipBuilder zip = slicedProject();
  std::string bytes = zip.build();
  test::corruptStoredData(bytes, "G1 X10 Y10");
  ThreeMfLimits limits;
  limits.verify_all_entries = false;
  // G-code is never parsed, so without verification the damage goes unseen.
  EXPECT_NO_THROW(parseThreeMf(bytes, limits));
  limits.verify_all_entries = true;
  const ThreeMfError error = test::parseError(bytes, limits);
  EXPECT_EQ(error.code(), ThreeMfErrorCode::CorruptEntry);
  EXPECT_STREQ(error.what(), "entry 'Metadata/plate_1.gcode' is corrupt (CRC mismatch)");
}

} // namespace three_mf_parse_test
} // namespace bambuddy::archives
