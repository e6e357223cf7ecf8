#pragma once
// Internal to the full simulation (full_sim.h): every simulated GPU as a process walking its
// pipeline rank's operation order over the step lists of full_program.h.
#include <cstdint>
#include <vector>

#include "full_program.h"
#include "moesim/workload/pipeline_schedule.h"

namespace moesim::training::detail {

// The simulated GPUs: for each pipeline rank p, `span` consecutive GPUs of its block of
// `block` = tp·dp (all of them, or the first EP group's under the symmetry shortcut).
// Simulated index r = p·span + q, global rank p·block + q.
struct FullShape {
    int pp = 0, tp = 1, ep = 1;
    int block = 1;  // GPUs per pipeline rank (tp·dp)
    int span = 1;   // of them simulated
    std::uint64_t seed = 0;
    int global_rank(int r) const { return (r / span) * block + r % span; }
    int ranks() const { return pp * span; }
};

// Index of the load a GPU (simulated index r) has in MoE table `table` for micro-batch `mb`.
int load_index(const FullProgram& prog, const FullShape& shape, int table, int r, int mb);

struct RankTally {
    Picoseconds busy_ps = 0;                      // compute stream
    Picoseconds ep_exposed_ps = 0, tp_exposed_ps = 0, pp_exposed_ps = 0;  // not under its compute
    Picoseconds wait_ps = 0;                      // waiting for a collective's last member, not under compute
    Picoseconds end_ps = 0;                       // end of its last operation
};

// A kept activity of a recorded GPU (names are made at the end).
enum class RawKind : std::uint8_t { Step, Wait, PpSend };
struct RawEntry {
    std::int32_t rank = 0;  // simulated index
    std::int32_t op = 0;    // index in the pipeline rank's order
    RawKind kind = RawKind::Step;
    std::uint8_t half = 0;  // FB: 0 the forward chunk, 1 the backward one; PpSend: 0 forward, 1 backward
    std::uint8_t pass = 0;  // Pass of the step
    std::int32_t step = 0;  // index in the pass's step list of the stage
    Picoseconds start_ps = 0, end_ps = 0;
};

struct EngineResult {
    std::vector<RankTally> ranks;  // per simulated index
    std::vector<RawEntry> entries;
    std::int64_t activities = 0, collectives = 0, wakeups = 0, state_bytes = 0;
};

// `recorded[r]` (simulated index) keeps r's activities. Throws InternalError on a deadlock.
EngineResult run_full_engine(const FullProgram& prog, const workload::PipelineSchedule& sched, const FullShape& shape,
                             const std::vector<char>& recorded);

}  // namespace moesim::training::detail
