# BAMBUDDY_FUZZ=ON: a build of the libFuzzer targets (tests/fuzz) and the libraries they use, all
# instrumented for coverage (-fsanitize=fuzzer-no-link) and checked by ASan + UBSan. libFuzzer
# ships with clang only (Debian: clang-14, libfuzzer-14-dev), so other compilers stop here. The
# regular test suite is not configured in this mode: ctest holds only the `fuzz` label.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "BAMBUDDY_FUZZ=ON needs clang (libFuzzer), e.g. "
                      "CC=clang-14 CXX=clang++-14 cmake -DBAMBUDDY_FUZZ=ON ...; "
                      "found ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
endif()
set(BAMBUDDY_SANITIZE ON)
set(BAMBUDDY_BUILD_TESTS OFF)
set(BAMBUDDY_BUILD_BENCH OFF)
add_compile_options(-fsanitize=fuzzer-no-link)
# ctest runs the targets (tests/fuzz/CMakeLists.txt, label `fuzz`).
enable_testing()
