// A training step's collectives as flows on one shared fabric (step_flows.h): alone an instance
// takes its ideal, sharing slows it by the max-min share, faults scale or reroute it, and the
// same starts give the same ends.
#include <catch2/catch.hpp>

#include <vector>

#include "cluster_test_helpers.h"
#include "moesim/common/error.h"
#include "moesim/hw/topology.h"
#include "moesim/network/step_flows.h"

using namespace moesim;
using namespace moesim::network;
using engine::Picoseconds;
using moesim::test::h800;

namespace {

constexpr Picoseconds kPs = 1'000'000'000'000;  // per second
constexpr Picoseconds kSlack = 1000;             // the flow network's completion slack

// Runs every start (time, class, parts) to the end; each instance's (start, end) by token.
struct Start {
    Picoseconds at = 0;
    std::vector<FlowPart> parts;
};
std::vector<InstanceRecord> run(StepFlows& flows, const std::vector<Start>& starts) {
    std::vector<std::uint64_t> done;
    std::size_t next = 0;
    for (;;) {
        const Picoseconds ts = next < starts.size() ? starts[next].at : engine::kNever;
        const Picoseconds t = std::min(ts, flows.next_time());
        if (t == engine::kNever) break;
        flows.advance(t, done);
        for (; next < starts.size() && starts[next].at == t; ++next)
            flows.start(t, TrafficClass::Pp, starts[next].parts, next);
        flows.settle(t);
    }
    REQUIRE(done.size() == starts.size());
    return flows.instances();
}

Picoseconds took(const InstanceRecord& r) { return r.end_ps - r.start_ps; }

// The links of a NIC (both ways, to its GPU and its leaf), at `fraction` from `from_s`.
std::vector<LinkFault> nic_fault(const hw::Topology& topo, int node, int nic, double fraction, double from_s = 0) {
    std::vector<LinkFault> out;
    const std::uint32_t v = topo.nic_vertex(node * topo.rails() + nic);
    for (std::size_t l = 0; l < topo.links().size(); ++l)
        if (topo.links()[l].from == v || topo.links()[l].to == v) out.push_back({static_cast<hw::LinkIndex>(l), fraction, from_s});
    return out;
}

}  // namespace

TEST_CASE("step flows: an instance alone takes its ideal, part by part", "[network][flows]") {
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 4));
    StepFlows flows(topo);
    // A ring over 4 nodes on rail 0, a PP pair, an NVLink all-to-all in node 3: apart in time.
    FlowPart ring{{{0, 8}, {8, 16}, {16, 24}, {24, 0}}, 0.010};
    FlowPart p2p{{{1, 9}}, 0.002};
    FlowPart nvl{{{24, 25}, {25, 24}, {26, 27}}, 0.001};
    const auto got = run(flows, {{0, {ring}}, {kPs, {p2p}}, {2 * kPs, {nvl, p2p}}});
    CHECK(std::llabs(took(got[0]) - 10'000'000'000) <= kSlack);
    CHECK(std::llabs(took(got[1]) - 2'000'000'000) <= kSlack);
    CHECK(std::llabs(took(got[2]) - 2'000'000'000) <= kSlack);  // the longer part
    const ClassTally& t = flows.tallies()[static_cast<std::size_t>(TrafficClass::Pp)];
    CHECK(t.instances == 3);
    CHECK(t.achieved_s == Approx(t.ideal_s).epsilon(1e-6));
    CHECK(t.slowed == 0);
}

TEST_CASE("step flows: instances sharing a link split it max-min fairly", "[network][flows]") {
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 2));
    StepFlows flows(topo);
    // Two sends over the same NIC pair at once: each gets half, both take twice as long. A
    // third on another rail is untouched.
    FlowPart same{{{0, 8}}, 0.004};
    FlowPart other{{{1, 9}}, 0.004};
    const auto got = run(flows, {{0, {same}}, {0, {same}}, {0, {other}}});
    CHECK(std::llabs(took(got[0]) - 8'000'000'000) <= kSlack);
    CHECK(std::llabs(took(got[1]) - 8'000'000'000) <= kSlack);
    CHECK(std::llabs(took(got[2]) - 4'000'000'000) <= kSlack);
    // A second one from 2 ms: the first has half its bytes left, sent at half rate (ends at
    // 6 ms); the second sends half of its bytes by then, the rest alone (ends at 8 ms).
    StepFlows again(topo);
    const auto late = run(again, {{0, {same}}, {2 * kPs / 1000, {same}}});
    CHECK(std::llabs(late[0].end_ps - 6'000'000'000) <= 2 * kSlack);
    CHECK(std::llabs(late[1].end_ps - 8'000'000'000) <= 2 * kSlack);
}

TEST_CASE("step flows: a fault that halves a link's rate doubles a flow alone on it", "[network][flows][faults]") {
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 2));
    StepFlows flows(topo, nic_fault(topo, 0, 0, 0.5));
    FlowPart send{{{0, 8}}, 0.004};
    FlowPart untouched{{{1, 9}}, 0.004};
    const auto got = run(flows, {{0, {send}}, {kPs, {untouched}}});
    CHECK(std::llabs(took(got[0]) - 8'000'000'000) <= kSlack);
    CHECK(std::llabs(took(got[1]) - 4'000'000'000) <= kSlack);
    // From a time: the first half at full rate, the rest at half.
    StepFlows later(topo, nic_fault(topo, 0, 0, 0.5, 0.002));
    const auto part = run(later, {{0, {send}}});
    CHECK(std::llabs(took(part[0]) - 6'000'000'000) <= 2 * kSlack);
}

TEST_CASE("step flows: a fault on one link of a series slows the flows through the series", "[network][flows][faults]") {
    // GPU→NIC and NIC→leaf carry the same flows and are one constraint (series_links.h): a
    // fault on the NIC→leaf link alone, at a quarter, sets the pair's rate all the same.
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 2));
    std::vector<LinkFault> faults;
    const std::uint32_t nic = topo.nic_vertex(0);
    for (std::size_t l = 0; l < topo.links().size(); ++l)
        if (topo.links()[l].from == nic && topo.links()[l].kind == hw::LinkKind::NicLeaf)
            faults.push_back({static_cast<hw::LinkIndex>(l), 0.25, 0.0});
    REQUIRE(faults.size() == 1);
    StepFlows flows(topo, faults);
    FlowPart out{{{0, 8}}, 0.004};
    FlowPart in{{{8, 0}}, 0.004};  // the other direction is not faulted
    const auto got = run(flows, {{0, {out}}, {kPs, {in}}});
    CHECK(std::llabs(took(got[0]) - 16'000'000'000) <= kSlack);
    CHECK(std::llabs(took(got[1]) - 4'000'000'000) <= kSlack);
}

TEST_CASE("step flows: a leaf-spine link down is routed round by ECMP", "[network][flows][faults]") {
    // Cross-rail traffic between 64 nodes (two leaf blocks per rail) crosses the spines.
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 64));
    const int src = 0, dst = 32 * 8 + 1;  // node 0 GPU 0 → node 32 GPU 1
    const std::vector<hw::LinkIndex> healthy = topo.route(src, dst);
    hw::LinkIndex up = 0;
    bool found = false;
    for (const hw::LinkIndex l : healthy)
        if (topo.links()[l].kind == hw::LinkKind::LeafSpine && !found) up = l, found = true;
    REQUIRE(found);
    std::vector<char> down(topo.links().size(), 0);
    down[up] = 1;
    std::vector<hw::LinkIndex> rerouted;
    REQUIRE(topo.route_avoiding(src, dst, down, rerouted));
    CHECK(rerouted.size() == healthy.size());  // another shortest path
    CHECK(std::find(rerouted.begin(), rerouted.end(), up) == rerouted.end());
    // Nothing down: the same route as before.
    std::vector<hw::LinkIndex> same;
    REQUIRE(topo.route_avoiding(src, dst, {}, same));
    CHECK(same == healthy);
    // The flow alone on the rerouted path takes its ideal (every spine has the same capacity).
    StepFlows flows(topo, {{up, 0.0, 0.0}});
    FlowPart send{{{src, dst}}, 0.003};
    const auto got = run(flows, {{0, {send}}});
    CHECK(std::llabs(took(got[0]) - 3'000'000'000) <= kSlack);
}

TEST_CASE("step flows: the same starts give the same ends, bit for bit", "[network][flows]") {
    const hw::Topology topo(h800(hw::TopologyKind::FatTree, 8, 2.0));
    std::vector<Start> starts;
    for (int i = 0; i < 40; ++i) {
        FlowPart part;
        for (int k = 0; k < 6; ++k) part.pairs.push_back({(i * 7 + k * 13) % 64, (i * 11 + k * 5 + 8) % 64});
        part.ideal_s = 0.001 * (1 + i % 5);
        starts.push_back({static_cast<Picoseconds>(i) * 300'000'000, {part}});
    }
    StepFlows a(topo), b(topo);
    const auto x = run(a, starts), y = run(b, starts);
    REQUIRE(x.size() == y.size());
    bool slowed = false;
    for (std::size_t i = 0; i < x.size(); ++i) {
        CHECK(x[i].end_ps == y[i].end_ps);
        CHECK(x[i].end_ps - x[i].start_ps >= x[i].ideal_ps - kSlack);  // sharing never speeds up
        slowed = slowed || x[i].end_ps - x[i].start_ps > x[i].ideal_ps + kSlack;
    }
    CHECK(slowed);  // they do collide on a 2:1 fat-tree
}
