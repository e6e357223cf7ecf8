#pragma once
// The documented range of every numeric scenario key (scenarios/README.md prints the same
// numbers) and the work budgets a scenario is checked against before it runs.
#include <span>

#include "moesim/common/value_range.h"

namespace moesim::workload {

std::span<const ValueRange> scenario_ranges();

// Serving: Poisson traffic simulates about requests_per_s·duration_s requests.
inline constexpr double kMaxSimulatedRequests = 1e7;
// Training: micro-batches per step times pipeline chunks is the schedule's event count.
inline constexpr double kMaxScheduleEvents = 1e7;

}  // namespace moesim::workload
