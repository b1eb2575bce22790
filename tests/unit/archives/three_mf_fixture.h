// A small but complete Bambu Studio style 3MF, written in the test: two sliced plates, project
// settings, plate names, thumbnails and G-code. Tests change or drop parts to make bad files.
#pragma once

#include "support/zip_builder.h"

#include <string>

namespace bambuddy::archives::test {

// The zip tools live in tests/support (the integration tests build uploads with them too).
using bambuddy::testing::corruptStoredData;
using bambuddy::testing::patchCompressionMethod;
using bambuddy::testing::patchDeclaredSize;
using bambuddy::testing::patchName;
using bambuddy::testing::tinyPng;
using bambuddy::testing::ZipBuilder;

extern const char* const kContentTypesXml;
extern const char* const kModelXml;
extern const char* const kSliceInfoXml;
extern const char* const kProjectSettingsJson;
extern const char* const kModelSettingsXml;

// [Content_Types].xml, _rels/.rels, 3D/3dmodel.model, Metadata/slice_info.config,
// project_settings.config, model_settings.config, plate_1.png, plate_2.png, plate_1.gcode,
// plate_2.gcode.
ZipBuilder slicedProject();

// Only the two parts the 3MF core requires.
ZipBuilder minimalPackage();

} // namespace bambuddy::archives::test
