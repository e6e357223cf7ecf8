#pragma once
// The documented range of every numeric model-config key (scenarios/README.md prints them).
#include <span>

#include "moesim/common/value_range.h"

namespace moesim::workload {

std::span<const ValueRange> model_config_ranges();

}  // namespace moesim::workload
