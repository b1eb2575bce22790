# Installed with the SDK: find_package(BambuddySDK) gives BambuddySDK::sdk and bambuddy_add_plugin().
get_filename_component(_bambuddy_sdk_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET BambuddySDK::sdk)
  add_library(BambuddySDK::sdk INTERFACE IMPORTED)
  set_target_properties(BambuddySDK::sdk PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_bambuddy_sdk_prefix}/include")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/BambuddyPlugin.cmake")
set(BambuddySDK_FOUND TRUE)
