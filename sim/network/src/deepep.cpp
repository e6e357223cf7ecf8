#include "moesim/network/deepep.h"

#include <algorithm>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/common/units.h"
#include "moesim/hw/costs.h"

namespace moesim::network {

hw::EpGroup ep_group(const hw::Topology& topo, int ep) {
    const hw::TopologySpec& s = topo.spec();
    hw::EpGroup g;
    g.ep_size = ep;
    g.gpus_per_node = s.gpus_per_node;
    g.nvlink_GBps = s.nvlink_GBps;
    g.nic_GBps = s.nic_Gbps / 8.0 * s.nics_per_node / s.gpus_per_node;
    return g;
}

FlowRun simulate_deepep(const hw::Topology& topo, const hw::CalibrationProfile& profile, const DeepEpSpec& spec,
                        const engine::SimulatorOptions& options) {
    MOESIM_CHECK(spec.op != hw::DeepEpOp::Invalid && spec.mode != hw::DeepEpMode::Invalid, "DeepEP spec");
    MOESIM_CHECK(spec.ep >= 1 && spec.ep <= topo.gpus(), "EP group within the cluster");
    const hw::EpGroup grp = ep_group(topo, spec.ep);
    const int g = std::min(grp.gpus_per_node, spec.ep);
    MOESIM_CHECK(spec.ep % g == 0, "ep must be a multiple of gpus_per_node");
    const int N = spec.ep / g;
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
    std::vector<LinkId> copy(static_cast<std::size_t>(spec.ep));
    for (auto& c : copy) c = graph.add_link(copy_GBps * units::kGB, 0);

    if (spec.shape.tokens > 0 && spec.ep > 1) {
        if (spec.mode == hw::DeepEpMode::Normal) {
            for (int s = 0; s < spec.ep; ++s) {
                const int X = topo.node_of(s), l = topo.local_rank(s);
                for (int Y = 0; Y < N && t.rdma_bytes > 0; ++Y)
                    if (Y != X) f.flow(s, topo.gpu_at(Y, l), t.rdma_bytes / (N - 1));
            }
            for (int fw = 0; fw < spec.ep; ++fw) {
                const int Y = topo.node_of(fw);
                for (int j = 0; j < g; ++j)
                    f.flow(fw, topo.gpu_at(Y, j), t.nvlink_bytes / g, {}, std::span(&copy[static_cast<std::size_t>(fw)], 1));
            }
        } else {
            const ActivityId start = graph.add_activity(
                static_cast<engine::Picoseconds>(latency_s * static_cast<double>(units::kPsPerSecond) + 0.5));
            const double each = t.low_latency_bytes / spec.ep;
            for (int s = 0; s < spec.ep; ++s)
                for (int d = 0; d < spec.ep; ++d) {
                    if (topo.node_of(s) == topo.node_of(d))
                        f.flow(s, d, each, std::span(&start, 1), std::span(&copy[static_cast<std::size_t>(s)], 1));
                    else
                        f.flow(s, d, each, std::span(&start, 1));
                }
        }
    }
    return run_flows(std::move(graph), options);
}

}  // namespace moesim::network
