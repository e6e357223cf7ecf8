#include "full_flows.h"

#include <algorithm>

#include "moesim/common/error.h"
#include "moesim/common/units.h"

namespace moesim::training::detail {

namespace {

using network::FlowPart;
using network::GpuPair;

double to_s(Picoseconds ps) { return static_cast<double>(ps) / static_cast<double>(units::kPsPerSecond); }

// Ring edges over `ranks` in order (none for fewer than 2).
void add_ring(std::span<const int> ranks, std::vector<GpuPair>& out) {
    const std::size_t n = ranks.size();
    if (n < 2) return;
    for (std::size_t i = 0; i < n; ++i) out.push_back({ranks[i], ranks[(i + 1) % n]});
}

// A ring, or hierarchical rings when the group spans several nodes with several GPUs in each
// (same count in each node, node-major order).
void add_group_rings(std::span<const int> ranks, int gpus_per_node, std::vector<GpuPair>& out) {
    std::vector<std::vector<int>> nodes;
    for (const int g : ranks) {
        if (nodes.empty() || nodes.back().front() / gpus_per_node != g / gpus_per_node) nodes.emplace_back();
        nodes.back().push_back(g);
    }
    const std::size_t per = nodes.front().size();
    bool regular = nodes.size() > 1 && per > 1;
    for (const auto& nd : nodes) regular = regular && nd.size() == per;
    if (!regular) return add_ring(ranks, out);
    for (const auto& nd : nodes) add_ring(nd, out);
    std::vector<int> rail(nodes.size());
    for (std::size_t l = 0; l < per; ++l) {
        for (std::size_t k = 0; k < nodes.size(); ++k) rail[k] = nodes[k][l];
        add_ring(rail, out);
    }
}

}  // namespace

FullFlows::FullFlows(const TrainingSetup& st, const hw::Topology& topology, std::vector<network::LinkFault> faults)
    : st_(st), flows_(topology, std::move(faults)), gpus_per_node_(topology.spec().gpus_per_node) {}

void FullFlows::start_collective(Picoseconds now, const Step& s, int first, int size, std::uint64_t token) {
    parts_.clear();
    const double ideal_s = to_s(s.ps);
    if (s.kind == StepKind::TpCollective) {
        FlowPart ring{{}, ideal_s};
        std::vector<int> ranks(static_cast<std::size_t>(size));
        for (int i = 0; i < size; ++i) ranks[static_cast<std::size_t>(i)] = first + i;
        add_ring(ranks, ring.pairs);
        parts_.push_back(std::move(ring));
        flows_.start(now, network::TrafficClass::Tp, parts_, token);
        return;
    }
    MOESIM_CHECK(s.kind == StepKind::EpCollective, "a collective step");
    const bool dispatch = s.segment == Segment::Dispatch;
    const hw::DeepEpTimes& t = dispatch ? st_.ep_dispatch : st_.ep_combine;
    const int g = gpus_per_node_;
    const int per_node = std::min(size, g);
    const int nodes = size / per_node;
    FlowPart nvlink{{}, nodes > 1 && t.time_s > 0 ? ideal_s * t.nvlink_s / t.time_s : ideal_s};
    for (int n = 0; n < nodes; ++n)
        for (int i = 0; i < per_node; ++i)
            for (int j = 0; j < per_node; ++j)
                if (i != j) nvlink.pairs.push_back({first + n * per_node + i, first + n * per_node + j});
    parts_.push_back(std::move(nvlink));
    if (nodes > 1) {
        FlowPart rdma{{}, t.time_s > 0 ? ideal_s * t.rdma_s / t.time_s : ideal_s};
        for (int x = 0; x < nodes; ++x)
            for (int y = 0; y < nodes; ++y)
                if (x != y)
                    for (int l = 0; l < per_node; ++l) rdma.pairs.push_back({first + x * per_node + l, first + y * per_node + l});
        parts_.push_back(std::move(rdma));
    }
    flows_.start(now, dispatch ? network::TrafficClass::EpDispatch : network::TrafficClass::EpCombine, parts_, token);
}

void FullFlows::start_send(Picoseconds now, int from, int to, Picoseconds ideal_ps, std::uint64_t token) {
    parts_.clear();
    parts_.push_back(FlowPart{{GpuPair{from, to}}, to_s(ideal_ps)});
    flows_.start(now, network::TrafficClass::Pp, parts_, token);
}

void FullFlows::start_data_parallel(Picoseconds now, network::TrafficClass cls, int pr, double ideal_s, std::uint64_t token) {
    parts_.clear();
    const auto& p = st_.scenario.parallelism;
    const int block = p.tp * p.dp;
    FlowPart rings{{}, ideal_s};
    for (int t = 0; t < p.tp; ++t) {
        const std::vector<int> group = st_.ranks.dp_group(pr * block + t);
        add_group_rings(group, gpus_per_node_, rings.pairs);
    }
    parts_.push_back(std::move(rings));
    flows_.start(now, cls, parts_, token);
}

}  // namespace moesim::training::detail
