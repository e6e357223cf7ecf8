#pragma once
// Internal to the event mode: a pipeline schedule with per-operation costs turned into an
// engine::TaskGraph, run, and read back per rank. Shared by the event executor
// (event_executor.cpp) and the idealized simulate_schedule_ideal() (schedule_ideal.h).
#include <cstdint>
#include <functional>
#include <vector>

#include "moesim/common/units.h"
#include "moesim/engine/types.h"
#include "moesim/workload/pipeline_schedule.h"

namespace moesim::training::detail {

using units::Picoseconds;

// What one operation costs (integer picoseconds).
struct OpCost {
    Picoseconds compute_ps = 0;      // on the compute stream (slowdown of an FB pair applied)
    Picoseconds comm_ps = 0;         // EP/TP collectives: after the compute (serial), or beside it (FB)
    bool comm_overlapped = false;    // FB: comm runs concurrently with the compute
    // FB: the part of compute_ps the compute stream spends idle, waiting for the pair's EP / TP
    // collectives (pair_order.h); the rest is computation.
    Picoseconds ep_wait_ps = 0, tp_wait_ps = 0;
    Picoseconds pp_forward_ps = 0;   // send of the forward part's output (if the next stage is elsewhere)
    Picoseconds pp_backward_ps = 0;  // send of the backward part's input gradient
};

enum class ActivityKind : std::uint8_t { Compute, Collective, PpSendForward, PpSendBackward };

struct ActivityInfo {
    int rank = 0;
    int op = 0;  // index into the rank's order
    ActivityKind kind = ActivityKind::Compute;
    Picoseconds start_ps = 0, end_ps = 0;
};

struct GraphRun {
    Picoseconds makespan_ps = 0;
    std::vector<ActivityInfo> activities;               // every activity, in creation order
    std::vector<std::vector<engine::ActivityId>> compute_of;  // [rank][op] -> its compute activity
};

// Builds the task graph (three serial resources per rank: compute, collectives and PP sends),
// runs it and returns every activity's times. An overlapped pair's collectives start with the
// pair: after the previous operation and the pair's inputs from other ranks.
GraphRun run_schedule_graph(const workload::PipelineSchedule& s,
                            const std::function<OpCost(int rank, const workload::PipelineOp&)>& cost);

}  // namespace moesim::training::detail
