// Shared assertions of the 3MF tests.
#pragma once

#include "archives/three_mf.h"

#include <gtest/gtest.h>

#include <string>

namespace bambuddy::archives::test {

// The ThreeMfError parseThreeMf throws for `bytes`; fails the test when it throws nothing.
inline ThreeMfError parseError(const std::string& bytes, const ThreeMfLimits& limits = {}) {
  try {
    parseThreeMf(bytes, limits);
  } catch (const ThreeMfError& e) {
    return e;
  }
  ADD_FAILURE() << "parseThreeMf accepted the archive";
  return ThreeMfError(ThreeMfErrorCode::NotZip, "<no error>");
}

} // namespace bambuddy::archives::test
