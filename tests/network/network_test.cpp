// The Network interface (network.h): the closed form and the flows agree where nothing
// contends; the topology changes the closed form where traffic crosses an oversubscribed core
// and nowhere else; values the model does not handle are refused.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "cluster_test_helpers.h"
#include "moesim/common/error.h"
#include "moesim/hw/costs.h"
#include "moesim/network/network.h"

using namespace moesim;
using namespace moesim::network;
using moesim::test::h800;
using moesim::test::iota;
using moesim::test::profile;

namespace {

const hw::DeepEpShape kShape{4096, 7168, 8, 4, 256};

}  // namespace

TEST_CASE("closed form and flows agree within 2% where nothing contends", "[network]") {
    const auto spec = h800(hw::TopologyKind::RailOptimized, 4);
    const auto closed = make_network(spec, profile(), NetworkModel::ClosedForm);
    const auto flows = make_network(spec, profile(), NetworkModel::Flows);
    SECTION("hierarchical all-reduce and all-gather over 4 nodes") {
        for (auto kind : {hw::CollectiveKind::AllReduce, hw::CollectiveKind::AllGather}) {
            INFO(hw::to_string(kind));
            const double c = closed->collective_time_s(kind, 1e9, iota(32));
            CHECK(flows->collective_time_s(kind, 1e9, iota(32)) == Approx(c).epsilon(0.02));
        }
    }
    SECTION("a rail ring of one GPU per node, not starting at GPU 0") {
        const auto ring = iota(4, 3, 8);  // local GPU 3 of each node
        const double c = closed->collective_time_s(hw::CollectiveKind::AllReduce, 256e6, ring);
        CHECK(flows->collective_time_s(hw::CollectiveKind::AllReduce, 256e6, ring) == Approx(c).epsilon(0.02));
    }
    SECTION("point-to-point over two lanes") {
        const std::vector<int> from = {0, 1}, to = {16, 17};
        const double c = closed->p2p_time_s(512e6, from, to);
        CHECK(flows->p2p_time_s(512e6, from, to) == Approx(c).epsilon(0.02));
        // Two lanes carry it in half the time of one (but for the latency).
        CHECK(c < 0.51 * closed->p2p_time_s(512e6, std::vector<int>{0}, std::vector<int>{16}) + 1e-5);
    }
    SECTION("DeepEP normal dispatch over the last two nodes") {
        const auto group = iota(16, 16);
        const hw::DeepEpTimes c = closed->deepep_times(hw::DeepEpOp::Dispatch, hw::DeepEpMode::Normal, kShape, group);
        const hw::DeepEpTimes f = flows->deepep_times(hw::DeepEpOp::Dispatch, hw::DeepEpMode::Normal, kShape, group);
        CHECK(f.time_s == Approx(c.time_s).epsilon(0.02));
        CHECK(f.rdma_s == Approx(c.rdma_s).epsilon(0.02));
        CHECK(f.nvlink_s == Approx(c.nvlink_s).epsilon(0.02));
        CHECK(c.time_s == std::max(c.rdma_s, c.nvlink_s));
    }
}

TEST_CASE("closed form: the core slowdown max(1, o·f) of each pattern", "[network]") {
    SECTION("all-to-all over 8 nodes of a 2:1 fat-tree: 4 of 7 remote nodes under the other leaf") {
        const auto spec = h800(hw::TopologyKind::FatTree, 8, 2.0);
        const auto slow = make_network(spec, profile(), NetworkModel::ClosedForm);
        const auto full = make_network(h800(hw::TopologyKind::FatTree, 8), profile(), NetworkModel::ClosedForm);
        const hw::CommGroup g = comm_group(spec, iota(64));
        const hw::CollectiveEfficiency inter = profile().collective(hw::CollectiveKind::AllToAll, hw::Span::Internode, 1e9);
        const hw::CollectiveEfficiency intra = profile().collective(hw::CollectiveKind::AllToAll, hw::Span::Intranode, 1e9);
        // Internode share 56/64 of S at 50 GB/s · eff / (2 · 4/7), NVLink share 7/64 alongside.
        const double nic_s = 56.0 / 64 * 1e9 / (g.nic_GBps * inter.efficiency / (2.0 * 4 / 7) * 1e9);
        const double nvl_s = 7.0 / 64 * 1e9 / (g.nvlink_GBps * intra.efficiency * 1e9);
        const double latency = 7 * intra.latency_s + 56 * inter.latency_s;
        CHECK(slow->collective_time_s(hw::CollectiveKind::AllToAll, 1e9, iota(64)) ==
              Approx(std::max(nic_s, nvl_s) + latency).epsilon(1e-12));
        CHECK(slow->collective_time_s(hw::CollectiveKind::AllToAll, 1e9, iota(64)) >
              1.1 * full->collective_time_s(hw::CollectiveKind::AllToAll, 1e9, iota(64)));
    }
    SECTION("the leaf map: rail-optimized blocks of 32 nodes, fat-tree leaves of 4 nodes") {
        const hw::LeafMap rail(h800(hw::TopologyKind::RailOptimized, 64));
        CHECK_FALSE(rail.crosses_core(0, 8));         // same rail, same block
        CHECK(rail.crosses_core(0, 9));               // cross-rail
        CHECK(rail.crosses_core(0, 32 * 8));          // same rail, next block
        CHECK_FALSE(rail.crosses_core(0, 1));         // same node: NVLink
        const hw::LeafMap fat(h800(hw::TopologyKind::FatTree, 8));
        CHECK_FALSE(fat.crosses_core(0, 3 * 8 + 5));  // under the same leaf, any rail
        CHECK(fat.crosses_core(0, 4 * 8));
        std::vector<RankPair> pairs = {{0, 8}, {0, 32}};
        CHECK(core_slowdown(fat, 4.0, 32, pairs) == 2.0);
        CHECK(core_slowdown(fat, 1.0, 32, pairs) == 1.0);
        pairs = {{0, 8}};
        CHECK(core_slowdown(fat, 4.0, 32, pairs) == 1.0);
        // A rail leaf with 8 of its 32 ports cabled keeps up with cross-rail traffic at 2:1
        // (its uplinks carry 8 NICs' bytes at most), and a full one does not.
        const hw::LeafMap rail8(h800(hw::TopologyKind::RailOptimized, 8));
        CHECK(rail8.nics_on_leaf(0) == 8);
        CHECK(rail.nics_on_leaf(0) == 32);
        pairs = {{0, 9}};
        CHECK(core_slowdown(rail8, 2.0, 32, pairs) == 1.0);
        CHECK(core_slowdown(rail, 2.0, 32, pairs) == 2.0);
    }
}

TEST_CASE("topology: 2:1 fat-tree slower than 2:1 rail-optimized for cross-leaf rail traffic — 1:1 all equal", "[network]") {
    const auto time = [](hw::TopologyKind kind, double o, auto&& ask) {
        const auto net = make_network(h800(kind, 16, o), profile(), NetworkModel::ClosedForm);
        return ask(*net);
    };
    // DeepEP normal kernels over 8 nodes: RDMA to the same rail of each target node.
    const auto dispatch = [](const Network& n) {
        return n.deepep_times(hw::DeepEpOp::Dispatch, hw::DeepEpMode::Normal, kShape, iota(64)).time_s;
    };
    // Expert-DP all-reduce of two GPUs 8 nodes apart, same rail.
    const auto pair_reduce = [](const Network& n) {
        return n.collective_time_s(hw::CollectiveKind::AllReduce, 1e9, std::vector<int>{0, 64});
    };
    for (const auto& ask : {std::function<double(const Network&)>(dispatch), std::function<double(const Network&)>(pair_reduce)}) {
        const double rail2 = time(hw::TopologyKind::RailOptimized, 2, ask);
        const double fat2 = time(hw::TopologyKind::FatTree, 2, ask);
        const double rail1 = time(hw::TopologyKind::RailOptimized, 1, ask);
        CHECK(fat2 > 1.05 * rail2);
        CHECK(rail2 == rail1);  // rail-local under one leaf block: the core is never crossed
        CHECK(time(hw::TopologyKind::FatTree, 1, ask) == rail1);
        CHECK(time(hw::TopologyKind::SingleSwitch, 1, ask) == rail1);
    }
}

TEST_CASE("networks refuse what they do not model", "[network]") {
    const auto refused_at = [](const hw::TopologySpec& s, NetworkModel m) {
        try {
            make_network(s, profile(), m);
        } catch (const ScenarioError& e) {
            return e.json_path();
        }
        return std::string("accepted");
    };
    CHECK(refused_at(h800(hw::TopologyKind::SingleSwitch, 4, 2.0), NetworkModel::ClosedForm) ==
          "/cluster/network/oversubscription");
    auto odd = h800(hw::TopologyKind::FatTree, 6);
    odd.nics_per_node = 3;
    odd.gpus_per_node = 3;
    CHECK(refused_at(odd, NetworkModel::ClosedForm) == "/cluster/network/nics_per_node");
    // Partly filled leaves: the closed form takes them, the flows need whole leaves.
    CHECK(refused_at(h800(hw::TopologyKind::FatTree, 6), NetworkModel::ClosedForm) == "accepted");
    CHECK(refused_at(h800(hw::TopologyKind::FatTree, 6), NetworkModel::Flows) == "/cluster/nodes");
}
