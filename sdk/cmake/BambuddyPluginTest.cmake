# bambuddy_add_plugin_test(): a GoogleTest executable for a plugin built with bambuddy_add_plugin(),
# in this tree or out of tree.
#
#   bambuddy_add_plugin_test(<plugin target>
#     SOURCES <test files...>
#     [NAME <test target>]           # default: <plugin target>_tests
#     [DEFINE_PREFIX <P>]            # default: the plugin name upper-cased, dots as underscores
#     [LIBS <libraries...>])         # linked into the test as well (e.g. BambuddySDK::plugin_testing)
#
# A plugin is a MODULE, which nothing can link, so the test is built from the plugin's own sources
# (its entry point included) plus the test files: the tests call the real bb_plugin_query and
# drive the real descriptor and trampolines, e.g. through <bambuddy/testing/fake_host.hpp>. The
# test gets the plugin's include directories, compile definitions and link libraries (as they are
# when the build is generated, so calling target_link_libraries() on the plugin afterwards is
# fine), the folders of the plugin's sources as include directories (#include "my_plugin.h"), and
# these definitions:
#   <P>_MODULE_PATH         the built .so, for tests that dlopen it as the server does
#   <P>_SCHEMA_DIR          the folder of the instance schema file (or of the config schema)
#   <P>_CONFIG_SCHEMA_FILE  the schema files given to bambuddy_add_plugin ("" when none)
#   <P>_INSTANCE_SCHEMA_FILE
# The tests are registered with ctest through gtest_discover_tests(), so `ctest` runs them; call
# enable_testing() in the project. Needs GoogleTest's CMake package (Debian: libgtest-dev).
include_guard(GLOBAL)

function(bambuddy_add_plugin_test plugin)
  cmake_parse_arguments(T "" "NAME;DEFINE_PREFIX" "SOURCES;LIBS" ${ARGN})
  if(NOT TARGET ${plugin})
    message(FATAL_ERROR "bambuddy_add_plugin_test(${plugin}): no such target; call bambuddy_add_plugin first")
  endif()
  get_target_property(_name ${plugin} BAMBUDDY_PLUGIN_NAME)
  if(NOT _name)
    message(FATAL_ERROR "bambuddy_add_plugin_test(${plugin}): not a target of bambuddy_add_plugin()")
  endif()
  if(NOT T_SOURCES)
    message(FATAL_ERROR "bambuddy_add_plugin_test(${plugin}): SOURCES (the test files) is required")
  endif()
  if(NOT T_NAME)
    set(T_NAME ${plugin}_tests)
  endif()
  if(NOT T_DEFINE_PREFIX)
    string(TOUPPER "${_name}" T_DEFINE_PREFIX)
    string(REPLACE "." "_" T_DEFINE_PREFIX "${T_DEFINE_PREFIX}")
  endif()

  if(NOT TARGET GTest::gtest_main)
    find_package(GTest REQUIRED)
  endif()
  if(NOT TARGET Threads::Threads)
    find_package(Threads REQUIRED)
  endif()
  include(GoogleTest)

  # The plugin's sources as absolute paths (they are relative to the plugin's own folder).
  get_target_property(_plugin_dir ${plugin} SOURCE_DIR)
  get_target_property(_plugin_sources ${plugin} SOURCES)
  set(_sources "")
  set(_source_dirs "")
  foreach(_source IN LISTS _plugin_sources)
    if(NOT IS_ABSOLUTE "${_source}")
      set(_source "${_plugin_dir}/${_source}")
    endif()
    list(APPEND _sources "${_source}")
    get_filename_component(_dir "${_source}" DIRECTORY)
    list(APPEND _source_dirs "${_dir}")
  endforeach()
  list(REMOVE_DUPLICATES _source_dirs)

  get_target_property(_config_schema ${plugin} BAMBUDDY_CONFIG_SCHEMA_FILE)
  get_target_property(_instance_schema ${plugin} BAMBUDDY_INSTANCE_SCHEMA_FILE)
  set(_schema_dir "")
  if(_instance_schema)
    get_filename_component(_schema_dir "${_instance_schema}" DIRECTORY)
  elseif(_config_schema)
    get_filename_component(_schema_dir "${_config_schema}" DIRECTORY)
  endif()

  add_executable(${T_NAME} ${_sources} ${T_SOURCES})
  target_compile_features(${T_NAME} PRIVATE cxx_std_17)
  target_include_directories(${T_NAME} PRIVATE ${_source_dirs}
    $<TARGET_PROPERTY:${plugin},INCLUDE_DIRECTORIES>)
  target_compile_definitions(${T_NAME} PRIVATE
    $<TARGET_PROPERTY:${plugin},COMPILE_DEFINITIONS>
    ${T_DEFINE_PREFIX}_MODULE_PATH="$<TARGET_FILE:${plugin}>"
    ${T_DEFINE_PREFIX}_SCHEMA_DIR="${_schema_dir}"
    ${T_DEFINE_PREFIX}_CONFIG_SCHEMA_FILE="${_config_schema}"
    ${T_DEFINE_PREFIX}_INSTANCE_SCHEMA_FILE="${_instance_schema}")
  target_link_libraries(${T_NAME} PRIVATE
    $<TARGET_PROPERTY:${plugin},LINK_LIBRARIES> ${T_LIBS}
    GTest::gtest_main Threads::Threads ${CMAKE_DL_LIBS})
  add_dependencies(${T_NAME} ${plugin})
  gtest_discover_tests(${T_NAME} DISCOVERY_TIMEOUT 60 DISCOVERY_MODE PRE_TEST)
endfunction()
