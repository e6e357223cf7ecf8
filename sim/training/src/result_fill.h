#pragma once
// What every fidelity derives the same way from a step time: throughput, MFU, the cost of
// the whole run; and the breakdown entries of the work categories.
#include <string>
#include <vector>

#include "moesim/training/analytic.h"
#include "moesim/training/result.h"
#include "moesim/training/setup.h"

namespace moesim::training::detail {

// Sets tokens_per_step … wall_days and peak_memory_GB from r.step_time_s (DESIGN.md §6:
// MFU against the dense BF16 peak whatever the precision, FP8 utilisation beside it).
void fill_throughput_and_cost(TrainingResult& r, const TrainingSetup& st);

// Appends (phase, category, seconds) when seconds > 0.
void add_breakdown(std::vector<BreakdownEntry>& b, const std::string& phase, const std::string& category, double seconds);

// The assumption line naming the calibration profile the costs came from.
std::string profile_assumption(const TrainingSetup& st);

// Appends the four work categories of `w` under `phase`.
void add_work_breakdown(std::vector<BreakdownEntry>& b, const std::string& phase, const WorkTimes& w);

}  // namespace moesim::training::detail
