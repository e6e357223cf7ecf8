#pragma once
// `moesim run --trace out.json`: the event simulation's timeline as a Chrome / Perfetto trace
// (the JSON "traceEvents" format): one process per pipeline rank, threads "compute" and
// "communication", one complete ("X") event per activity, times in microseconds.
#include <string>
#include <vector>

#include "moesim/training/event_sim.h"

namespace moesim::cli {

// "0,3,15" -> {0, 3, 15}; empty -> every rank 0 … pp−1. Throws UserError for a rank that is
// not a number or not below pp.
std::vector<int> parse_trace_ranks(const std::string& list, int pp);

// Writes the trace of `run` for `ranks` to `path`. Throws UserError when the file cannot be
// written.
void write_trace(const std::string& path, const training::EventRun& run, const std::vector<int>& ranks,
                 const std::string& scenario_name);

}  // namespace moesim::cli
