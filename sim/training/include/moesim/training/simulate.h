#pragma once
// The training step, at any fidelity: the one entry point of sim/training.
//   analytic  closed form: per-micro-batch chunk costs summed per pipeline rank, the schedule's
//             bubble from its formula (PUBLISHED.md F), the slowest rank sets the step;
//   event     one pipeline replica's schedule (workload::make_pipeline_schedule) run chunk by
//             chunk on the discrete-event engine, every GPU at each MoE layer's slowest load;
//   full      every GPU of the layout, layer by layer, at its own MoE load, collectives
//             synchronising their EP/TP group (the slowest member holds it up).
// Every fidelity reads its durations from one chunk program built per call
// (chunk_program.h), returns one step trace, and one assembler turns it into the result
// (breakdown, throughput, cost, assumptions) and the timeline.
//
// Overlap: DualPipe and DualPipeV pair a forward chunk with a backward one; inside a pair the
// two chunks' layers interleave on a compute stream (slowed by SMs / (SMs − comm_sms)) and a
// collective stream in a fixed order per pair of stages (pair_order.h), so an all-to-all hides
// only behind the computation beside it. Outside pairs every EP/TP collective is exposed. PP
// sends run on their own stream, asynchronous for the sender. Data parallelism: the gradient
// reduce-scatter overlaps the last backward chunk, the parameter all-gather the next step's
// first forward chunk; only the excess is exposed; Adam runs in between.
#include <cstdint>
#include <string>
#include <vector>

#include "moesim/common/progress_hook.h"
#include "moesim/common/units.h"
#include "moesim/training/fidelity.h"
#include "moesim/training/result.h"
#include "moesim/training/setup.h"
#include "moesim/training/timeline.h"
#include "moesim/workload/pipeline_schedule.h"

namespace moesim::training {

using units::Picoseconds;

struct StepOptions {
    // Ranks whose activities go in the timeline (--trace): pipeline ranks at event fidelity,
    // global GPU ranks at full; empty: no timeline. The analytic estimate has none.
    std::vector<int> trace_ranks;
    // Full fidelity's symmetry shortcut (off by default, and off in the benchmark): simulate the
    // GPUs of the first EP group of each pipeline rank only, standing for the other groups
    // (exact when their loads are alike: always at the mean load; a draw's rotation differs by
    // group).
    bool one_ep_group = false;
    // Full fidelity: every EP/TP collective, PP send and DP collective as flows on the cluster's
    // topology (network/step_flows.h), sharing links max-min fairly with whatever else is in
    // flight, and cluster.network.faults applied; off: each timed alone in closed form.
    bool network_flows = false;
    // Full fidelity: called every few thousand chunk operations with the operations done and
    // their total over the simulated GPUs (and once at the end); empty: not called.
    ProgressHook progress;
};

// What the simulation itself did (event and full).
struct RunStats {
    std::vector<TrafficClassFigures> traffic;  // --network flows: every class (result.h)
    std::int64_t flows = 0;                     // --network flows: flows started
    std::int64_t ranks_simulated = 0;
    std::int64_t activities = 0;   // compute, collective and send activities run
    std::int64_t collectives = 0;  // group collectives completed (full)
    std::int64_t wakeups = 0;      // GPUs put back in the run queue (full)
    std::int64_t state_bytes = 0;  // memory held by the simulation's own state (full)
};

struct TrainingRun {
    TrainingResult result;
    workload::PipelineSchedule schedule;  // event and full
    int critical_rank = 0;                // reported: pipeline rank (analytic, event), global GPU (full)
    Picoseconds makespan_ps = 0;          // pipeline part, before data parallelism (event and full)
    std::vector<Picoseconds> end_ps;      // per simulated rank: end of its last operation (event and full)
    std::vector<TimelineEntry> timeline;  // options.trace_ranks' activities
    RunStats stats;
};

// Throws ScenarioError naming the scenario file for what prepare_training() lets through (an
// interleaved schedule whose micro-batches are not a multiple of pp, at event and full
// fidelity).
TrainingRun simulate_training(const TrainingSetup& setup, Fidelity fidelity, const StepOptions& options = {});

}  // namespace moesim::training
