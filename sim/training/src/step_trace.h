#pragma once
// Internal to sim/training: what an executor (analytic, event, full) returns — one step of the
// setup on its reported ("critical") rank — and what the assembler (assemble.h) turns into the
// TrainingResult and the timeline.
#include <cstdint>
#include <vector>

#include "moesim/training/analytic.h"
#include "moesim/training/result.h"
#include "moesim/training/simulate.h"

namespace moesim::training::detail {

// An activity of a traced rank, named by the assembler (timeline_names.h).
enum class RecordKind : std::uint8_t {
    Chunk,             // event: a chunk operation's computation
    ChunkCollectives,  // event: its EP/TP collectives
    PpSend,            // half 0: forward activation, 1: backward gradient
    Step,              // full: a step of a chunk's list (computation or collective)
    Wait,              // full: at a collective, waiting for the group's last member
    DpReduce,          // full: the gradient reduce-scatter (all-reduce at ZeRO-0)
    AdamStep,
    DpGather,          // full: the parameter all-gather beyond the next forward chunk
};

struct TimelineRecord {
    std::int32_t rank = 0;  // the timeline's: pipeline rank (event) or global GPU (full)
    std::int32_t pipe = 0;  // pipeline rank: whose schedule order `op` indexes
    std::int32_t op = 0;    // index in the pipeline rank's order
    RecordKind kind = RecordKind::Chunk;
    std::uint8_t half = 0;  // FB: 0 the forward chunk, 1 the backward one; PpSend: 0 forward, 1 backward
    std::uint8_t pass = 0;  // Step, Wait: the Pass of the step
    std::int32_t step = 0;  // Step, Wait: index in the pass's step list of the stage
    Picoseconds start_ps = 0, end_ps = 0;
};

struct StepTrace {
    double step_s = 0;
    int critical_rank = 0;         // reported: pipeline rank (analytic, event), global GPU (full)
    Picoseconds makespan_ps = 0;   // pipeline part, before data parallelism (0: analytic)
    std::vector<Picoseconds> end_ps;  // per simulated rank: end of its last operation
    // The critical rank's step, adding up to step_s: work by phase, the SM contention of its
    // overlapped pairs, exposed communication, waits and idle time, the optimizer.
    WorkTimes forward, backward_input, backward_weight;
    double recompute_s = 0;
    double sm_contention_s = 0;
    ExposedComm exposed;
    double straggler_wait_s = 0;   // waiting for a group's last member (full)
    double bubble_s = 0;
    double optimizer_s = 0;
    RunStats stats;
    std::vector<TimelineRecord> records;  // traced ranks' activities, in the order they are shown
};

// The first index of the largest value: the critical rank (ties: the lowest rank).
template <typename T>
int first_max(const std::vector<T>& values) {
    int best = 0;
    for (int i = 1; i < static_cast<int>(values.size()); ++i)
        if (values[static_cast<std::size_t>(i)] > values[static_cast<std::size_t>(best)]) best = i;
    return best;
}

}  // namespace moesim::training::detail
