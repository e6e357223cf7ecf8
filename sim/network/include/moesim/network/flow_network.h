#pragma once
// The flow implementation of Network (network.h): every call builds the group's traffic as
// flows on the topology graph (fabric.h, deepep.h) and runs it on the engine. Besides the
// interface's seconds it gives each run's flow and activity counts (`moesim comm` prints them).
#include <span>

#include "moesim/engine/simulator.h"
#include "moesim/hw/topology.h"
#include "moesim/network/deepep.h"
#include "moesim/network/network.h"

namespace moesim::network {

class FlowNetwork final : public Network {
public:
    // Throws ScenarioError for a cluster hw::Topology cannot build. `profile` must outlive it.
    // `options` run every simulation (the flows' completion slack: engine/flow_network.h).
    FlowNetwork(const hw::TopologySpec& spec, const hw::CalibrationProfile& profile,
                engine::SimulatorOptions options = {});

    const hw::Topology& topology() const { return topology_; }

    FlowRun run_collective(hw::CollectiveKind kind, double size_bytes, std::span<const int> ranks,
                           Algorithm algorithm = Algorithm::Auto) const;
    FlowRun run_deepep(hw::DeepEpOp op, hw::DeepEpMode mode, const hw::DeepEpShape& shape, std::span<const int> ranks,
                       DeepEpLinks links = DeepEpLinks::Both) const;

    double collective_time_s(hw::CollectiveKind kind, double size_bytes, std::span<const int> ranks,
                             Algorithm algorithm = Algorithm::Auto) const override;
    double p2p_time_s(double size_bytes, std::span<const int> from, std::span<const int> to) const override;
    // The whole transfer, then each link class's flows alone (the other class left out).
    hw::DeepEpTimes deepep_times(hw::DeepEpOp op, hw::DeepEpMode mode, const hw::DeepEpShape& shape,
                                 std::span<const int> ranks) const override;

private:
    hw::Topology topology_;
    const hw::CalibrationProfile& profile_;
    engine::SimulatorOptions options_;
};

}  // namespace moesim::network
