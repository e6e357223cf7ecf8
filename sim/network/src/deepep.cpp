#include "moesim/network/deepep.h"

#include <algorithm>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/common/units.h"
#include "moesim/hw/costs.h"
#include "moesim/network/network.h"
#include "rank_groups.h"

namespace moesim::network {

FlowRun simulate_deepep(const hw::Topology& topo, const hw::CalibrationProfile& profile, const DeepEpSpec& spec,
                        const engine::SimulatorOptions& options) {
    MOESIM_CHECK(spec.op != hw::DeepEpOp::Invalid && spec.mode != hw::DeepEpMode::Invalid, "DeepEP spec");
    const int ep = static_cast<int>(spec.ranks.size());
    MOESIM_CHECK(ep >= 1, "EP group");
    for (int r : spec.ranks) MOESIM_CHECK(r >= 0 && r < topo.gpus(), "EP group within the cluster");
    const hw::EpGroup grp = ep_group(topo.spec(), spec.ranks);
    const auto nodes = detail::by_node(topo.spec().gpus_per_node, spec.ranks);
    const int g = grp.gpus_per_node, N = static_cast<int>(nodes.size());
    for (const auto& nd : nodes) MOESIM_CHECK(static_cast<int>(nd.size()) == g, "an EP group takes the same GPUs in each node");
    const hw::DeepEpTraffic t = hw::deepep_traffic(spec.shape, grp, spec.op);
    const hw::ProfileReference& ref = profile.reference();
    const double nvl_scale = grp.nvlink_GBps / ref.nvlink_GBps;

    // The closed form's rates (deepep.h): the kernel's copy rate per GPU, the RDMA rate as a
    // fraction of the NIC peak.
    double copy_GBps = 0, rdma_efficiency = 0, latency_s = 0;
    LinkRates rates;
    if (spec.mode == hw::DeepEpMode::Normal) {
        const hw::DeepEpNormalRates& r = profile.deepep_normal_rates(spec.op);
        copy_GBps = (N == 1 ? r.intranode_nvlink_GBps : r.internode_nvlink_GBps) * nvl_scale;
        rdma_efficiency = r.internode_rdma_GBps / ref.nic_GBps;
    } else {
        const hw::DeepEpLowLatencyRates& r = profile.deepep_low_latency_rates(spec.op);
        copy_GBps = r.nvlink_GBps * nvl_scale;
        rdma_efficiency = r.rdma_GBps / ref.nic_GBps;
        latency_s = r.latency_s;
        rates.with_latency = false;  // the fitted latency is the whole fixed cost
    }
    rates.nvlink_efficiency = 1.0;  // the copy link carries the kernel's achieved NVLink rate
    rates.network_efficiency = rdma_efficiency;

    engine::TaskGraph graph;
    Fabric f(graph, topo, rates);
    // copy[X·g + i]: the copy link of nodes[X][i].
    std::vector<LinkId> copy(static_cast<std::size_t>(ep));
    for (auto& c : copy) c = graph.add_link(copy_GBps * units::kGB, 0);
    const bool rdma = spec.links != DeepEpLinks::NvLink, nvlink = spec.links != DeepEpLinks::Rdma;

    if (spec.shape.tokens > 0 && ep > 1) {
        const auto G = static_cast<std::size_t>(g);
        if (spec.mode == hw::DeepEpMode::Normal) {
            for (int X = 0; X < N && rdma && t.rdma_bytes > 0; ++X)
                for (std::size_t l = 0; l < G; ++l)
                    for (int Y = 0; Y < N; ++Y)
                        if (Y != X) f.flow(nodes[X][l], nodes[Y][l], t.rdma_bytes / (N - 1));
            for (int Y = 0; Y < N && nvlink; ++Y)
                for (std::size_t l = 0; l < G; ++l) {
                    const LinkId c = copy[static_cast<std::size_t>(Y) * G + l];
                    for (std::size_t j = 0; j < G; ++j) f.flow(nodes[Y][l], nodes[Y][j], t.nvlink_bytes / g, {}, std::span(&c, 1));
                }
        } else {
            const ActivityId start = graph.add_activity(
                static_cast<engine::Picoseconds>(latency_s * static_cast<double>(units::kPsPerSecond) + 0.5));
            const double each = t.low_latency_bytes / ep;
            for (int X = 0; X < N; ++X)
                for (std::size_t l = 0; l < G; ++l) {
                    const int s = nodes[X][l];
                    const LinkId c = copy[static_cast<std::size_t>(X) * G + l];
                    for (const auto& to : nodes)
                        for (int d : to) {
                            if (topo.node_of(s) == topo.node_of(d)) {
                                if (nvlink) f.flow(s, d, each, std::span(&start, 1), std::span(&c, 1));
                            } else if (rdma) {
                                f.flow(s, d, each, std::span(&start, 1));
                            }
                        }
                }
        }
    }
    return run_flows(std::move(graph), options);
}

}  // namespace moesim::network
