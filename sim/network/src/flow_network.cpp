#include "moesim/network/flow_network.h"

#include <vector>

#include "implementations.h"
#include "moesim/common/error.h"

namespace moesim::network {

FlowNetwork::FlowNetwork(const hw::TopologySpec& spec, const hw::CalibrationProfile& profile,
                         engine::SimulatorOptions options)
    : topology_(spec), profile_(profile), options_(options) {}

FlowRun FlowNetwork::run_collective(hw::CollectiveKind kind, double size_bytes, std::span<const int> ranks,
                                    Algorithm algorithm) const {
    const CollectiveSpec spec{kind, size_bytes, std::vector<int>(ranks.begin(), ranks.end()), algorithm};
    return simulate_collective(topology_, profile_, spec, options_);
}

FlowRun FlowNetwork::run_deepep(hw::DeepEpOp op, hw::DeepEpMode mode, const hw::DeepEpShape& shape,
                                std::span<const int> ranks, DeepEpLinks links) const {
    const DeepEpSpec spec{op, mode, shape, std::vector<int>(ranks.begin(), ranks.end()), links};
    return simulate_deepep(topology_, profile_, spec, options_);
}

double FlowNetwork::collective_time_s(hw::CollectiveKind kind, double size_bytes, std::span<const int> ranks,
                                      Algorithm algorithm) const {
    return run_collective(kind, size_bytes, ranks, algorithm).time_s;
}

double FlowNetwork::p2p_time_s(double size_bytes, std::span<const int> from, std::span<const int> to) const {
    MOESIM_CHECK(!from.empty() && from.size() == to.size(), "point-to-point pairs");
    engine::TaskGraph graph;
    Fabric f(graph, topology_, collective_rates(profile_, hw::CollectiveKind::PointToPoint, size_bytes));
    const double each = size_bytes / static_cast<double>(from.size());
    for (std::size_t i = 0; i < from.size(); ++i) add_p2p(f, from[i], to[i], each);
    return run_flows(std::move(graph), options_).time_s;
}

hw::DeepEpTimes FlowNetwork::deepep_times(hw::DeepEpOp op, hw::DeepEpMode mode, const hw::DeepEpShape& shape,
                                          std::span<const int> ranks) const {
    hw::DeepEpTimes t;
    t.time_s = run_deepep(op, mode, shape, ranks).time_s;
    t.rdma_s = run_deepep(op, mode, shape, ranks, DeepEpLinks::Rdma).time_s;
    t.nvlink_s = run_deepep(op, mode, shape, ranks, DeepEpLinks::NvLink).time_s;
    return t;
}

std::unique_ptr<Network> detail::make_flow_network(const hw::TopologySpec& spec, const hw::CalibrationProfile& profile) {
    return std::make_unique<FlowNetwork>(spec, profile);
}

}  // namespace moesim::network
