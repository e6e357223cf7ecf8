// Throughput of the discrete-event core: events/s, activities/s through a task graph,
// and all-to-all flow patterns through the max-min flow network.
//
// All-to-all topology (fake links, no hardware): endpoints in nodes of 8. Each endpoint
// has an up-link and a down-link (450 GB/s, like an NVLink port into the switch); each
// node has a NIC out-link and in-link (8 × 50 GB/s, shared by its endpoints). A pair in
// one node uses up(src) → down(dst); a pair across nodes uses up(src) → nic_out(node of
// src) → nic_in(node of dst) → down(dst).
#include <benchmark/benchmark.h>

#include <time.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "moesim/engine/event_loop.h"
#include "moesim/engine/event_queue.h"
#include "moesim/engine/simulator.h"
#include "moesim/engine/task_graph.h"

using namespace moesim::engine;

namespace {

// This machine is shared: rates are per second of this thread's CPU time, which the
// other processes do not inflate; wall times are printed beside them.
double thread_cpu_s() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Times a stretch of work in CPU and wall seconds.
struct Stopwatch {
    double cpu0 = thread_cpu_s();
    std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
    std::pair<double, double> cpu_and_wall_s() const {
        return {thread_cpu_s() - cpu0,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count()};
    }
};

// ---- events -------------------------------------------------------------------------

// The classic "hold" model: `pending` events in the queue; each one that runs schedules
// one more at a pseudo-random delay, so the queue size stays put.
void BM_EventLoopHold(benchmark::State& state) {
    const auto pending = static_cast<std::size_t>(state.range(0));
    const std::uint64_t events_per_run = 4'000'000;
    std::vector<Picoseconds> delays(4096);
    std::mt19937_64 rng(1);
    for (auto& d : delays) d = 1 + static_cast<Picoseconds>(rng() % 10'000);
    for (auto _ : state) {
        EventLoop loop;
        loop.reserve(pending + 1);
        std::uint64_t scheduled = 0;
        HandlerId tick = 0;
        tick = loop.add_handler([&](std::uint64_t payload) {
            if (scheduled < events_per_run) {
                loop.schedule_after(delays[scheduled & 4095], tick, payload);
                ++scheduled;
            }
        });
        for (std::size_t i = 0; i < pending; ++i, ++scheduled) loop.schedule_at(delays[i & 4095], tick, i);
        loop.run();
        benchmark::DoNotOptimize(loop.now());
        state.counters["events/s"] = benchmark::Counter(static_cast<double>(loop.events_run()),
                                                        benchmark::Counter::kIsIterationInvariantRate);
    }
}
BENCHMARK(BM_EventLoopHold)->Arg(64)->Arg(1024)->Arg(65536)->Unit(benchmark::kMillisecond);

// The queue alone: push `pending`, then pop one / push one.
void BM_EventQueueHold(benchmark::State& state) {
    const auto pending = static_cast<std::size_t>(state.range(0));
    const std::uint64_t operations = 4'000'000;
    std::mt19937_64 rng(2);
    std::vector<Picoseconds> delays(4096);
    for (auto& d : delays) d = 1 + static_cast<Picoseconds>(rng() % 10'000);
    for (auto _ : state) {
        EventQueue queue;
        queue.reserve(pending + 1);
        for (std::size_t i = 0; i < pending; ++i) queue.push(delays[i & 4095], 0, i);
        for (std::uint64_t i = 0; i < operations; ++i) {
            const Event e = queue.pop();
            queue.push(e.time + delays[i & 4095], 0, e.payload);
        }
        benchmark::DoNotOptimize(queue.next_time());
    }
    state.counters["events/s"] =
        benchmark::Counter(static_cast<double>(operations), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_EventQueueHold)->Arg(1024)->Arg(65536)->Unit(benchmark::kMillisecond);

// ---- task graph ---------------------------------------------------------------------

// A pipeline-like graph: `streams` serial resources, each running a chain of activities;
// every activity also depends on a recent activity of another stream (a cross-stream
// hand-off, like a send/receive pair). Many activities wait on busy resources.
TaskGraph pipeline_graph(std::size_t activities, std::size_t streams) {
    TaskGraph graph;
    graph.reserve(activities, 2 * activities);
    std::vector<ResourceId> resources;
    for (std::size_t s = 0; s < streams; ++s) resources.push_back(graph.add_resource("stream"));
    std::mt19937_64 rng(3);
    for (std::size_t i = 0; i < activities; ++i) {
        const std::size_t stream = i % streams;
        const ActivityId a = graph.add_activity(1000 + static_cast<Picoseconds>(rng() % 9000), resources[stream]);
        if (i >= streams) graph.add_dependency(static_cast<ActivityId>(i - streams), a);  // same stream
        if (i >= 4 * streams) {  // a recent activity of another stream
            graph.add_dependency(static_cast<ActivityId>(i - 4 * streams + (rng() % streams)), a);
        }
    }
    return graph;
}

void BM_TaskGraph(benchmark::State& state) {
    const auto activities = static_cast<std::size_t>(state.range(0));
    const TaskGraph graph = pipeline_graph(activities, 64);
    double run_cpu_s = 0;
    for (auto _ : state) {
        state.PauseTiming();
        Simulator sim(graph);  // copying the graph is not what we measure
        state.ResumeTiming();
        const Stopwatch watch;
        benchmark::DoNotOptimize(sim.run());
        run_cpu_s += watch.cpu_and_wall_s().first;
    }
    state.counters["activities/s"] =
        benchmark::Counter(static_cast<double>(activities) * static_cast<double>(state.iterations()) / run_cpu_s);
}
BENCHMARK(BM_TaskGraph)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// Building the graph and running it, as a caller would.
void BM_TaskGraphBuildAndRun(benchmark::State& state) {
    const auto activities = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        Simulator sim(pipeline_graph(activities, 64));
        benchmark::DoNotOptimize(sim.run());
    }
    state.counters["activities/s"] =
        benchmark::Counter(static_cast<double>(activities), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_TaskGraphBuildAndRun)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// ---- flows --------------------------------------------------------------------------

constexpr double kGBps = 1e9;
constexpr std::size_t kEndpointsPerNode = 8;

struct Fabric {
    std::vector<LinkId> up, down, nic_out, nic_in;
};

Fabric add_fabric(TaskGraph& graph, std::size_t endpoints) {
    Fabric fabric;
    for (std::size_t e = 0; e < endpoints; ++e) {
        fabric.up.push_back(graph.add_link(450 * kGBps));
        fabric.down.push_back(graph.add_link(450 * kGBps));
    }
    for (std::size_t n = 0; n < (endpoints + kEndpointsPerNode - 1) / kEndpointsPerNode; ++n) {
        fabric.nic_out.push_back(graph.add_link(8 * 50 * kGBps, 2'000'000));  // 2 µs
        fabric.nic_in.push_back(graph.add_link(8 * 50 * kGBps));
    }
    return fabric;
}

void add_transfer(TaskGraph& graph, const Fabric& fabric, std::size_t src, std::size_t dst, double bytes) {
    const std::size_t src_node = src / kEndpointsPerNode, dst_node = dst / kEndpointsPerNode;
    if (src_node == dst_node) {
        const LinkId route[] = {fabric.up[src], fabric.down[dst]};
        graph.add_flow(bytes, route);
    } else {
        const LinkId route[] = {fabric.up[src], fabric.nic_out[src_node], fabric.nic_in[dst_node], fabric.down[dst]};
        graph.add_flow(bytes, route);
    }
}

// Every endpoint sends to every other (n(n−1) flows), `peers` = n − 1; or, for a lighter
// pattern at large n, to `peers` others at strides spread over the whole range.
// `skew` > 0 draws each size uniformly in bytes·[1 − skew, 1 + skew] (MoE imbalance):
// then flows finish at distinct times and each finish is its own re-solve.
TaskGraph all_to_all(std::size_t endpoints, std::size_t peers, double bytes, double skew) {
    TaskGraph graph;
    graph.reserve(endpoints * peers, 0);
    const Fabric fabric = add_fabric(graph, endpoints);
    std::mt19937_64 rng(4);
    std::uniform_real_distribution<double> factor(1 - skew, 1 + skew);
    const std::size_t stride = (endpoints - 1) / peers;
    for (std::size_t src = 0; src < endpoints; ++src) {
        for (std::size_t k = 1; k <= peers; ++k) {
            const std::size_t dst = (src + k * stride) % endpoints;
            add_transfer(graph, fabric, src, dst, skew > 0 ? bytes * factor(rng) : bytes);
        }
    }
    return graph;
}

void run_all_to_all(benchmark::State& state, std::size_t endpoints, std::size_t peers, double skew) {
    const double bytes = 1 << 20;  // 1 MiB per pair
    double simulated_us = 0, build_cpu_s = 0, run_cpu_s = 0, run_wall_s = 0;
    for (auto _ : state) {
        const Stopwatch build;
        Simulator sim(all_to_all(endpoints, peers, bytes, skew));
        build_cpu_s += build.cpu_and_wall_s().first;
        const Stopwatch run;
        simulated_us = static_cast<double>(sim.run()) * 1e-6;
        const auto [cpu, wall] = run.cpu_and_wall_s();
        run_cpu_s += cpu;
        run_wall_s += wall;
    }
    const auto iterations = static_cast<double>(state.iterations());
    state.counters["flows"] = static_cast<double>(endpoints * peers);
    state.counters["build_cpu_ms"] = build_cpu_s * 1e3 / iterations;
    state.counters["run_cpu_ms"] = run_cpu_s * 1e3 / iterations;
    state.counters["run_wall_ms"] = run_wall_s * 1e3 / iterations;
    state.counters["simulated_us"] = simulated_us;
}

// The target case: 64 endpoints in 8 nodes, all pairs (4,032 flows).
void BM_AllToAll64(benchmark::State& state) { run_all_to_all(state, 64, 63, 0.0); }
BENCHMARK(BM_AllToAll64)->Unit(benchmark::kMillisecond);

// The same with ±50 % size skew: 4,032 distinct finish times.
void BM_AllToAll64Skewed(benchmark::State& state) { run_all_to_all(state, 64, 63, 0.5); }
BENCHMARK(BM_AllToAll64Skewed)->Unit(benchmark::kMillisecond);

// Scaling: full all-to-all up to 1024 endpoints (1,047,552 flows); at 2048 a full
// all-to-all is 4.2 M flows, so the series switches to 255 peers per endpoint (522,240).
void BM_AllToAllScaling(benchmark::State& state) {
    const auto endpoints = static_cast<std::size_t>(state.range(0));
    const auto peers = static_cast<std::size_t>(state.range(1));
    run_all_to_all(state, endpoints, peers, 0.0);
}
BENCHMARK(BM_AllToAllScaling)
    ->Args({8, 7})
    ->Args({16, 15})
    ->Args({64, 63})
    ->Args({256, 255})
    ->Args({1024, 1023})
    ->Args({2048, 255})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_AllToAllScalingSkewed(benchmark::State& state) {
    const auto endpoints = static_cast<std::size_t>(state.range(0));
    run_all_to_all(state, endpoints, endpoints - 1, 0.5);
}
BENCHMARK(BM_AllToAllScalingSkewed)->Arg(8)->Arg(16)->Arg(64)->Arg(128)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
