#pragma once
// The documented range of every numeric calibration-profile key. A profile nests its points
// in lists, so a row names the key ("/tokens") and applies wherever that key appears.
#include <span>

#include "moesim/common/value_range.h"

namespace moesim::hw {

std::span<const ValueRange> calibration_ranges();

}  // namespace moesim::hw
