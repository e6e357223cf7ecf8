#pragma once
// The full training step (`--fidelity full`): every GPU of the layout simulated, every
// micro-batch and every layer as activities, collectives synchronising their group.
//
// What runs, per GPU (global rank g = pipeline rank · tp·dp + data-parallel index · tp + TP
// index; EP groups are ep consecutive GPUs of one pipeline rank, as in the analytic mode):
//   * its pipeline rank's operation order (workload::make_pipeline_schedule), shared by the
//     tp·dp GPUs of that pipeline rank;
//   * each operation as its layers' activities: forward — attention, gate (norm, router,
//     permute), EP dispatch, routed experts, shared expert, EP combine, the rest; input-
//     gradient backward — the recomputation, then the same in reverse (combine's gradient,
//     shared and routed experts, dispatch's gradient, gate, attention); weight-gradient work
//     per layer where the schedule splits it off (W) or with the backward (BW); TP all-gathers
//     and reduce-scatters around attention and the FFN when tp > 1;
//   * operator costs from op_times()/moe_comm() (analytic_costs.cpp), the ones stage_costs()
//     sums: with every rank at the mean load the activities of a chunk add up to its stage
//     costs exactly;
//   * each GPU's own MoE load (MoeImbalance::rank_loads): its rows set its grouped-GEMM time;
//     its IB and NVLink volumes its dispatch/combine time. Under uniform popularity a layer's
//     draw is rotated over the EP ranks per (EP group, micro-batch) (a splitmix64 hash of
//     seed, group, layer and micro-batch); otherwise the layer's draw is used as drawn (the
//     expert placement, not chance, makes a rank hot);
//   * three streams: compute, collectives (EP and TP), pipeline sends; and the DP collective.
// Synchronisation: a collective of a group (the EP group's dispatch or combine of one layer
// and micro-batch; a TP group's all-gather or reduce-scatter) starts when the last member
// arrives and ends, for every member, after the slowest member's own duration:
//     end = max_i arrival_i + max_i duration_i,
// so the slowest rank holds everyone up. A pipeline send starts when its operation ends and
// the sender's pipeline stream is free; the receiving operation waits for it.
// Overlap: outside DualPipe's pairs each layer's activities run one after the other (a
// framework that does not overlap them). Inside an overlapped pair (FB) the two chunks'
// computation runs on the compute stream slowed by SMs/(SMs − comm_sms) and both chunks'
// collectives on the collective stream, taken as perfectly hidden behind each other
// (DualPipe's rearrangement): the pair ends when both are done — as in the one-replica event
// mode and the analytic one.
// Data parallelism: one reduce-scatter (all-reduce at ZeRO-0) of the pipeline rank's gradients
// per pipeline rank's GPUs, issued one mean backward chunk before the GPU's last operation ends
// (the framework's overlap with the last backward), synchronising all of them; then the Adam
// step; the parameter all-gather overlaps the next step's first forward chunk (only its
// excess counts).
//
// How it is run: not as a generic task graph. Each GPU is a process walking its operation
// order; its activities are generated on the fly from per-stage step lists, so nothing grows
// with GPUs × micro-batches × layers except the per-(pipeline, micro-batch, stage) arrival
// times of pipeline sends. A GPU runs until it has to wait (a collective's last member, a
// pipeline input); whoever completes what it waits for puts it back in the run queue. Every
// time is the max/sum of earlier times, so the order in which GPUs are run changes nothing:
// results are deterministic.
#include <cstdint>
#include <vector>

#include "moesim/training/event_sim.h"
#include "moesim/training/result.h"
#include "moesim/training/setup.h"

namespace moesim::training {

struct FullOptions {
    // Global ranks whose activities are kept (for --trace); empty: none.
    std::vector<int> record_ranks;
    // Symmetry shortcut (off by default, and off in the benchmark): simulate the GPUs of the
    // first EP group of each pipeline rank only, standing for the other groups (exact when
    // their loads are alike: always at the mean load; a draw's rotation differs by group).
    bool one_ep_group = false;
};

struct FullStats {
    std::int64_t ranks_simulated = 0;
    std::int64_t activities = 0;         // compute, collective and send activities run
    std::int64_t collectives = 0;        // group collectives completed
    std::int64_t wakeups = 0;            // GPUs put back in the run queue
    std::int64_t state_bytes = 0;        // memory held by the simulation's own state
};

struct FullRun {
    TrainingResult result;
    workload::PipelineSchedule schedule;
    Picoseconds makespan_ps = 0;         // pipeline part, before data parallelism
    int critical_rank = 0;               // global rank reported in the breakdown
    std::vector<Picoseconds> end_ps;     // per simulated rank: end of its last operation
    std::vector<TimelineEntry> timeline; // record_ranks' activities
    FullStats stats;
};

// Throws ScenarioError as run_step_event() does.
FullRun run_step_full(const TrainingSetup& setup, const FullOptions& options = {});
TrainingResult simulate_step_full(const TrainingSetup& setup, const FullOptions& options = {});

}  // namespace moesim::training
