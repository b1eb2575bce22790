// Metadata/slice_info.config: what the slicer computed for each sliced plate. Bambu Studio and
// OrcaSlicer write
//   <config><header><header_item key="X-BBL-Client-Version" value="01.10.01.50"/></header>
//     <plate><metadata key="index" value="1"/><metadata key="prediction" value="5450"/>
//       <metadata key="weight" value="26.91"/>...<object identify_id="930" name="a" skipped="false"/>
//       <filament id="1" type="PLA" color="#FFFFFF" used_m="8.88" used_g="26.91"/></plate>
//   </config>
#pragma once

#include "archives/three_mf.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::archives {

inline constexpr std::string_view kSliceInfoEntry = "Metadata/slice_info.config";

struct SliceInfo {
  std::optional<std::string> client_version;
  std::vector<PlateInfo> plates; // in file order; names and entries are filled in later
};

// Throws ThreeMfError(MalformedMetadata) for bad XML or a root other than <config>; values that
// are not numbers are skipped with a warning.
SliceInfo parseSliceInfo(std::string_view xml, std::vector<std::string>& warnings);

} // namespace bambuddy::archives
