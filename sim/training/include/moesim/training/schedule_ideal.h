#pragma once
// A pipeline schedule simulated with idealized chunk times, for the schedule formulas
// (PUBLISHED.md F; `moesim validate`'s bubble cases): every chunk takes the same F, B (input
// gradient) and W picoseconds, a full backward BW = B + W, an overlapped pair takes `fb_ps`
// (negative: F + B + W, perfect overlap with free communication), and communication is free.
// The same task-graph builder and engine as the event fidelity (simulate.h).
#include <utility>
#include <vector>

#include "moesim/common/units.h"
#include "moesim/workload/pipeline_schedule.h"

namespace moesim::training {

using units::Picoseconds;

struct IdealDurations {
    Picoseconds f_ps = 0, b_ps = 0, w_ps = 0;
    Picoseconds fb_ps = -1;
};

struct IdealRun {
    workload::PipelineSchedule schedule;
    Picoseconds makespan_ps = 0;
    std::vector<Picoseconds> busy_ps;  // per rank: compute time
    std::vector<std::vector<std::pair<Picoseconds, Picoseconds>>> op_times;  // [rank][op] = (start, end)
    // Idle time of rank r's compute stream within the makespan.
    Picoseconds idle_ps(int rank) const { return makespan_ps - busy_ps.at(static_cast<std::size_t>(rank)); }
};

IdealRun simulate_schedule_ideal(workload::Schedule schedule, int pp, int micro_batches, const IdealDurations& d,
                                 int virtual_stages = 1);

}  // namespace moesim::training
