#pragma once
// The chunk program of a training setup: every duration a training step is made of, computed
// once from the cost functions (analytic.h) and read by the three executors (analytic, event,
// full; simulate.h) — none of them asks the cost functions for anything else.
//   * per stage, its stage costs (the slowest EP rank's load, in seconds), the whole-chunk
//     durations the one-replica event executor runs, and the step lists the full executor
//     walks layer by layer (per pass: F, B, W, BW), with the PP sends;
//   * per MoE layer, the routed experts' time at each EP rank's load (MoeTable);
//   * per pair of stages, DualPipe's overlapped pair: its program order and timing
//     (pair_order.h), each MoE layer at its slowest EP rank's load;
//   * per pipeline rank, its data-parallel collectives and Adam step;
//   * whether the schedule overlaps communication (DualPipe's pairs) and the SM slowdown of
//     the computation inside a pair.
// Public for tests and tools (namespace detail): the entry point is simulate_training().
#include <array>
#include <cstdint>
#include <vector>

#include "moesim/training/analytic.h"
#include "moesim/training/chunk_step.h"
#include "moesim/training/pair_order.h"
#include "moesim/training/setup.h"
#include "moesim/workload/layout.h"

namespace moesim::training::detail {

// Whether a schedule overlaps computation and communication in forward-and-backward pairs.
bool overlaps_communication(workload::Schedule schedule);

// Work of one chunk by phase (the breakdown's phases).
struct PhaseWork {
    WorkTimes forward, backward_input, backward_weight, recompute;
    PhaseWork& operator+=(const PhaseWork& o);
    double total_s() const;  // forward, backward input, backward weight, recompute
};

// The routed experts of one MoE layer: time and work at each EP load.
struct MoeTable {
    int layer_id = 0;  // moe_layer_id(): hash key of the rotation
    int loads = 1;     // 1 (every GPU at the mean load) or ep (one per EP rank of the draw)
    std::array<std::vector<Picoseconds>, kPasses> ps;  // [pass][load]
    std::vector<PhaseWork> work;                       // [load]
    std::vector<Picoseconds> side_ps;                  // [load]: the weight gradients of kBWs (Step::side_ps)
};

// One chunk of a stage as a whole, at the slowest EP rank's load (the event executor's
// operations): computation per pass and the EP + TP collectives after it.
struct ChunkPs {
    Picoseconds forward = 0, backward = 0, weight = 0, backward_weight = 0;  // F, B (with recompute), W, BW
    Picoseconds forward_comm = 0, backward_comm = 0;                           // EP + TP
    double forward_comm_s = 0, backward_comm_s = 0;                            // the same, unrounded
};

struct StageProgram {
    std::array<std::vector<Step>, kListedPasses> steps;  // F, B, W, BW
    std::array<std::int32_t, 2> collectives{};            // how many of F's and BW's steps are collectives
    std::vector<int> moe;                                 // MoE tables of the stage, in layer order
    PhaseWork fixed_work;                                 // without the routed experts
    ChunkPs chunk;
    Picoseconds pp_forward_ps = 0, pp_backward_ps = 0;    // sends to the next / previous stage
};

struct ChunkProgram {
    std::vector<StageProgram> stages;
    std::vector<MoeTable> moe;
    std::vector<StageCosts> stage_costs;           // stage_costs() of each stage, at the slowest rank's load
    std::vector<DataParallelTimes> data_parallel;  // per pipeline rank
    // DualPipe pairs per forward stage × backward stage (pair_order(), pair_timing()); empty for
    // schedules without pairs.
    std::vector<PairOrder> pair_orders;
    std::vector<PairTiming> pair_timings;
    bool overlap = false;              // the schedule pairs chunks (overlaps_communication)
    double slowdown = 1.0;             // SMs / (SMs − comm_sms) inside FB pairs, else 1
    bool exchangeable = false;         // loads may be rotated over the EP ranks
    std::int64_t steps = 0;            // over every stage and pass (size of the program)

    const PairOrder& pair_order(int forward_stage, int backward_stage) const;
    const PairTiming& pair_timing(int forward_stage, int backward_stage) const;
    // The EP + TP collectives of a pair, forward stage's and backward stage's, as one activity.
    Picoseconds pair_comm_ps(int forward_stage, int backward_stage) const;
    // An Experts step at its layer's slowest EP rank's load, inside a pair (chain 0 forward).
    Picoseconds slowest_experts_ps(const Step& s, int chain) const;
    // Its weight-gradient part (Step::side_ps), at the same load; 0 for chain 0.
    Picoseconds slowest_experts_side_ps(const Step& s, int chain) const;
    // What running `work_s` of computation inside pairs costs beyond it (the comm kernels' SMs).
    double sm_contention_s(double work_s) const { return work_s * (slowdown - 1.0); }
};

ChunkProgram build_chunk_program(const TrainingSetup& setup);

}  // namespace moesim::training::detail
