// Collectives as flows over the real cluster topology (hw::Topology routes, sim/network):
// the 64-GPU all-to-all over 8 rail-optimized nodes (4,032 flows), its growth with the GPU
// count, and the memory of a 2,048-GPU topology with all its routes.
//
// Each all-to-all iteration builds the task graph (one topology route per flow, walked
// through the distance tables; the tables themselves are filled once, on the first
// iteration), runs the simulator, and reports wall time: the figure a user waits for.
//
// The all-to-all scaling runs to 2,048 GPUs (4.2 million flows) but the large points do not
// finish in useful time. On rail-optimized nodes 7/8 of an all-to-all crosses rails, so the
// spine links run at 87.5% of their capacity on average and ECMP collisions make some of
// them the bottleneck: flows finish at thousands of distinct times and, all sharing one
// component, each finish changes rates far away (exact max-min does). The solver's suffix
// re-solve (maxmin.h) recomputes only the flows at or above the finisher's rate: at 256 GPUs
// (5,014 re-solves) it recomputes 44 million flow rates where whole-component re-solves
// (BM_AllToAllRailScalingWholeComponent) recompute 200 million, but a quarter of the re-solves
// still reach over half the live flows (a slow flow finishing while faster ones remain), so
// CPU time falls only from 33 s to 24 s. Measured on the 2-core development machine under a
// load average of ~16 (CPU seconds; wall time was 3× that): 128 GPUs ~30 ms; 256 GPUs 24 s;
// with 1 µs completion slack (BM_AllToAllRailScalingSlack1us, same simulated time to 6
// digits) 256 GPUs 1.2 s and 512 GPUs (261,632 flows) 11.5 s, 131 MB peak RSS. 1,024 and
// 2,048 GPUs: see the commit that adds these points (not run to completion here). The
// 2,048-GPU topology and all its routes are measured alone (BM_Topology2048).
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <vector>

#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/topology.h"
#include "moesim/network/fabric.h"
#include "moesim/network/step_flows.h"

using namespace moesim;

namespace {

hw::TopologySpec rail_optimized(int gpus) {
    hw::TopologySpec s;
    s.kind = hw::TopologyKind::RailOptimized;
    s.nodes = gpus / 8;
    return s;
}

std::vector<int> first(int n) {
    std::vector<int> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

// Resident set size of this process, bytes.
double rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Peak resident set size of this process so far, bytes.
double peak_rss_bytes() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) * 1024.0;
}

void run_all_to_all(benchmark::State& state, int gpus, engine::Picoseconds slack_ps = 1000, bool suffix = true) {
    const hw::Topology topo(rail_optimized(gpus));
    engine::SimulatorOptions options;
    options.flows.completion_slack_ps = slack_ps;
    options.flows.suffix_resolve = suffix;
    const network::CollectiveSpec spec{hw::CollectiveKind::AllToAll, 64.0 * 1024 * 1024, first(gpus)};
    network::FlowRun run;
    double worst_ms = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        run = network::simulate_collective(topo, hw::default_profile(), spec, options);
        worst_ms = std::max(worst_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        const double time_s = run.time_s;  // a copy: DoNotOptimize(double&) can clobber it under GCC
        benchmark::DoNotOptimize(time_s);
    }
    state.counters["flows"] = static_cast<double>(run.flows);
    state.counters["simulated_ms"] = run.time_s * 1e3;
    state.counters["worst_wall_ms"] = worst_ms;
    state.counters["peak_rss_MB"] = peak_rss_bytes() / 1e6;  // the process's so far: filter to one point
    state.counters["flows/s"] = benchmark::Counter(static_cast<double>(run.flows), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

// The target: under 50 ms of wall time.
void BM_AllToAll64Rail(benchmark::State& state) { run_all_to_all(state, 64); }
BENCHMARK(BM_AllToAll64Rail)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AllToAllRailScaling(benchmark::State& state) { run_all_to_all(state, static_cast<int>(state.range(0))); }
BENCHMARK(BM_AllToAllRailScaling)
    ->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Arg(128)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)
    ->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Before the suffix re-solve: every finish re-solves the whole component (the O(F²) case).
void BM_AllToAllRailScalingWholeComponent(benchmark::State& state) {
    run_all_to_all(state, static_cast<int>(state.range(0)), 1000, false);
}
BENCHMARK(BM_AllToAllRailScalingWholeComponent)
    ->Arg(64)->Arg(128)->Arg(256)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same with flows due within 1 µs of each other finishing together (the default is
// 1 ns): fewer re-solves where ECMP collisions spread the finish times, at ≤ 1 µs of error
// per finish.
void BM_AllToAllRailScalingSlack1us(benchmark::State& state) {
    run_all_to_all(state, static_cast<int>(state.range(0)), 1'000'000);
}
BENCHMARK(BM_AllToAllRailScalingSlack1us)->Arg(64)->Arg(128)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// PXN all-to-all (fabric.h add_all_to_all_pxn: one flow per node pair and rail, plus the NVLink
// hand-over in each node) on the rail-optimized topology: how far it goes beyond the per-pair
// all-to-all's 256 GPUs. Under a load average of ~9: 256 GPUs (9,728 flows) 21 CPU-ms. Under
// ~3 (flows15, docs/STEP_FLOWS.md): 1,024 GPUs (137,216 flows) 3.3 CPU-s; 2,048 GPUs (536,576
// flows) did not finish within 600 s of wall time (stopped by `timeout 600`): each rail's
// ~65,000 flows form one component with rates near one NIC share, and each of the many
// distinct finish times moves most of them. With 1 µs of completion slack
// (BM_AllToAllPxnRailScalingSlack1us) 2,048 GPUs take 25 CPU-s and 253 MB, and 1,024 GPUs 0.59
// CPU-s with the same makespan as 1 ns (1.508178609 ms).
void run_all_to_all_pxn(benchmark::State& state, engine::Picoseconds slack_ps) {
    const int gpus = static_cast<int>(state.range(0));
    const hw::Topology topo(rail_optimized(gpus));
    const network::CollectiveSpec spec{hw::CollectiveKind::AllToAll, 64.0 * 1024 * 1024, first(gpus),
                                       network::Algorithm::Pxn};
    engine::SimulatorOptions options;
    options.flows.completion_slack_ps = slack_ps;
    network::FlowRun run;
    for (auto _ : state) {
        run = network::simulate_collective(topo, hw::default_profile(), spec, options);
        const double time_s = run.time_s;  // a copy: DoNotOptimize(double&) can clobber it under GCC
        benchmark::DoNotOptimize(time_s);
    }
    state.counters["flows"] = static_cast<double>(run.flows);
    state.counters["peak_rss_MB"] = peak_rss_bytes() / 1e6;
    std::printf("pxn all-to-all, %d GPUs, slack %lld ps: %zu flows, %.12g simulated ms\n", gpus,
                static_cast<long long>(slack_ps), run.flows, run.time_s * 1e3);
}

void BM_AllToAllPxnRailScaling(benchmark::State& state) { run_all_to_all_pxn(state, 1000); }
BENCHMARK(BM_AllToAllPxnRailScaling)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->Iterations(1)
    ->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// The same with flows due within 1 µs (and 100 ns) of each other finishing together.
void BM_AllToAllPxnRailScalingSlack1us(benchmark::State& state) { run_all_to_all_pxn(state, 1'000'000); }
BENCHMARK(BM_AllToAllPxnRailScalingSlack1us)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->Iterations(1)
    ->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
void BM_AllToAllPxnRailScalingSlack100ns(benchmark::State& state) { run_all_to_all_pxn(state, 100'000); }
BENCHMARK(BM_AllToAllPxnRailScalingSlack100ns)->Arg(256)->Arg(512)->Arg(1024)->Arg(2048)->Iterations(1)
    ->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// The solver core of `run --fidelity full --network flows` (network::StepFlows) on the V3 step's
// fabric: 2,048 GPUs rail-optimized, 32 EP groups of 64 GPUs (8 nodes each), each running
// `rounds` DeepEP-shaped instances back to back (448 RDMA flows, one per source GPU and other
// node on its rail, and 448 NVLink flows in its nodes), the groups staggered by 37 µs so that
// their instances overlap and start and end at distinct times, as in the step; every fourth
// instance of a group also sends a pipeline pair to the next group (sharing its NICs). Reports
// flows started per CPU-second: the V3 step starts about 50 million. Measured on the 2-core
// machine under a load average of ~9 (`build/bench/network_bench
// --benchmark_filter=BM_StepFlowsEpGroups2048`): 1.84 million flows in 3.24 CPU-s (567,000
// flows per CPU-second), 29 MB peak RSS.
//
// BM_StepFlowsEpGroups2048FatTree: the same instances on a 2:1 oversubscribed fat-tree, where
// the RDMA flows of every group share the leaf uplinks and spines: one component, congested
// (the case `run --set /cluster/network/topology=fat-tree --set
// /cluster/network/oversubscription=2` pays for). It prints its simulated time: the
// incremental re-solve must not move it beyond rounding. Measured under a load average of ~6
// (with the incremental re-solve from adds, maxmin.h): rail-optimized 3.19 CPU-s, fat-tree 2:1
// 2.72 CPU-s (1.84 million flows each, 0.0828615 simulated s on the fat-tree).
void run_step_flows(benchmark::State& state, const hw::TopologySpec& spec) {
    const int rounds = static_cast<int>(state.range(0));
    const hw::Topology topo(spec);
    constexpr int kGroups = 32, kGroup = 64, kPerNode = 8;
    std::vector<std::vector<network::FlowPart>> instance(kGroups);
    for (int e = 0; e < kGroups; ++e) {
        const int first = e * kGroup;
        network::FlowPart nvlink{{}, 0.0008}, rdma{{}, 0.0012};
        for (int n = 0; n < kGroup / kPerNode; ++n)
            for (int i = 0; i < kPerNode; ++i)
                for (int j = 0; j < kPerNode; ++j)
                    if (i != j) nvlink.pairs.push_back({first + n * kPerNode + i, first + n * kPerNode + j});
        for (int x = 0; x < kGroup / kPerNode; ++x)
            for (int y = 0; y < kGroup / kPerNode; ++y)
                if (x != y)
                    for (int l = 0; l < kPerNode; ++l) rdma.pairs.push_back({first + x * kPerNode + l, first + y * kPerNode + l});
        instance[static_cast<std::size_t>(e)] = {nvlink, rdma};
    }
    std::int64_t flows = 0;
    double step_s = 0;
    for (auto _ : state) {
        network::StepFlows sf(topo);
        // Per group: the next round's start (after its last instance ended), rounds left.
        std::vector<engine::Picoseconds> next(kGroups);
        std::vector<int> left(kGroups, rounds);
        for (int e = 0; e < kGroups; ++e) next[static_cast<std::size_t>(e)] = e * 37'000'000LL;
        std::vector<std::uint64_t> done;
        engine::Picoseconds now = 0;
        for (;;) {
            engine::Picoseconds t = sf.next_time();
            for (int e = 0; e < kGroups; ++e)
                if (left[static_cast<std::size_t>(e)] > 0) t = std::min(t, next[static_cast<std::size_t>(e)]);
            if (t == engine::kNever) break;
            now = t;
            done.clear();
            sf.advance(t, done);
            for (const std::uint64_t token : done) {
                if (token >= kGroups) continue;  // a pipeline send
                next[token] = t;  // the group goes on with its next instance
            }
            for (std::size_t e = 0; e < kGroups; ++e) {
                if (left[e] == 0 || next[e] != t) continue;
                --left[e];
                next[e] = engine::kNever;  // until this instance ends
                sf.start(t, network::TrafficClass::EpDispatch, instance[e], e);
                if (left[e] % 4 == 0) {
                    const int from = static_cast<int>(e) * kGroup + left[e] % kGroup;
                    const network::FlowPart send{{{from, (from + kGroup) % 2048}}, 0.0015};
                    sf.start(t, network::TrafficClass::Pp, std::span<const network::FlowPart>(&send, 1), kGroups + e);
                }
            }
            sf.settle(t);
        }
        flows = sf.flows_started();
        step_s = static_cast<double>(now) / 1e12;
        const double kept_s = step_s;  // a copy: DoNotOptimize(double&) can clobber it under GCC
        benchmark::DoNotOptimize(kept_s);
    }
    state.counters["flows"] = static_cast<double>(flows);
    state.counters["simulated_s"] = step_s;
    state.counters["flows/s"] = benchmark::Counter(static_cast<double>(flows), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["peak_rss_MB"] = peak_rss_bytes() / 1e6;
    std::printf("%s: %lld flows, %.9f simulated s\n", spec.kind == hw::TopologyKind::FatTree ? "fat-tree" : "rail-optimized",
                static_cast<long long>(flows), step_s);
}

void BM_StepFlowsEpGroups2048(benchmark::State& state) { run_step_flows(state, rail_optimized(2048)); }
BENCHMARK(BM_StepFlowsEpGroups2048)->Arg(64)->Iterations(1)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_StepFlowsEpGroups2048FatTree(benchmark::State& state) {
    hw::TopologySpec spec = rail_optimized(2048);
    spec.kind = hw::TopologyKind::FatTree;
    spec.oversubscription = 2.0;
    run_step_flows(state, spec);
}
BENCHMARK(BM_StepFlowsEpGroups2048FatTree)->Arg(64)->Iterations(1)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

// A 2,048-GPU rail-optimized topology (256 nodes, 64 leaves, 32 spines) with every
// destination's distance table, and one route per ordered pair walked from GPU 0.
void BM_Topology2048(benchmark::State& state) {
    double bytes = 0, rss = 0;
    std::size_t hops = 0;
    for (auto _ : state) {
        const double rss0 = rss_bytes();
        const hw::Topology topo(rail_optimized(2048));
        topo.precompute_routes();
        for (int d = 1; d < topo.gpus(); ++d) hops += topo.route(0, d).size();
        bytes = static_cast<double>(topo.memory_bytes());
        rss = rss_bytes() - rss0;
        benchmark::DoNotOptimize(hops);
    }
    state.counters["topology_bytes"] = bytes;
    state.counters["rss_growth_bytes"] = rss;
    std::printf("2048-GPU topology with routes: %.1f MB estimated, %.1f MB resident growth (target < 200 MB)\n",
                bytes / 1e6, rss / 1e6);
}
BENCHMARK(BM_Topology2048)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
