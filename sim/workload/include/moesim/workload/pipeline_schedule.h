#pragma once
// Pipeline schedules as per-rank operation orders: pure data, no engine, no hardware.
//
// For each of the pp ranks of one pipeline, the ordered list of what its compute stream
// runs for one optimizer step, in the same order as the schedule's reference implementation:
//
//   gpipe              all forwards, then all full backwards, both in micro-batch order
//                      (torch.distributed.pipelining's ScheduleGPipe)
//   1f1b               Megatron's non-interleaved 1F1B (PipeDream-Flush): rank r runs
//                      pp−1−r warm-up forwards, then forward/backward pairs, then the rest of
//                      the backwards (megatron/core/pipeline_parallel/schedules.py)
//   interleaved-1f1b   Megatron's interleaved schedule (same file,
//                      forward_backward_pipelining_with_interleaving): v model chunks per
//                      rank, (pp−r−1)·2 + (v−1)·pp warm-up forwards, micro-batches in groups
//                      of pp; needs micro-batches to be a multiple of pp
//   zb1p               ZB-H1 (Qi et al., "Zero Bubble Pipeline Parallelism", §2.1): 1F1B's
//                      order of F and B (input gradient), with rank r's weight-gradient passes
//                      W delayed by r micro-batches so every rank holds pp micro-batches in
//                      flight; the delayed W fill the cool-down
//   dualpipe           deepseek-ai/DualPipe `dualpipe.py`, DualPipe.step(): steps 1–8
//   dualpipev          deepseek-ai/DualPipe `dualpipev.py`, DualPipeV.step(): steps 1–8
//
// Stages are the model chunks of workload::rank_stages(): every micro-batch visits stages
// 0, 1, …, S−1 forward and S−1, …, 0 backward. Which rank runs stage s for a micro-batch:
// rank_stages' owner, except under DualPipe, where the micro-batches fed at rank 0
// (direction 0, the first half) see stage r on rank r, and those fed at rank pp−1
// (direction 1, the second half) see stage r on rank pp−1−r.
#include <cstdint>
#include <string>
#include <vector>

#include "moesim/workload/scenario.h"

namespace moesim::workload {

enum class PipelineOpKind : std::uint8_t {
    F,   // forward of one chunk
    B,   // backward, input gradient only (its W runs later)
    W,   // weight gradient of an earlier B
    BW,  // full backward: input and weight gradients together
    FB,  // DualPipe's overlapped pair: a forward chunk and a full backward chunk of another
         // micro-batch, each one's communication hidden behind the other's computation
};
std::string to_string(PipelineOpKind);

// One chunk of work of one micro-batch.
struct OpPart {
    int micro_batch = 0;  // 0 … micro_batches−1, numbered per step (DualPipe: direction 0
                          // has 0 … m/2−1, direction 1 has m/2 … m−1)
    int stage = 0;        // model chunk, 0 … stages−1
    int chunk = 0;        // index of `stage` in the rank's rank_stages() list (DualPipe: 0 for
                          // direction 0, 1 for direction 1; DualPipeV: 0 down the V, 1 up)
    int direction = 0;    // DualPipe: 0 fed at rank 0, 1 fed at rank pp−1; otherwise 0

    friend bool operator==(const OpPart&, const OpPart&) = default;
};

struct PipelineOp {
    PipelineOpKind kind = PipelineOpKind::F;
    OpPart part;      // F, B, W, BW: the chunk; FB: the forward chunk
    OpPart backward;  // FB only: the full-backward chunk paired with it

    friend bool operator==(const PipelineOp&, const PipelineOp&) = default;
};

// Where an operation of the schedule sits: rank and position in that rank's order.
struct OpRef {
    int rank = -1;
    int index = -1;
    bool valid() const { return rank >= 0; }
};

struct PipelineSchedule {
    Schedule schedule = Schedule::Invalid;
    int pp = 0;
    int virtual_stages = 1;
    int micro_batches = 0;
    int stages = 0;                               // model chunks in the pipeline
    std::vector<std::vector<PipelineOp>> ranks;   // pp orders

    // The rank that runs `stage` for `micro_batch`.
    int rank_of(int micro_batch, int stage) const;
};

// The layout rules of the schedules, the one check (the scenario parser runs it, so analytic,
// event and full refuse alike; make_pipeline_schedule for callers that build schedules
// directly; scenarios/README.md lists them): DualPipe needs an even pp and an even number of
// micro-batches ≥ 2·pp; DualPipeV ≥ 2·pp micro-batches; interleaved-1f1b with more than one
// virtual stage a multiple of pp. `micro_batches` counts them per data-parallel rank. Throws
// ScenarioError with no file, naming /parallelism/pp or /training/global_batch_size.
void check_schedule_layout(Schedule schedule, int pp, std::int64_t micro_batches, int virtual_stages);

// Generates the schedule, after check_schedule_layout.
PipelineSchedule make_pipeline_schedule(Schedule schedule, int pp, int micro_batches, int virtual_stages = 1);

// The compact text of one op, as in traces and tests: "F mb3 s0", "B mb3 s0", "W mb3 s0",
// "BW mb3 s0", "F mb3 s0 & BW mb1 s7".
std::string describe(const PipelineOp& op);

// Cross-rank data dependencies of the schedule, as (producer, consumer) pairs of OpRefs:
// a forward chunk needs the forward of the previous stage of the same micro-batch; a
// backward (B or BW) needs the backward of the next stage and the same stage's forward; a
// W needs its B. Pairs within one rank are included (the order already implies them).
// Throws InternalError if an operation that must exist is missing (a schedule bug).
struct OpDependency {
    OpRef before, after;
};
std::vector<OpDependency> schedule_dependencies(const PipelineSchedule& s);

}  // namespace moesim::workload
