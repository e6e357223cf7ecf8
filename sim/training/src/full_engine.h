#pragma once
// Internal to the full executor (executors.h): every simulated GPU as a process walking its
// pipeline rank's operation order over the chunk program's step lists (chunk_program.h).
//
// Per GPU (global rank g = pipeline rank · tp·dp + data-parallel index · tp + TP index; EP
// groups are ep consecutive GPUs of one pipeline rank): its pipeline rank's order, each chunk
// operation as its layers' steps on three streams (compute, collectives, pipeline sends); the
// routed experts at the GPU's own load of the layer's draw (MoeTable; under uniform popularity
// the draw is rotated over the EP ranks per (EP group, micro-batch) by a splitmix64 hash of
// seed, group, layer and micro-batch).
// Synchronisation: a collective of a group (an EP group's dispatch or combine of one layer and
// micro-batch; a TP group's all-gather or reduce-scatter) starts when the last member arrives
// and ends, for every member, after the slowest member's duration:
//     end = max_i arrival_i + max_i duration_i.
// A pipeline send starts when its operation ends and the sender's pipeline stream is free; the
// receiving operation waits for it.
// Overlap: outside DualPipe's pairs a chunk's steps run one after the other. Inside a pair
// (FB) the two chunks' steps are issued in the pair's program order (pair_order.h) onto the
// compute stream (slowed by SMs/(SMs − comm_sms)) and the collective stream, each step after
// its chain's previous one; the compute stream idles while the next computation waits for a
// collective (exposed communication, or waiting for the group's last member).
// How it is run: not as a generic task graph. Each GPU is a process walking its order; nothing
// grows with GPUs × micro-batches × layers except the per-(pipeline, micro-batch, stage)
// arrival times of pipeline sends. A GPU runs until it has to wait (a collective's last member,
// a pipeline input); whoever completes what it waits for puts it back in the run queue. Every
// time is the max/sum of earlier times, so the order in which GPUs are run changes nothing:
// results are deterministic.
#include <cstdint>
#include <vector>

#include "moesim/common/progress_hook.h"
#include "moesim/training/chunk_program.h"
#include "moesim/workload/pipeline_schedule.h"
#include "step_trace.h"

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
int load_index(const ChunkProgram& prog, const FullShape& shape, int table, int r, int mb);

struct RankTally {
    Picoseconds busy_ps = 0;                      // compute stream
    Picoseconds ep_exposed_ps = 0, tp_exposed_ps = 0, pp_exposed_ps = 0;  // not under its compute
    Picoseconds wait_ps = 0;                      // waiting for a collective's last member, not under compute
    Picoseconds end_ps = 0;                       // end of its last operation
};

struct EngineResult {
    std::vector<RankTally> ranks;  // per simulated index
    std::vector<TimelineRecord> entries;  // recorded GPUs' activities (named by the assembler)
    std::int64_t activities = 0, collectives = 0, wakeups = 0, state_bytes = 0;
};

// Communication as flows (--network flows; full_flows.h implements it on network::StepFlows).
// With it the engine is a discrete-event simulation in time order: a collective starts when its
// group's last member arrives (max_i arrival_i) and ends when its flows end, shared with
// whatever else is in flight; a pipeline send starts where it starts in closed form (its
// sender's pipeline stream, at the ideal send times) and its receiver waits for its last byte.
// The engine hands over starts in (time, order of issue) and asks for ends in time order.
class CommFlows {
public:
    virtual ~CommFlows() = default;
    // The EP or TP collective `s` of the GPUs first .. first + size − 1 (global ranks).
    virtual void start_collective(Picoseconds now, const Step& s, int first, int size, std::uint64_t token) = 0;
    // A pipeline send of ideally `ideal_ps` from global rank `from` to `to`.
    virtual void start_send(Picoseconds now, int from, int to, Picoseconds ideal_ps, std::uint64_t token) = 0;
    virtual Picoseconds next_time() const = 0;  // the next end, or a time past every one if none
    virtual void advance(Picoseconds now, std::vector<std::uint64_t>& done) = 0;
    virtual void settle(Picoseconds now) = 0;  // once per instant, after its starts
};

// `recorded[r]` (simulated index) keeps r's activities; `progress` (may be empty) hears of
// chunk operations completed over all simulated GPUs. Throws InternalError on a deadlock.
// `flows` (may be null: closed form) takes the communication.
EngineResult run_full_engine(const ChunkProgram& prog, const workload::PipelineSchedule& sched, const FullShape& shape,
                             const std::vector<char>& recorded, const ProgressHook& progress = {},
                             CommFlows* flows = nullptr);

}  // namespace moesim::training::detail
