// Flow completion times worked out by hand: flows share links max-min fairly and speed
// up when others finish. Capacities in bytes/s, times in picoseconds.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "moesim/engine/flow_network.h"
#include "moesim/engine/simulator.h"
#include "moesim/engine/task_graph.h"

using namespace moesim;
using namespace moesim::engine;

namespace {

constexpr double kGBps = 1e9;
constexpr Picoseconds kUs = 1'000'000;  // ps per microsecond
constexpr Picoseconds kMs = 1000 * kUs;

std::vector<LinkId> route(std::initializer_list<LinkId> links) { return links; }

// The exact time in ps, rounded up as the network rounds.
Picoseconds ps(double seconds) { return static_cast<Picoseconds>(std::ceil(seconds * 1e12)); }

}  // namespace

TEST_CASE("flows: two on one link share it, the survivor speeds up", "[engine]") {
    // L = 1 GB/s. f1 = 1 MB, f2 = 3 MB, both at t = 0: 0.5 GB/s each.
    // f1 ends at 1 MB / 0.5 GB/s = 2 ms, when f2 has 2 MB left at 1 GB/s: ends at 4 ms.
    TaskGraph graph;
    const LinkId l = graph.add_link(1 * kGBps);
    const ActivityId f1 = graph.add_flow(1e6, route({l}));
    const ActivityId f2 = graph.add_flow(3e6, route({l}));
    Simulator sim(std::move(graph));
    CHECK(sim.run() == 4 * kMs);
    CHECK(sim.timing(f1).start_ps == 0);
    CHECK(sim.timing(f1).end_ps == 2 * kMs);
    CHECK(sim.timing(f2).end_ps == 4 * kMs);
}

TEST_CASE("flows: one bottlenecked elsewhere, the other takes the rest, then all", "[engine]") {
    // A = 1 GB/s, B = 3 GB/s. f1 (1 MB) over A and B, f2 (4 MB) over B.
    // A: f1 ≤ 1 GB/s binds before B's 1.5: f1 = 1 GB/s, f2 = 2 GB/s.
    // f1 ends at 1 ms; f2 has 4 − 2 = 2 MB left, alone on B at 3 GB/s: 2/3 ms more.
    TaskGraph graph;
    const LinkId a = graph.add_link(1 * kGBps);
    const LinkId b = graph.add_link(3 * kGBps);
    const ActivityId f1 = graph.add_flow(1e6, route({a, b}));
    const ActivityId f2 = graph.add_flow(4e6, route({b}));
    Simulator sim(std::move(graph));
    sim.run();
    CHECK(sim.timing(f1).end_ps == 1 * kMs);
    CHECK(sim.timing(f2).end_ps == Approx(static_cast<double>(1 * kMs + ps(2e6 / 3e9))).epsilon(1e-12));
}

TEST_CASE("flows: a late starter slows the first, and both end together", "[engine]") {
    // L = 1 GB/s. f1 = 2 MB from t = 0; f2 = 1 MB after a 1 ms compute step.
    // By 1 ms f1 sent 1 MB alone. Then 0.5 GB/s each: both have 1 MB, both end at 3 ms.
    TaskGraph graph;
    const LinkId l = graph.add_link(1 * kGBps);
    const ActivityId f1 = graph.add_flow(2e6, route({l}));
    const ActivityId compute = graph.add_activity(1 * kMs);
    const ActivityId f2 = graph.add_flow(1e6, route({l}));
    graph.add_dependency(compute, f2);
    Simulator sim(std::move(graph));
    sim.run();
    CHECK(sim.timing(f2).start_ps == 1 * kMs);
    CHECK(sim.timing(f1).end_ps == 3 * kMs);
    CHECK(sim.timing(f2).end_ps == 3 * kMs);
}

TEST_CASE("flows: route latency is paid once, before the bytes move", "[engine]") {
    // Two links of 2 GB/s with 3 µs and 2 µs latency: a 1 MB flow takes 5 µs + 0.5 ms.
    // A second flow sent over the same route after the first one ends never shares.
    TaskGraph graph;
    const LinkId a = graph.add_link(2 * kGBps, 3 * kUs);
    const LinkId b = graph.add_link(2 * kGBps, 2 * kUs);
    const ActivityId f1 = graph.add_flow(1e6, route({a, b}));
    const ActivityId f2 = graph.add_flow(1e6, route({a, b}));
    graph.add_dependency(f1, f2);
    const ActivityId empty = graph.add_flow(0, route({a}));  // only latency
    Simulator sim(std::move(graph));
    sim.run();
    CHECK(sim.timing(f1).end_ps == 5 * kUs + 500 * kUs);
    CHECK(sim.timing(f2).end_ps == 2 * (5 * kUs + 500 * kUs));
    CHECK(sim.timing(empty).end_ps == 3 * kUs);
}

TEST_CASE("flows: while one waits out its latency the other has the link alone", "[engine]") {
    // L = 1 GB/s with no latency; M = 1 GB/s with 1 ms latency. f1 (2 MB) over L;
    // f2 (1 MB) over M then L: starts sharing at 1 ms, by when f1 has 1 MB left.
    // Then 0.5 GB/s each: both end at 3 ms.
    TaskGraph graph;
    const LinkId l = graph.add_link(1 * kGBps);
    const LinkId m = graph.add_link(1 * kGBps, 1 * kMs);
    const ActivityId f1 = graph.add_flow(2e6, route({l}));
    const ActivityId f2 = graph.add_flow(1e6, route({m, l}));
    Simulator sim(std::move(graph));
    sim.run();
    CHECK(sim.timing(f2).start_ps == 0);
    CHECK(sim.timing(f1).end_ps == 3 * kMs);
    CHECK(sim.timing(f2).end_ps == 3 * kMs);
}

TEST_CASE("flows: a flow holding a resource keeps it for its whole transfer", "[engine]") {
    // One copy engine (serial). Two 1 MB copies over separate 1 GB/s links: 1 ms each,
    // one after the other because they share the engine.
    TaskGraph graph;
    const ResourceId engine = graph.add_resource("copy engine");
    const LinkId a = graph.add_link(1 * kGBps);
    const LinkId b = graph.add_link(1 * kGBps);
    const ActivityId c1 = graph.add_flow(1e6, route({a}), engine);
    const ActivityId c2 = graph.add_flow(1e6, route({b}), engine);
    Simulator sim(std::move(graph));
    CHECK(sim.run() == 2 * kMs);
    CHECK(sim.timing(c1).end_ps == 1 * kMs);
    CHECK(sim.timing(c2).start_ps == 1 * kMs);
}

TEST_CASE("flows: the network alone, driven by hand", "[engine]") {
    // L = 100 B/s; f1 = 100 B, f2 = 300 B: 50 B/s each, f1 at 2 s, f2 at 4 s.
    FlowNetwork network(FlowNetworkOptions{0});
    const LinkId l = network.add_link(100);
    const FlowId f1 = network.start_flow(0, 100, route({l}), 1);
    network.start_flow(0, 300, route({l}), 2);
    std::vector<std::uint64_t> finished;
    network.advance_to(0, finished);
    network.update_rates(0);
    CHECK(network.rate_Bps(f1) == Approx(50).epsilon(1e-12));
    CHECK(network.link_load_Bps(l) == Approx(100).epsilon(1e-12));
    CHECK(network.next_event_time() == 2 * units::kPsPerSecond);
    network.advance_to(2 * units::kPsPerSecond, finished);
    CHECK(finished == std::vector<std::uint64_t>{1});
    network.update_rates(2 * units::kPsPerSecond);
    CHECK(network.next_event_time() == 4 * units::kPsPerSecond);
    network.advance_to(4 * units::kPsPerSecond, finished);
    CHECK(finished == std::vector<std::uint64_t>{1, 2});
    CHECK(network.active_flow_count() == 0);
}

TEST_CASE("flows: routes longer than a flow slot holds inline, and a slot reused by a short one", "[engine]") {
    // Eight links of 100..800 B/s: a 100 B flow over all of them runs at the slowest, 100 B/s,
    // and finishes at 1 s; the slot it frees then carries a 300 B flow over the 400 B/s link
    // alone, which must see that one link (the long route does not linger): 0.75 s more.
    FlowNetwork network(FlowNetworkOptions{0});
    std::vector<LinkId> links;
    for (int i = 1; i <= 8; ++i) links.push_back(network.add_link(100.0 * i));
    std::vector<std::uint64_t> finished;
    const FlowId f1 = network.start_flow(0, 100, links, 1);
    network.advance_to(0, finished);
    network.update_rates(0);
    CHECK(network.rate_Bps(f1) == Approx(100).epsilon(1e-12));
    for (const LinkId l : links) CHECK(network.link_load_Bps(l) == Approx(100).epsilon(1e-12));
    const Picoseconds one_s = units::kPsPerSecond;
    CHECK(network.next_event_time() == one_s);
    network.advance_to(one_s, finished);
    CHECK(finished == std::vector<std::uint64_t>{1});
    const FlowId f2 = network.start_flow(one_s, 300, route({links[3]}), 2);
    CHECK(f2 == f1);  // the freed slot
    network.advance_to(one_s, finished);
    network.update_rates(one_s);
    CHECK(network.rate_Bps(f2) == Approx(400).epsilon(1e-12));
    CHECK(network.link_load_Bps(links[0]) == 0);
    CHECK(network.next_event_time() == one_s + one_s * 3 / 4);
}

TEST_CASE("flows: incremental re-solves give the times of full re-solves", "[engine]") {
    // Random flows over random routes, starting at random times. Re-solving only the
    // changed components must give the finish times that re-solving everything gives.
    std::mt19937_64 rng(99);
    TaskGraph graph;
    const int link_count = 10;
    for (int l = 0; l < link_count; ++l) graph.add_link(1e9 * (1 + static_cast<double>(rng() % 8)));
    std::vector<ActivityId> flows;
    for (int i = 0; i < 300; ++i) {
        std::vector<LinkId> r;
        const std::size_t length = 1 + rng() % 3;
        while (r.size() < length) {
            const auto l = static_cast<LinkId>(rng() % link_count);
            if (std::find(r.begin(), r.end(), l) == r.end()) r.push_back(l);
        }
        const ActivityId delay = graph.add_activity(static_cast<Picoseconds>(rng() % 2000) * kUs);
        flows.push_back(graph.add_flow(1e5 * (1 + static_cast<double>(rng() % 50)), r));
        graph.add_dependency(delay, flows.back());
    }
    FlowNetworkOptions incremental{0, false};
    FlowNetworkOptions full{0, true};
    Simulator fast(graph, SimulatorOptions{incremental});
    Simulator reference(graph, SimulatorOptions{full});
    fast.run();
    reference.run();
    int overlapping = 0;  // the case must actually make flows share
    for (std::size_t i = 0; i < flows.size(); ++i) {
        INFO("flow " << i);
        const ActivityTiming& a = fast.timing(flows[i]);
        const ActivityTiming& b = reference.timing(flows[i]);
        CHECK(a.start_ps == b.start_ps);
        CHECK(static_cast<double>(a.end_ps) == Approx(static_cast<double>(b.end_ps)).epsilon(1e-9));
        for (std::size_t j = 0; j < i; ++j) {
            const ActivityTiming& c = fast.timing(flows[j]);
            if (c.start_ps < a.end_ps && a.start_ps < c.end_ps) ++overlapping;
        }
    }
    CHECK(overlapping > 100);
}

TEST_CASE("flows: finishes re-solve only the faster flows, with the times of whole-component solves", "[engine]") {
    // An all-to-all-like load: equal flows over two shared "spine" links of different
    // capacity behind per-endpoint links, so rates spread and flows finish at many times.
    // Suffix re-solves (the default) must give the finish times of whole-component
    // re-solves and recompute fewer flows in all.
    std::mt19937_64 rng(7);
    TaskGraph graph;
    const int endpoints = 12;
    std::vector<LinkId> out, in;
    for (int e = 0; e < endpoints; ++e) out.push_back(graph.add_link(10 * kGBps));
    for (int e = 0; e < endpoints; ++e) in.push_back(graph.add_link(10 * kGBps));
    const LinkId spine_a = graph.add_link(20 * kGBps), spine_b = graph.add_link(35 * kGBps);
    std::vector<ActivityId> flows;
    for (int s = 0; s < endpoints; ++s)
        for (int d = 0; d < endpoints; ++d) {
            if (s == d) continue;
            const LinkId spine = rng() % 2 ? spine_a : spine_b;
            flows.push_back(graph.add_flow(1e5 * (10 + static_cast<double>(rng() % 90)), route({out[s], spine, in[d]})));
        }
    FlowNetworkOptions suffix{0, false, true};
    FlowNetworkOptions whole{0, false, false};
    Simulator fast(graph, SimulatorOptions{suffix});
    Simulator reference(graph, SimulatorOptions{whole});
    fast.run();
    reference.run();
    for (std::size_t i = 0; i < flows.size(); ++i) {
        INFO("flow " << i);
        CHECK(static_cast<double>(fast.timing(flows[i]).end_ps) ==
              Approx(static_cast<double>(reference.timing(flows[i]).end_ps)).epsilon(1e-9));
    }
    // Deterministic: the same graph again gives the same times, to the picosecond.
    Simulator again(graph, SimulatorOptions{suffix});
    again.run();
    for (const ActivityId f : flows) REQUIRE(again.timing(f).end_ps == fast.timing(f).end_ps);
    CHECK(fast.flows().solver().suffix_solves() > 10);
    CHECK(reference.flows().solver().suffix_solves() == 0);
    CHECK(fast.flows().solver().variables_solved() < reference.flows().solver().variables_solved());
}

TEST_CASE("flows: many distinct route latencies, past the per-latency queues", "[engine]") {
    // Flows wait out their latency in one queue per latency, and past 16 distinct latencies in a
    // heap. 24 latencies (1..24 µs), two links of 1 GB/s for each; a 1 MB flow on the first
    // starts at 0, one on the second at 10 µs. Each is alone on its link: it ends at
    // start + latency + 1 ms exactly, whichever queue it waited in.
    FlowNetwork net;
    constexpr int kLatencies = 24;
    std::vector<LinkId> first, second;
    for (int k = 0; k < kLatencies; ++k) {
        first.push_back(net.add_link(1 * kGBps, (k + 1) * kUs));
        second.push_back(net.add_link(1 * kGBps, (k + 1) * kUs));
    }
    const auto index = [](int k) { return static_cast<std::size_t>(k); };
    std::vector<std::uint64_t> done;
    for (int k = 0; k < kLatencies; ++k) net.start_flow(0, 1e6, route({first[index(k)]}), index(k));
    net.update_rates(0);
    std::vector<Picoseconds> end(2 * kLatencies, -1);
    bool second_started = false;
    for (;;) {
        const Picoseconds t = second_started ? net.next_event_time() : std::min(net.next_event_time(), 10 * kUs);
        if (t == kNever) break;
        done.clear();
        net.advance_to(t, done);
        if (t == 10 * kUs && !second_started) {
            for (int k = 0; k < kLatencies; ++k) net.start_flow(t, 1e6, route({second[index(k)]}), index(kLatencies + k));
            second_started = true;
        }
        for (const std::uint64_t tag : done) end[tag] = t;
        net.update_rates(t);
    }
    for (int k = 0; k < kLatencies; ++k) {
        INFO("latency " << k + 1 << " us");
        CHECK(end[index(k)] == (k + 1) * kUs + 1 * kMs);
        CHECK(end[index(kLatencies + k)] == 10 * kUs + (k + 1) * kUs + 1 * kMs);
    }
    CHECK(net.active_flow_count() == 0);
}
