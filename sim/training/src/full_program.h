#pragma once
// Internal to the full simulation (full_sim.h): what one chunk of each stage runs, as lists of
// steps per kind of pass, built once from the operator costs; and, per MoE layer, the routed
// experts' time at each EP rank's load. The simulation walks these lists for every GPU.
#include <array>
#include <cstdint>
#include <vector>

#include "moesim/common/units.h"
#include "moesim/training/analytic.h"
#include "moesim/training/setup.h"
#include "moesim/workload/pipeline_schedule.h"
#include "ps_time.h"

namespace moesim::training::detail {

using units::Picoseconds;

enum class StepKind : std::uint8_t {
    Compute,       // fixed duration on the compute stream
    Experts,       // routed experts: duration from the MoE table at the GPU's load
    EpCollective,  // DeepEP dispatch or combine of the EP group
    TpCollective,  // all-gather or reduce-scatter of the TP group
};

// What a step is, for trace names.
enum class Segment : std::uint8_t {
    Layer,      // a layer without parts (embedding, LM head)
    Attention,  // norm, projections, attention core (MTP: its input projection too)
    Ffn,        // a dense layer's FFN
    Gate,       // FFN norm, router, permute
    Shared,     // shared experts
    Experts,    // routed experts
    Post,       // after the combine: the weighted sum, an MTP module's head and loss
    Recompute,  // forward work rerun in backward
    Weight,     // weight gradients of a W pass
    Dispatch,
    Combine,
    TpGather,
    TpScatter,
};
const char* to_string(Segment s);

// Kinds of pass over a chunk. Fs and BWs are the two halves of DualPipe's overlapped pair
// (FB): their computation is slowed by SMs / (SMs − comm_sms).
enum Pass : std::uint8_t { kF, kB, kW, kBW, kFs, kBWs };
constexpr int kPasses = 6;
constexpr int kListedPasses = 4;  // F, B, W, BW have step lists; Fs, BWs use F's and BW's

struct Step {
    Picoseconds ps = 0;       // Compute: duration; EP/TP collective: the slowest member's
    Picoseconds slow_ps = 0;  // Compute inside an overlapped pair
    StepKind kind = StepKind::Compute;
    Segment segment = Segment::Layer;
    std::int16_t layer = 0;   // index into the model's layers (names)
    std::int32_t moe = -1;    // Experts: index into FullProgram::moe
};

// Work of one chunk by phase (the breakdown's phases).
struct PhaseWork {
    WorkTimes forward, backward_input, backward_weight, recompute;
    PhaseWork& operator+=(const PhaseWork& o);
};

// The routed experts of one MoE layer: time and work at each EP load.
struct MoeTable {
    int layer_id = 0;  // moe_layer_id(): hash key of the rotation
    int loads = 1;     // 1 (every GPU at the mean load) or ep (one per EP rank of the draw)
    std::array<std::vector<Picoseconds>, kPasses> ps;  // [pass][load]
    std::vector<PhaseWork> work;                       // [load]
};

// A DualPipe pair on its own (pair_order.h: time_pair): every collective lasts its `ps` from
// when the GPU issues it, as when every member of its group is the same GPU.
struct PairTiming {
    Picoseconds span_ps = 0;     // from the pair's start to the end of both streams
    Picoseconds compute_ps = 0;  // busy time of the compute stream
    Picoseconds ep_wait_ps = 0;  // compute stream idle waiting for an EP collective
    Picoseconds tp_wait_ps = 0;  // … for a TP collective
};

struct StageProgram {
    std::array<std::vector<Step>, kListedPasses> steps;  // F, B, W, BW
    std::array<std::vector<Step>, 2> collectives;        // F's and BW's collectives (an FB pair's)
    std::array<Picoseconds, kPasses> fixed_compute_ps{};  // sum of the Compute steps per pass
    std::vector<int> moe;                                 // MoE tables of the stage, in layer order
    PhaseWork fixed_work;                                 // without the routed experts
    Picoseconds pp_forward_ps = 0, pp_backward_ps = 0;    // sends to the next / previous stage
};

struct FullProgram {
    std::vector<StageProgram> stages;
    std::vector<MoeTable> moe;
    std::vector<StageCosts> stage_costs;  // stage_costs() of each stage, at the slowest rank's load
    // DualPipe pairs per forward stage × backward stage (index f·stages + b): the program
    // order (pair_order.h) and its timing with each MoE layer at its slowest EP rank's load;
    // empty for schedules without pairs.
    std::vector<std::vector<std::uint8_t>> pair_orders;
    std::vector<PairTiming> pair_timings;
    double slowdown = 1.0;             // SMs / (SMs − comm_sms) inside FB pairs, else 1
    bool exchangeable = false;         // loads may be rotated over the EP ranks
    std::int64_t steps = 0;            // over every stage and pass (size of the program)
};

FullProgram build_full_program(const TrainingSetup& st, const workload::PipelineSchedule& schedule);

}  // namespace moesim::training::detail
