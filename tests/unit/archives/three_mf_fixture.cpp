#include "three_mf_fixture.h"

namespace bambuddy::archives::test {

const char* const kContentTypesXml = R"(<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
 <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
 <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>
 <Default Extension="png" ContentType="image/png"/>
 <Default Extension="gcode" ContentType="text/x.gcode"/>
</Types>
)";

const char* const kModelXml = R"(<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xml:lang="en-US" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02" xmlns:BambuStudio="http://schemas.bambulab.com/package/2021">
 <metadata name="Application">BambuStudio-01.10.01.50</metadata>
 <metadata name="BambuStudio:3mfVersion">1</metadata>
 <metadata name="Title">Calibration Cube &amp; Friends</metadata>
 <metadata name="Designer">Jane Maker</metadata>
 <metadata name="DesignModelId">US1234abcd</metadata>
 <metadata name="DesignProfileId">987654</metadata>
 <metadata name="ProfileTitle">0.20mm Standard</metadata>
 <resources>
  <object id="2" type="model"><components><component objectid="1"/></components></object>
 </resources>
 <build><item objectid="2" printable="1"/></build>
</model>
)";

// Plate 2 comes first on purpose: plates are reported by index.
const char* const kSliceInfoXml = R"(<?xml version="1.0" encoding="UTF-8"?>
<config>
  <header>
    <header_item key="X-BBL-Client-Type" value="slicer"/>
    <header_item key="X-BBL-Client-Version" value="01.10.01.50"/>
  </header>
  <plate>
    <metadata key="index" value="2"/>
    <metadata key="printer_model_id" value="C11"/>
    <metadata key="nozzle_diameters" value="0.4"/>
    <metadata key="prediction" value="3600"/>
    <metadata key="weight" value="20.25"/>
    <object identify_id="201" name="bracket.stl" skipped="false"/>
    <object identify_id="202" name="bracket.stl" skipped="true"/>
    <filament id="1" tray_info_idx="GFA00" type="PLA" color="#FFFFFF" used_m="1.76" used_g="5.25"/>
    <filament id="2" tray_info_idx="GFG00" type="PETG" color="#000000FF" used_m="5.0" used_g="15"/>
  </plate>
  <plate>
    <metadata key="index" value="1"/>
    <metadata key="printer_model_id" value="C11"/>
    <metadata key="nozzle_diameters" value="0.4"/>
    <metadata key="prediction" value="1800"/>
    <metadata key="weight" value="10.5"/>
    <object identify_id="101" name="cube.stl" skipped="false"/>
    <filament id="1" tray_info_idx="GFA00" type="PLA" color="#FFFFFF" used_m="3.52" used_g="10.5"/>
  </plate>
</config>
)";

const char* const kProjectSettingsJson = R"({
  "curr_bed_type": "Textured PEI Plate",
  "filament_colour": ["#FFFFFF", "#000000FF", "#FF0000"],
  "filament_type": ["PLA", "PETG", "TPU"],
  "layer_height": "0.2",
  "nozzle_diameter": ["0.4"],
  "print_settings_id": "0.20mm Standard @BBL X1C",
  "printer_model": "Bambu Lab X1 Carbon",
  "printer_settings_id": "Bambu Lab X1 Carbon 0.4 nozzle",
  "version": "01.10.01.50"
}
)";

const char* const kModelSettingsXml = R"(<?xml version="1.0" encoding="UTF-8"?>
<config>
  <object id="2">
    <metadata key="name" value="cube.stl"/>
    <metadata key="extruder" value="1"/>
  </object>
  <plate>
    <metadata key="plater_id" value="1"/>
    <metadata key="plater_name" value="Cube plate"/>
    <metadata key="locked" value="false"/>
    <metadata key="gcode_file" value="Metadata/plate_1.gcode"/>
    <metadata key="thumbnail_file" value="Metadata/plate_1.png"/>
  </plate>
  <plate>
    <metadata key="plater_id" value="2"/>
    <metadata key="plater_name" value=""/>
    <metadata key="locked" value="false"/>
  </plate>
</config>
)";

ZipBuilder minimalPackage() {
  ZipBuilder zip;
  zip.add("[Content_Types].xml", kContentTypesXml).add("3D/3dmodel.model", kModelXml);
  return zip;
}

ZipBuilder slicedProject() {
  ZipBuilder zip = minimalPackage();
  zip.add("_rels/.rels", R"(<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/3D/3dmodel.model" Id="rel-1" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>
)")
      .add("Metadata/slice_info.config", kSliceInfoXml)
      .add("Metadata/project_settings.config", kProjectSettingsJson)
      .add("Metadata/model_settings.config", kModelSettingsXml)
      .add("Metadata/plate_1.png", tinyPng(), ZipBuilder::Method::Store)
      .add("Metadata/plate_2.png", tinyPng(), ZipBuilder::Method::Store)
      .add("Metadata/plate_1.gcode", "; HEADER_BLOCK_START\n; total layer number: 50\nG28\nG1 X10 Y10\n",
           ZipBuilder::Method::Store)
      .add("Metadata/plate_2.gcode", "; HEADER_BLOCK_START\nG28\n");
  return zip;
}

} // namespace bambuddy::archives::test
