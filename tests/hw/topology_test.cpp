// The cluster graph: shape, routes and ECMP for each kind; shapes that cannot be built.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "moesim/common/error.h"
#include "moesim/hw/topology.h"

using namespace moesim::hw;

namespace {

TopologySpec spec(TopologyKind kind, int nodes, int gpus_per_node = 8, int nics_per_node = 8) {
    TopologySpec s;
    s.kind = kind;
    s.nodes = nodes;
    s.gpus_per_node = gpus_per_node;
    s.nics_per_node = nics_per_node;
    return s;
}

// The vertices a route passes through, after the source.
std::vector<std::uint32_t> path_vertices(const Topology& t, int src, int dst) {
    std::vector<std::uint32_t> out;
    for (LinkIndex l : t.route(src, dst)) out.push_back(t.links()[l].to);
    return out;
}

std::string error_of(const TopologySpec& s) {
    try {
        Topology t(s);
    } catch (const moesim::ScenarioError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("topology kinds parse and print", "[hw]") {
    for (auto k : {TopologyKind::RailOptimized, TopologyKind::FatTree, TopologyKind::SingleSwitch})
        CHECK(topology_kind_from_string(to_string(k)) == k);
    CHECK(topology_kind_from_string("torus") == TopologyKind::Invalid);
}

TEST_CASE("rail-optimized: GPU i of every node on rail i", "[hw]") {
    const Topology t(spec(TopologyKind::RailOptimized, 4));
    // 32 GPUs, 4 NVSwitches, 32 NICs, 8 leaves (one per rail), 32 spines.
    CHECK(t.gpus() == 32);
    CHECK(t.leaf_count() == 8);
    CHECK(t.spine_count() == 32);
    CHECK(t.vertex_count() == 32 + 4 + 32 + 8 + 32);
    // Links in pairs: GPU-NVSwitch 32, GPU-NIC 32, NIC-leaf 32, leaf-spine 8·32.
    CHECK(t.links().size() == 2 * (32 + 32 + 32 + 8 * 32));
    for (int node = 0; node < 4; ++node)
        for (int rail = 0; rail < 8; ++rail) CHECK(t.leaf_of_nic(t.first_nic_of(t.gpu_at(node, rail))) == rail);

    SECTION("inside a node: GPU → NVSwitch → GPU over NVLink") {
        CHECK(t.hops(0, 5) == 2);
        const auto r = t.route(0, 5);
        REQUIRE(r.size() == 2);
        CHECK(t.links()[r[0]].kind == LinkKind::NvLink);
        CHECK(t.links()[r[1]].to == t.gpu_vertex(5));
        CHECK(t.route_latency_s(0, 5) == Approx(3.33e-6));
        CHECK(t.links()[r[0]].capacity_Bps == Approx(200e9));
    }
    SECTION("same rail across nodes: one leaf, 4 hops, 2.8 µs") {
        const int a = t.gpu_at(0, 3), b = t.gpu_at(2, 3);
        CHECK(t.hops(a, b) == 4);
        const auto v = path_vertices(t, a, b);
        REQUIRE(v.size() == 4);
        CHECK(v[1] == t.leaf_vertex(3));
        CHECK(t.route_latency_s(a, b) == Approx(2.8e-6));
        CHECK(t.links()[t.route(a, b)[1]].capacity_Bps == Approx(50e9));
    }
    SECTION("across rails: through a spine, 6 hops, 3.7 µs") {
        const int a = t.gpu_at(0, 1), b = t.gpu_at(1, 6);
        CHECK(t.hops(a, b) == 6);
        const auto v = path_vertices(t, a, b);
        REQUIRE(v.size() == 6);
        CHECK(v[1] == t.leaf_vertex(1));
        CHECK(t.links()[t.route(a, b)[2]].kind == LinkKind::LeafSpine);
        CHECK(v[3] == t.leaf_vertex(6));
        CHECK(t.route_latency_s(a, b) == Approx(3.7e-6));
    }
}

TEST_CASE("ECMP is deterministic and spreads pairs over the spines", "[hw]") {
    const Topology t(spec(TopologyKind::RailOptimized, 8));
    const Topology again(spec(TopologyKind::RailOptimized, 8));
    std::set<std::uint32_t> spines;
    for (int a = 0; a < 8; ++a)
        for (int b = 8; b < 64; ++b) {
            if (t.local_rank(a) == t.local_rank(b)) continue;
            const auto r = t.route(a, b);
            CHECK(r == t.route(a, b));      // the same call, the same route
            CHECK(r == again.route(a, b));  // an identical topology, the same route
            spines.insert(t.links()[r[2]].to);
        }
    // 392 cross-rail pairs over 32 spines: the hash uses most of them.
    CHECK(spines.size() >= 28);
}

TEST_CASE("fat-tree: nodes grouped under leaves, leaves to spines, oversubscription", "[hw]") {
    TopologySpec s = spec(TopologyKind::FatTree, 8);
    s.oversubscription = 4;
    const Topology t(s);
    // 32-port leaves hold 4 nodes of 8 NICs: 2 leaves.
    CHECK(t.leaf_count() == 2);
    CHECK(t.spine_count() == 32);
    CHECK(t.leaf_of_nic(t.first_nic_of(t.gpu_at(3, 7))) == 0);
    CHECK(t.leaf_of_nic(t.first_nic_of(t.gpu_at(4, 0))) == 1);
    // Different rails, same leaf: no spine.
    CHECK(t.hops(t.gpu_at(0, 1), t.gpu_at(3, 6)) == 4);
    // Across leaves: through a spine.
    const auto r = t.route(t.gpu_at(0, 1), t.gpu_at(5, 1));
    REQUIRE(r.size() == 6);
    // Each leaf→spine link: 32 ports · 50 GB/s / 4 / 32 spines = 12.5 GB/s.
    CHECK(t.links()[r[2]].capacity_Bps == Approx(12.5e9));
}

TEST_CASE("single-switch: every NIC on one switch, no spines", "[hw]") {
    const Topology t(spec(TopologyKind::SingleSwitch, 16));
    CHECK(t.leaf_count() == 1);
    CHECK(t.spine_count() == 0);
    CHECK(t.hops(0, 127) == 4);
    CHECK(t.hops(t.gpu_at(0, 0), t.gpu_at(15, 7)) == 4);
}

TEST_CASE("NICs shared by GPUs, or several per GPU", "[hw]") {
    SECTION("4 NICs for 8 GPUs: two GPUs per NIC") {
        const Topology t(spec(TopologyKind::RailOptimized, 2, 8, 4));
        CHECK(t.first_nic_of(0) == 0);
        CHECK(t.first_nic_of(1) == 0);
        CHECK(t.first_nic_of(7) == 3);
        CHECK(t.first_nic_of(t.gpu_at(1, 2)) == 5);
        CHECK(t.leaf_count() == 4);
        CHECK(t.hops(t.gpu_at(0, 1), t.gpu_at(1, 0)) == 4);  // same NIC rail 0
    }
    SECTION("2 NICs per GPU: two equal-cost ways out") {
        const Topology t(spec(TopologyKind::SingleSwitch, 2, 4, 8));
        CHECK(t.first_nic_of(1) == 2);
        std::set<std::uint32_t> first_nics;
        for (int d = 4; d < 8; ++d) first_nics.insert(t.links()[t.route(1, d)[0]].to);
        for (auto v : first_nics) CHECK((v == t.nic_vertex(2) || v == t.nic_vertex(3)));
    }
}

TEST_CASE("a 2,048-GPU rail-optimized topology keeps its routes small", "[hw]") {
    const Topology t(spec(TopologyKind::RailOptimized, 256));
    CHECK(t.leaf_count() == 64);  // 8 rails × 8 leaves of 32 nodes
    CHECK(t.hops(0, 2047) == 6);
    CHECK(t.hops(t.gpu_at(0, 0), t.gpu_at(31, 0)) == 4);  // same leaf of rail 0
    CHECK(t.hops(t.gpu_at(0, 0), t.gpu_at(32, 0)) == 6);  // next leaf of rail 0
    t.precompute_routes();
    CHECK(t.memory_bytes() < 200u * 1000 * 1000);
}

TEST_CASE("topologies that cannot be built name the scenario path", "[hw]") {
    CHECK(error_of(spec(TopologyKind::RailOptimized, 2, 8, 3)) ==
          "/cluster/network/nics_per_node: 3 NICs cannot be spread over 8 GPUs (one must divide the other)");
    TopologySpec zero = spec(TopologyKind::FatTree, 2);
    zero.nic_Gbps = 0;
    CHECK(error_of(zero) == "/cluster/network/nic_Gbps: bandwidth must be positive (got 0)");
    TopologySpec nvl = spec(TopologyKind::FatTree, 2);
    nvl.nvlink_GBps = 0;
    CHECK(error_of(nvl).rfind("/cluster/gpu_overrides/nvlink_GBps:", 0) == 0);
    CHECK(error_of(spec(TopologyKind::FatTree, 6)) ==
          "/cluster/nodes: 6 nodes cannot be divided into leaves of 4 nodes (fat-tree, 32-port leaves)");
    CHECK(error_of(spec(TopologyKind::RailOptimized, 48)).rfind("/cluster/nodes: 48 nodes cannot be divided", 0) == 0);
    TopologySpec over = spec(TopologyKind::FatTree, 8);
    over.oversubscription = 0.5;
    CHECK(error_of(over).rfind("/cluster/network/oversubscription:", 0) == 0);
    TopologySpec named = spec(TopologyKind::Invalid, 1);
    named.file = "s.json";
    CHECK(error_of(named).rfind("s.json: /cluster/network/topology:", 0) == 0);
    CHECK(error_of(spec(TopologyKind::FatTree, 1, 8, 64)).rfind("/cluster/network/nics_per_node:", 0) == 0);
}
