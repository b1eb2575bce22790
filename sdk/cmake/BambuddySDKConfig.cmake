# Installed with the SDK: find_package(BambuddySDK) gives BambuddySDK::sdk, bambuddy_add_plugin()
# (BambuddyPlugin.cmake) and bambuddy_add_plugin_test() (BambuddyPluginTest.cmake; needs GoogleTest
# only when called).
# Two optional helper headers include other Debian packages' headers from /usr/include:
# bambuddy/date_time.hpp needs date.h (libhowardhinnant-date-dev), bambuddy/utf8.hpp utfcpp
# (libutfcpp-dev, also needed by the common component's text/utf8.h); both header-only, nothing to
# link.
#
# find_package(BambuddySDK COMPONENTS common) also gives the static libraries of plugins/common,
# for plugins that want the in-tree notifiers' building blocks (they need libcurl and nlohmann_json):
#   BambuddySDK::plugin_text  templates, event texts, UTF-8/base64/RFC 2047 helpers ("text/...")
#   BambuddySDK::plugin_net   the SSRF-guarded HTTP client ("net/..."), links plugin_text and curl
# find_package(BambuddySDK COMPONENTS testing) gives what the in-tree notifiers' tests use:
#   BambuddySDK::plugin_testing  a local HTTP receiver ("support/http_receiver.h"), temp dirs
#                                ("support/temp_dir.h") and the GoogleTest fixture
#                                "testing/notifier_fixture.h" (needs GoogleTest and nlohmann_json)
include(CMakeFindDependencyMacro)
include("${CMAKE_CURRENT_LIST_DIR}/BambuddySDKTargets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/BambuddyPlugin.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/BambuddyPluginTest.cmake")

set(BambuddySDK_FOUND TRUE)
foreach(_bambuddy_component IN LISTS BambuddySDK_FIND_COMPONENTS)
  if(_bambuddy_component STREQUAL "common")
    find_dependency(CURL)
    find_dependency(nlohmann_json 3.11)
    include("${CMAKE_CURRENT_LIST_DIR}/BambuddyPluginCommonTargets.cmake")
    set(BambuddySDK_common_FOUND TRUE)
  elseif(_bambuddy_component STREQUAL "testing")
    find_dependency(Threads)
    find_dependency(nlohmann_json 3.11)
    include("${CMAKE_CURRENT_LIST_DIR}/BambuddyPluginTestingTargets.cmake")
    set(BambuddySDK_testing_FOUND TRUE)
  else()
    set(BambuddySDK_${_bambuddy_component}_FOUND FALSE)
    if(BambuddySDK_FIND_REQUIRED_${_bambuddy_component})
      set(BambuddySDK_FOUND FALSE)
      set(BambuddySDK_NOT_FOUND_MESSAGE "unknown component '${_bambuddy_component}' (known: common, testing)")
    endif()
  endif()
endforeach()
unset(_bambuddy_component)
