#pragma once
// Internal to the full executor: its communication as flows on the cluster's topology
// (--network flows; network/step_flows.h does the sharing, this file says which GPUs send to
// which for each kind of collective, and how long each part takes alone by the closed form).
//  * EP dispatch / combine (DeepEP normal kernels, deepep.h): over several nodes, the RDMA part
//    — every GPU to the same-place GPU of every other node of the group — taking the closed
//    form's RDMA term alone, and the NVLink part — every GPU to every other GPU of its node
//    in the group — taking the NVLink term alone (TrainingSetup::ep_dispatch / ep_combine,
//    scaled to the step's duration); in one node, the NVLink part only.
//  * TP all-gather / reduce-scatter: the TP group's ring edges, at once.
//  * PP send: one pair.
//  * DP reduce-scatter / all-gather of a pipeline rank: its DP groups (one per TP index) as
//    rings — over several nodes with several GPUs in each, hierarchical as the closed form
//    runs them (a ring in each node, then one per local place across the nodes, on its rail) —
//    taking the pipeline rank's DP time (DataParallelTimes) alone.
#include <cstdint>
#include <memory>
#include <vector>

#include "full_engine.h"
#include "moesim/network/step_flows.h"
#include "moesim/training/setup.h"

namespace moesim::training::detail {

class FullFlows final : public CommFlows {
public:
    FullFlows(const TrainingSetup& st, const hw::Topology& topology, std::vector<network::LinkFault> faults);

    void start_collective(Picoseconds now, const Step& s, int first, int size, std::uint64_t token) override;
    void start_send(Picoseconds now, int from, int to, Picoseconds ideal_ps, std::uint64_t token) override;
    Picoseconds next_time() const override { return flows_.next_time(); }
    void advance(Picoseconds now, std::vector<std::uint64_t>& done) override { flows_.advance(now, done); }
    void settle(Picoseconds now) override { flows_.settle(now); }

    // The DP collective of pipeline rank `pr` (its whole block of GPUs).
    void start_data_parallel(Picoseconds now, network::TrafficClass cls, int pr, double ideal_s, std::uint64_t token);

    const network::StepFlows& flows() const { return flows_; }

private:
    const TrainingSetup& st_;
    network::StepFlows flows_;
    int gpus_per_node_ = 1;
    std::vector<network::FlowPart> parts_;
};

}  // namespace moesim::training::detail
