#include "support/three_mf_sample.h"

#include "support/zip_builder.h"

namespace bambuddy::testing {

namespace {

std::string sampleWith(const std::string& title, const std::vector<SamplePlate>& plates,
                       const std::string* gcode);

} // namespace

std::string sampleThreeMf(const std::string& title, int64_t print_time_s, double filament_g) {
  return sampleWith(title, {{1, print_time_s, filament_g}}, nullptr);
}

std::string multiPlateThreeMf(const std::string& title, const std::vector<SamplePlate>& plates) {
  return sampleWith(title, plates, nullptr);
}

std::string largeThreeMf(const std::string& title, uint64_t gcode_bytes) {
  std::string gcode;
  gcode.reserve(gcode_bytes + 32);
  uint64_t line = 0;
  while (gcode.size() < gcode_bytes) {
    gcode += "G1 X" + std::to_string(line % 250) + "." + std::to_string(line % 7) + " Y" +
             std::to_string((line * 31) % 250) + " E" + std::to_string(line % 97) + "\n";
    ++line;
  }
  gcode.resize(gcode_bytes);
  return sampleWith(title, {{1, 3600, 12.5}}, &gcode);
}

namespace {

std::string sampleWith(const std::string& title, const std::vector<SamplePlate>& plates,
                       const std::string* gcode) {
  ZipBuilder zip;
  zip.add(
      "[Content_Types].xml",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"model\" ContentType=\"application/vnd.ms-package.3dmanufacturing-3dmodel+xml\"/>"
      "<Default Extension=\"png\" ContentType=\"image/png\"/></Types>");
  zip.add("3D/3dmodel.model",
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<model unit=\"millimeter\" xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\">"
          "<metadata name=\"Title\">" +
              title +
              "</metadata><metadata name=\"Application\">BambuStudio-01.10.00.00</metadata>"
              "<resources/><build/></model>");
  std::string slice_info = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config><header>"
                           "<header_item key=\"X-BBL-Client-Version\" value=\"01.10.00.00\"/></header>";
  for (const SamplePlate& plate : plates) {
    const std::string grams = std::to_string(plate.filament_g);
    slice_info += "<plate><metadata key=\"index\" value=\"" + std::to_string(plate.index) +
                  "\"/><metadata key=\"printer_model_id\" value=\"C11\"/>"
                  "<metadata key=\"prediction\" value=\"" +
                  std::to_string(plate.print_time_s) + "\"/><metadata key=\"weight\" value=\"" + grams +
                  "\"/><filament id=\"1\" type=\"PLA\" color=\"#FFFFFF\" used_m=\"1.0\" used_g=\"" + grams +
                  "\"/></plate>";
  }
  zip.add("Metadata/slice_info.config", slice_info + "</config>");
  for (const SamplePlate& plate : plates) {
    const std::string n = std::to_string(plate.index);
    zip.add("Metadata/plate_" + n + ".png", tinyPng(), ZipBuilder::Method::Store);
    if (gcode != nullptr) {
      zip.add("Metadata/plate_" + n + ".gcode", *gcode, ZipBuilder::Method::Store);
    } else {
      zip.add("Metadata/plate_" + n + ".gcode", "; sample plate " + n + "\nG28\n");
    }
  }
  return zip.build();
}

} // namespace

} // namespace bambuddy::testing
