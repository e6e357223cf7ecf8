#pragma once
// The event-driven ("event") training step: the schedule's per-rank operation orders
// (workload::make_pipeline_schedule) turned into an engine::TaskGraph and run on the engine.
//
// Per pipeline rank three serial resources: its compute stream, its collective stream (EP,
// TP) and its pipeline-send stream.
// Each operation of the rank's order is a compute activity; operations of one rank run in the
// schedule's order (each depends on the one before). Durations come from stage_costs():
//   F  = forward work;  B = backward-input work + recompute;  W = backward-weight work;
//   BW = B + W.
// Communication:
//   * EP and TP collectives of a chunk outside an overlapped pair are a communication
//     activity right after the chunk's computation, and the rank's next operation waits for
//     it: exposed, as in a framework that does not overlap them.
//   * DualPipe's overlapped pair (FB): the forward chunk of one micro-batch and the full
//     backward chunk of another. Their computation runs on the compute stream slowed by
//     SMs / (SMs − comm_sms), both chunks' EP/TP collectives on the communication stream at
//     the same time (both starting once the pair's inputs are there); the pair ends when both
//     have: max((Cf + Cb)·slowdown, Mf + Mb).
//   * PP: each chunk's output activation (forward) or input gradient (backward) is a send
//     activity on the sender's pipeline-send stream after the producing operation; the
//     consumer on the neighbouring rank depends on it. Sends are asynchronous for the sender.
// One pipeline (pp ranks) is simulated: under uniform MoE load the dp replicas are identical,
// so one stands for all (full_sim.h simulates every GPU); data parallelism (gradient
// reduce-scatter, parameter all-gather, optimizer) follows each rank's last operation as in
// the analytic mode (data_parallel_times(), step_tail.h); the step ends with the last rank's.
#include <cstdint>
#include <string>
#include <vector>

#include "moesim/common/units.h"
#include "moesim/training/result.h"
#include "moesim/training/setup.h"
#include "moesim/workload/pipeline_schedule.h"

namespace moesim::training {

using units::Picoseconds;

struct EventOptions {
    bool record_timeline = false;  // keep every activity's name and times (for --trace)
};

// The stream an activity runs on, a thread of the trace.
enum class TraceThread : std::uint8_t { Compute, Collectives, PipelineSends, DataParallel };

// One activity of the simulated step, for traces.
struct TimelineEntry {
    int rank = 0;
    bool communication = false;  // false: compute stream
    std::string name;            // "F mb3 s0", "PP send F mb3 s0", "EP/TP BW mb1 s7", …
    Picoseconds start_ps = 0, end_ps = 0;
    TraceThread thread = TraceThread::Compute;
};

struct EventRun {
    TrainingResult result;
    workload::PipelineSchedule schedule;
    Picoseconds makespan_ps = 0;  // of the pipeline part (before data parallelism)
    int critical_rank = 0;
    std::vector<TimelineEntry> timeline;  // empty unless record_timeline
};

// Throws what prepare_training() would not have caught (ScenarioError naming
// /training/global_batch_size for an interleaved schedule whose micro-batches are not a
// multiple of pp).
EventRun run_step_event(const TrainingSetup& setup, const EventOptions& options = {});
TrainingResult simulate_step_event(const TrainingSetup& setup, const EventOptions& options = {});

// Idealized simulation for the schedule formulas (PUBLISHED.md F): every chunk takes the same
// F, B (input gradient) and W picoseconds, a full backward BW = B + W, an overlapped pair
// takes `fb_ps` (negative: F + B + W, perfect overlap with free communication), and
// communication is free.
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
