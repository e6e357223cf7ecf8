#pragma once
// `moesim run --trace out.json`: a simulated step's timeline as a Chrome / Perfetto trace (the
// JSON "traceEvents" format): one process per traced rank (a pipeline rank with --fidelity
// event, a GPU with --fidelity full), threads "compute", "communication" (EP and TP
// collectives, and the waits for a group's last member), "pipeline sends" and "data
// parallel", one complete ("X") event per activity, times in microseconds.
#include <string>
#include <vector>

#include "moesim/training/timeline.h"

namespace moesim::cli {

struct TraceProcess {
    int rank = 0;      // the timeline's rank: the process id
    std::string name;  // shown for the process
};

// "0,3,15" -> {0, 3, 15}; empty -> `defaults`. Throws UserError for a rank that is not a
// number or not below `count`; `what` names the ranks in the message ("pipeline rank", "GPU").
std::vector<int> parse_trace_ranks(const std::string& list, int count, const std::vector<int>& defaults,
                                   const std::string& what);

// Writes the activities of `timeline` whose rank is one of `processes` to `path`. Throws
// UserError when the file cannot be written.
void write_trace(const std::string& path, const std::vector<training::TimelineEntry>& timeline,
                 const std::vector<TraceProcess>& processes);

}  // namespace moesim::cli
