// Collectives as flows on the engine against their closed forms (hw/costs.h): within 2%
// wherever no two flows share a link, and apart where they do.
#include <catch2/catch.hpp>

#include <numeric>
#include <vector>

#include "cluster_test_helpers.h"
#include "moesim/hw/costs.h"
#include "moesim/hw/topology.h"
#include "moesim/network/fabric.h"
#include "moesim/network/network.h"

using namespace moesim;
using namespace moesim::network;
using moesim::test::h800;
using moesim::test::iota;
using moesim::test::profile;

namespace {

struct Compared {
    double flows_s = 0, closed_s = 0;
    double ratio() const { return flows_s / closed_s; }
};

// The flows' time and the closed form's, with the closed form's per-step latencies set to the
// topology's route latencies (NVLink hop, and the first node-crossing pair of the group).
Compared compare(const hw::Topology& topo, hw::CollectiveKind kind, double S, std::vector<int> ranks,
                 Algorithm algorithm = Algorithm::Auto) {
    CollectiveSpec spec{kind, S, ranks, algorithm};
    hw::CommGroup group = comm_group(topo.spec(), ranks);
    group.nvlink_latency_s = topo.spec().nvlink_latency_s;
    for (int r : ranks)
        if (topo.node_of(r) != topo.node_of(ranks.front())) {
            group.nic_latency_s = topo.route_latency_s(ranks.front(), r);
            break;
        }
    return {simulate_collective(topo, profile(), spec).time_s, closed_form_collective_s(profile(), spec.kind, spec.size_bytes, spec.algorithm, group)};
}

}  // namespace

TEST_CASE("point-to-point: flows equal the closed form", "[network]") {
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 2));
    SECTION("NVLink") {
        const auto c = compare(topo, hw::CollectiveKind::PointToPoint, 64e6, {0, 5});
        // 3.33 µs + 64 MB / (200 GB/s · 0.8)
        CHECK(c.closed_s == Approx(3.33e-6 + 64e6 / 160e9));
        CHECK(c.ratio() == Approx(1.0).epsilon(0.02));
    }
    SECTION("InfiniBand, same rail") {
        const auto c = compare(topo, hw::CollectiveKind::PointToPoint, 64e6, {3, 11});
        CHECK(c.closed_s == Approx(2.8e-6 + 64e6 / 40e9));
        CHECK(c.ratio() == Approx(1.0).epsilon(0.02));
    }
}

TEST_CASE("ring collectives inside one node agree with the closed form", "[network]") {
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 1));
    for (double S : {1e6, 64e6, 1e9}) {
        INFO("S = " << S);
        for (auto kind : {hw::CollectiveKind::AllReduce, hw::CollectiveKind::AllGather, hw::CollectiveKind::ReduceScatter}) {
            INFO(hw::to_string(kind));
            CHECK(compare(topo, kind, S, iota(8)).ratio() == Approx(1.0).epsilon(0.02));
        }
    }
    // The ring's steps: 2(n−1) of n sends each.
    const auto run = simulate_collective(topo, profile(), {hw::CollectiveKind::AllReduce, 1e6, iota(8)});
    CHECK(run.flows == 2 * 7 * 8);
}

TEST_CASE("a ring across nodes on one rail agrees with the closed form", "[network]") {
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 8));
    std::vector<int> rail0;
    for (int node = 0; node < 8; ++node) rail0.push_back(topo.gpu_at(node, 0));
    for (auto kind : {hw::CollectiveKind::AllReduce, hw::CollectiveKind::AllGather}) {
        INFO(hw::to_string(kind));
        const auto c = compare(topo, kind, 256e6, rail0);
        CHECK(c.ratio() == Approx(1.0).epsilon(0.02));
        // 2(n−1)/n · S / 40 GB/s dominates the all-reduce.
        if (kind == hw::CollectiveKind::AllReduce) CHECK(c.closed_s == Approx(14 * 2.8e-6 + 1.75 * 256e6 / 40e9));
    }
}

TEST_CASE("hierarchical collectives on rail-optimized nodes agree with the closed form", "[network]") {
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 4));
    for (auto kind : {hw::CollectiveKind::AllReduce, hw::CollectiveKind::AllGather, hw::CollectiveKind::ReduceScatter}) {
        INFO(hw::to_string(kind));
        CHECK(compare(topo, kind, 512e6, iota(32)).ratio() == Approx(1.0).epsilon(0.02));
    }
}

TEST_CASE("all-to-all agrees with the closed form where no flows contend", "[network]") {
    SECTION("inside one node") {
        const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 1));
        CHECK(compare(topo, hw::CollectiveKind::AllToAll, 1e9, iota(8)).ratio() == Approx(1.0).epsilon(0.02));
    }
    SECTION("two rail-optimized nodes (cross-rail pairs through the spines)") {
        const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 2));
        CHECK(compare(topo, hw::CollectiveKind::AllToAll, 1e9, iota(16)).ratio() == Approx(1.0).epsilon(0.02));
    }
    SECTION("eight nodes on one switch") {
        const hw::Topology topo(h800(hw::TopologyKind::SingleSwitch, 8));
        CHECK(compare(topo, hw::CollectiveKind::AllToAll, 1e9, iota(64)).ratio() == Approx(1.0).epsilon(0.02));
    }
}

TEST_CASE("flows and closed form part under contention", "[network]") {
    SECTION("all-to-all on a fat-tree with oversubscription 4") {
        // 8 nodes under 2 leaves: half of each GPU's bytes cross the spines. Up capacity of a
        // leaf: 32 · 50 / 4 = 400 GB/s · 0.8 = 320 GB/s for 32 GPUs × S/2: S / 20 GB/s,
        // where the NICs alone (closed form) need 56/64 · S / 40 GB/s = S / 45.7 GB/s: at least
        // 2.29× slower. More in fact: ECMP hashes 1,024 flows per leaf onto 32 spine links, and
        // the most loaded link (not the average) sets the makespan.
        const hw::Topology topo(h800(hw::TopologyKind::FatTree, 8, 4.0));
        const auto c = compare(topo, hw::CollectiveKind::AllToAll, 1e9, iota(64));
        CHECK(c.ratio() >= 45.7 / 20 * 0.99);
        CHECK(c.ratio() < 4.0);
        // Without oversubscription the same fat-tree keeps up with the NICs.
        const hw::Topology full(h800(hw::TopologyKind::FatTree, 8, 1.0));
        CHECK(compare(full, hw::CollectiveKind::AllToAll, 1e9, iota(64)).ratio() == Approx(1.0).epsilon(0.02));
    }
    SECTION("a flat ring across nodes on rail-optimized needs cross-rail hops") {
        const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 2));
        const auto c = compare(topo, hw::CollectiveKind::AllReduce, 256e6, iota(16), Algorithm::Ring);
        CHECK(c.ratio() == Approx(1.0).epsilon(0.02));  // only two hops cross nodes: no sharing
    }
    SECTION("four GPUs per NIC") {
        hw::TopologySpec s = h800(hw::TopologyKind::RailOptimized, 2);
        s.nics_per_node = 2;
        const hw::Topology topo(s);
        // Closed form: per-GPU NIC share 2·50/8 = 12.5 GB/s; flows: 4 GPUs × S/2 over one 50 GB/s NIC.
        const auto c = compare(topo, hw::CollectiveKind::AllToAll, 1e9, iota(16));
        CHECK(c.ratio() == Approx(1.0).epsilon(0.02));
    }
}

TEST_CASE("flow runs are deterministic", "[network]") {
    const hw::Topology topo(h800(hw::TopologyKind::FatTree, 8, 2.0));
    const CollectiveSpec spec{hw::CollectiveKind::AllToAll, 64e6, iota(64)};
    const auto a = simulate_collective(topo, profile(), spec);
    const auto b = simulate_collective(topo, profile(), spec);
    CHECK(a.time_s == b.time_s);
    CHECK(a.flows == 64 * 63);
}
