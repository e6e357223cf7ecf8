#pragma once
// The documented range of every numeric scenario key (scenarios/README.md prints the same
// numbers) and the work budgets a scenario is checked against before it runs.
#include <span>

#include "moesim/common/value_range.h"

namespace moesim::workload {

std::span<const ValueRange> scenario_ranges();

// Serving: Poisson traffic simulates about requests_per_s·duration_s requests.
inline constexpr double kMaxSimulatedRequests = 1e7;
// Serving: decode iterations, at most decode instances · 2·duration_s (the simulation's stop)
// over the shortest decode iteration (one sequence), and at most one per output token of the
// expected requests (Poisson); checked once the iteration costs are known (serving_deployment.cpp).
inline constexpr double kMaxDecodeIterations = 1e7;
// Training: micro-batches per step times pipeline chunks is the schedule's event count.
inline constexpr double kMaxScheduleEvents = 1e7;

}  // namespace moesim::workload
