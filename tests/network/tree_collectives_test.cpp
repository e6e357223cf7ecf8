// Tree all-reduce (NCCL's double binary tree) as flows against its closed form (hw/costs.h).
#include <catch2/catch.hpp>

#include <numeric>
#include <vector>

#include "moesim/hw/costs.h"
#include "moesim/hw/topology.h"
#include "moesim/network/fabric.h"
#include "moesim/network/network.h"

using namespace moesim;
using namespace moesim::network;

namespace {

const hw::CalibrationProfile& profile() { return hw::default_profile(); }

// `nodes` H800 nodes of `g` GPUs, one NIC per GPU, rail-optimized.
hw::Topology cluster(int nodes, int g) {
    hw::TopologySpec s;
    s.kind = hw::TopologyKind::RailOptimized;
    s.nodes = nodes;
    s.gpus_per_node = g;
    s.nics_per_node = g;
    return hw::Topology(s);
}

std::vector<int> iota(int n) {
    std::vector<int> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

struct Compared {
    double flows_s = 0, closed_s = 0;
    std::size_t flows = 0;
    double ratio() const { return flows_s / closed_s; }
};

// Flows against the closed form, with the closed form's latencies set to the topology's
// route latencies (as collectives_test.cpp does).
Compared compare(const hw::Topology& topo, double S) {
    const auto ranks = iota(topo.gpus());
    const CollectiveSpec spec{hw::CollectiveKind::AllReduce, S, ranks, Algorithm::Tree};
    hw::CommGroup group = comm_group(topo.spec(), ranks);
    group.nvlink_latency_s = topo.spec().nvlink_latency_s;
    const int g = topo.spec().gpus_per_node;
    if (topo.spec().nodes > 1) group.nic_latency_s = topo.route_latency_s(0, g);
    const FlowRun run = simulate_collective(topo, profile(), spec);
    return {run.time_s, closed_form_collective_s(profile(), spec.kind, spec.size_bytes, spec.algorithm, group), run.flows};
}

}  // namespace

TEST_CASE("tree all-reduce on 8 nodes x 1 GPU agrees with the closed form", "[network]") {
    // Rail-optimized, one rail: no two flows of a direction share a link but the GPU's own
    // NIC. 1 GB: closed form 6·2.8 µs + 2S/40 GB/s + 5·s/40 GB/s, s = S/(2C).
    const auto c = compare(cluster(8, 1), 1e9);
    CHECK(c.closed_s == Approx(6 * 2.8e-6 + 2 * 1e9 / 40e9 + 5 * (1e9 / (2 * hw::kTreeChunks)) / 40e9));
    CHECK(c.ratio() == Approx(1.0).epsilon(0.02));
    // 2 trees × 7 edges × 2 directions × C chunks.
    CHECK(c.flows == 2 * 7 * 2 * hw::kTreeChunks);
    // Shallow, odd and deep trees: with C = 64 chunks the pipeline fill is small enough for
    // the closed form's one-line estimate (with C = 8, n = 5 and 32 were 7% and 5% off).
    for (int N : {2, 3, 4, 5, 6, 12, 16, 32}) {
        INFO("N = " << N);
        CHECK(compare(cluster(N, 1), 1e9).ratio() == Approx(1.0).epsilon(0.02));
    }
}

TEST_CASE("tree all-reduce with NVLink chains inside nodes agrees where NVLink binds", "[network]") {
    for (int N : {1, 2, 4, 8}) {
        INFO("N = " << N);
        const auto c = compare(cluster(N, 8), 1e9);
        CHECK(c.ratio() == Approx(1.0).epsilon(0.02));
        // 2·7/8·S / 160 GB/s dominates.
        CHECK(c.closed_s == Approx(2.0 * 7 / 8 * 1e9 / 160e9).epsilon(0.01));
    }
}

TEST_CASE("tree all-reduce flows: latency per hop, not per chunk", "[network]") {
    // A tiny buffer: the time is the 2d hops' latencies (plus a little bandwidth), not
    // C + 2d − 1 of them as it would be if each chunk waited its own.
    const auto c = compare(cluster(16, 1), 1e3);
    CHECK(c.flows_s < (2 * 4 + 2) * 2.8e-6);
    CHECK(c.flows_s > 2 * 4 * 2.8e-6);
    // Deterministic.
    CHECK(compare(cluster(16, 1), 64e6).flows_s == compare(cluster(16, 1), 64e6).flows_s);
}

TEST_CASE("tree is all-reduce only — algorithm names", "[network]") {
    CHECK(algorithm_from_string("tree") == Algorithm::Tree);
    CHECK(algorithm_from_string("trees") == Algorithm::Invalid);
}
