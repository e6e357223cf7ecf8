#pragma once
// The activities of a simulated training step, for traces (simulate.h, cli/trace.h).
#include <cstdint>
#include <string>

#include "moesim/common/units.h"

namespace moesim::training {

// The stream an activity runs on, a thread of the trace.
enum class TraceThread : std::uint8_t { Compute, Collectives, PipelineSends, DataParallel };

// One activity of the simulated step.
struct TimelineEntry {
    int rank = 0;                // pipeline rank (event) or global GPU (full)
    bool communication = false;  // false: compute stream
    std::string name;            // "F mb3 s0", "PP send F mb3 s0", "EP/TP BW mb1 s7", …
    units::Picoseconds start_ps = 0, end_ps = 0;
    TraceThread thread = TraceThread::Compute;
};

}  // namespace moesim::training
