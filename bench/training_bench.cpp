// The training step simulations.
//  * Full simulation (--fidelity full, simulate.h): the DeepSeek-V3 pre-training step with all
//    2,048 GPUs (PP16 x DP128, EP64, DualPipe, 120 micro-batches per pipeline), every layer of
//    every micro-batch as activities, no symmetry shortcut (target: <= 3 s wall, <= 2 GiB);
//    the same with the shortcut; how time and memory grow with DP (GPUs) and micro-batches.
//    Peak RSS is the process's (getrusage): run one benchmark per process to read its own,
//    e.g. --benchmark_filter='BM_DeepSeekV3StepFull$'.
//  * One-replica event mode (--fidelity event): one pipeline of 16 ranks x 120 micro-batches
//    (the 128 data-parallel replicas taken as identical), and how its wall time grows with
//    micro-batches and pipeline ranks (idealized schedule, same graph builder and engine).
// The machine is shared: CPU time is printed beside wall time.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "moesim/hw/costs.h"
#include "moesim/hw/topology.h"
#include "moesim/network/deepep.h"
#include "moesim/network/network.h"
#include "moesim/training/schedule_ideal.h"
#include "moesim/training/setup.h"
#include "moesim/training/simulate.h"
#include "moesim/workload/scenario.h"

namespace {

using namespace moesim;

const std::string kV3 = std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-v3-pretrain.json";

double thread_cpu_s() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double peak_rss_GiB() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) * 1024.0 / (1024.0 * 1024.0 * 1024.0);  // ru_maxrss: KiB on Linux
}

// benchmark::DoNotOptimize(double&) can clobber the double under GCC (its "+m,r" constraint):
// pass a copy.
void keep(const training::TrainingRun& run) {
    const double step = run.result.step_time_s;
    benchmark::DoNotOptimize(step);
}

void full_counters(benchmark::State& state, const training::TrainingSetup& setup, const training::TrainingRun& run) {
    state.counters["step_s"] = run.result.step_time_s;
    state.counters["gpus"] = static_cast<double>(setup.scenario.cluster.gpus());
    state.counters["ranks_simulated"] = static_cast<double>(run.stats.ranks_simulated);
    state.counters["micro_batches"] = static_cast<double>(setup.micro_batches);
    state.counters["activities"] = static_cast<double>(run.stats.activities);
    state.counters["collectives"] = static_cast<double>(run.stats.collectives);
    state.counters["activities_per_s"] =
        benchmark::Counter(static_cast<double>(run.stats.activities) * static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate);
    state.counters["state_MiB"] = static_cast<double>(run.stats.state_bytes) / (1024.0 * 1024.0);
    state.counters["peak_rss_GiB"] = peak_rss_GiB();
}

// Times full steps of `setup` with `options` and sets the counters; returns the last run.
training::TrainingRun time_full(benchmark::State& state, const training::TrainingSetup& setup,
                                const training::StepOptions& options = {}) {
    training::TrainingRun run;
    for (auto _ : state) {
        run = training::simulate_training(setup, training::Fidelity::Full, options);
        keep(run);
    }
    full_counters(state, setup, run);
    return run;
}

// All 2,048 GPUs, no shortcut: the performance target.
void BM_DeepSeekV3StepFull(benchmark::State& state) {
    const auto setup = training::prepare_training(workload::load_scenario(kV3));
    time_full(state, *setup);
}
BENCHMARK(BM_DeepSeekV3StepFull)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// The symmetry shortcut: the first EP group of each pipeline rank stands for both.
void BM_DeepSeekV3StepFullOneEpGroup(benchmark::State& state) {
    const auto setup = training::prepare_training(workload::load_scenario(kV3));
    training::StepOptions o;
    o.one_ep_group = true;
    time_full(state, *setup, o);
}
BENCHMARK(BM_DeepSeekV3StepFullOneEpGroup)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// What flow-level networking would cost for the all-to-alls: V3's dispatch and combine of one
// EP group (64 GPUs on 8 rail-optimized nodes, 4,096 tokens per GPU, the scenario's routing
// shape) as flows on the engine (network::simulate_deepep, ~1,000 flows each), timed here;
// the full simulation runs `collectives` of them per step (every EP group's dispatch and
// combine of every layer and micro-batch, forward and backward), so flows for all of them
// would take about collectives x the mean of the two. Counters: wall ms per dispatch and per
// combine, the simulated times (flows vs closed form), the extrapolated seconds per step
// (wall and this thread's CPU).
void BM_DeepSeekV3EpGroupAllToAllFlows(benchmark::State& state) {
    const auto setup = training::prepare_training(workload::load_scenario(kV3));
    const auto& sc = setup->scenario;
    const auto& cfg = setup->model.model;
    const std::int64_t collectives = training::simulate_training(*setup, training::Fidelity::Full).stats.collectives;
    hw::TopologySpec ts;
    ts.nodes = sc.parallelism.ep / sc.cluster.gpus_per_node;
    ts.gpus_per_node = sc.cluster.gpus_per_node;
    ts.nics_per_node = sc.cluster.network.nics_per_node;
    ts.nic_Gbps = sc.cluster.network.nic_Gbps;
    ts.nvlink_GBps = setup->gpu.nvlink_GBps;
    const hw::Topology topo(ts);
    hw::DeepEpShape shape;
    shape.tokens = static_cast<double>(sc.parallelism.micro_batch_size) * sc.training.seq_len / sc.parallelism.tp;
    shape.hidden = static_cast<int>(cfg.hidden_size);
    shape.top_k = static_cast<int>(cfg.experts_per_token);
    shape.max_nodes_per_token = sc.training.moe.max_nodes_per_token;
    shape.num_experts = static_cast<int>(cfg.n_routed_experts);
    const std::vector<int> ep_group = setup->ranks.ep_group(0);
    double wall_s[2] = {0, 0}, cpu_s[2] = {0, 0}, flows_s[2] = {0, 0};
    std::size_t flows = 0;
    for (auto _ : state) {
        int i = 0;
        for (auto op : {hw::DeepEpOp::Dispatch, hw::DeepEpOp::Combine}) {
            const auto t0 = std::chrono::steady_clock::now();
            const double c0 = thread_cpu_s();
            const auto run = network::simulate_deepep(topo, setup->profile, {op, hw::DeepEpMode::Normal, shape, ep_group});
            cpu_s[i] += thread_cpu_s() - c0;
            wall_s[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            flows_s[i] = run.time_s;
            flows = run.flows;
            ++i;
        }
    }
    const double n = static_cast<double>(state.iterations());
    const hw::EpGroup group = network::ep_group(topo.spec(), ep_group);
    state.counters["flows"] = static_cast<double>(flows);
    state.counters["dispatch_wall_ms"] = wall_s[0] / n * 1e3;
    state.counters["combine_wall_ms"] = wall_s[1] / n * 1e3;
    state.counters["dispatch_sim_us_flows"] = flows_s[0] * 1e6;
    state.counters["dispatch_sim_us_closed"] =
        hw::deepep_time_s(hw::DeepEpOp::Dispatch, hw::DeepEpMode::Normal, shape, group, setup->profile) * 1e6;
    state.counters["combine_sim_us_flows"] = flows_s[1] * 1e6;
    state.counters["combine_sim_us_closed"] =
        hw::deepep_time_s(hw::DeepEpOp::Combine, hw::DeepEpMode::Normal, shape, group, setup->profile) * 1e6;
    state.counters["collectives_per_step"] = static_cast<double>(collectives);
    state.counters["all_flows_wall_s_per_step"] = static_cast<double>(collectives) * (wall_s[0] + wall_s[1]) / (2 * n);
    state.counters["all_flows_cpu_s_per_step"] = static_cast<double>(collectives) * (cpu_s[0] + cpu_s[1]) / (2 * n);
}
BENCHMARK(BM_DeepSeekV3EpGroupAllToAllFlows)->Unit(benchmark::kMillisecond)->UseRealTime();

// Growth with GPUs and micro-batches: V3's layout with DP = range(0) (EP min(64, DP), nodes
// 2·DP) and range(1) micro-batches per pipeline. Setup (routing draws) not timed.
void BM_FullScaling(benchmark::State& state) {
    const int dp = static_cast<int>(state.range(0));
    const int m = static_cast<int>(state.range(1));
    const std::vector<std::string> sets = {"/parallelism/dp=" + std::to_string(dp),
                                           "/parallelism/ep=" + std::to_string(dp < 64 ? dp : 64),
                                           "/cluster/nodes=" + std::to_string(2 * dp),
                                           "/training/global_batch_size=" + std::to_string(dp * m)};
    const auto setup = training::prepare_training(workload::load_scenario(kV3, sets), true);
    time_full(state, *setup);
}
BENCHMARK(BM_FullScaling)
    ->Args({8, 120})->Args({32, 120})->Args({128, 120})
    ->Args({128, 32})->Args({128, 240})->Args({128, 480})
    ->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// --network flows (docs/STEP_FLOWS.md): every collective of the step as flows on the topology.
// V3's layout with DP = range(0) (EP min(64, DP), nodes 2·DP), range(1) micro-batches per
// pipeline, on the scenario's rail-optimized fabric (range(2) = 1) or a 2:1 fat-tree (2).
// Counters: the step with flows and in closed form, the flows started, per-class slowdowns.
void BM_FullFlowsScaling(benchmark::State& state) {
    const int dp = static_cast<int>(state.range(0));
    const int m = static_cast<int>(state.range(1));
    std::vector<std::string> sets = {"/parallelism/dp=" + std::to_string(dp),
                                     "/parallelism/ep=" + std::to_string(dp < 64 ? dp : 64),
                                     "/cluster/nodes=" + std::to_string(2 * dp),
                                     "/training/global_batch_size=" + std::to_string(dp * m)};
    if (state.range(2) == 2) {
        sets.push_back("/cluster/network/topology=fat-tree");
        sets.push_back("/cluster/network/oversubscription=2");
    }
    const auto setup = training::prepare_training(workload::load_scenario(kV3, sets), true);
    training::StepOptions o;
    o.network_flows = true;
    const training::TrainingRun run = time_full(state, *setup, o);
    state.counters["step_s_closed_form"] = training::simulate_training(*setup, training::Fidelity::Full).result.step_time_s;
    state.counters["flows"] = static_cast<double>(run.stats.flows);
    for (const auto& c : run.result.traffic)
        if (c.instances > 0) state.counters["x_" + c.name] = c.slowdown();
}
BENCHMARK(BM_FullFlowsScaling)
    ->Args({8, 32, 1})->Args({8, 32, 2})->Args({16, 32, 1})->Args({16, 32, 2})->Args({32, 32, 1})->Args({32, 32, 2})
    ->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime()->Iterations(1);

// The bar: the whole V3 step (2,048 GPUs) with every collective as flows.
void BM_DeepSeekV3StepFullFlows(benchmark::State& state) {
    const auto setup = training::prepare_training(workload::load_scenario(kV3));
    training::StepOptions o;
    o.network_flows = true;
    const training::TrainingRun run = time_full(state, *setup, o);
    state.counters["flows"] = static_cast<double>(run.stats.flows);
}
BENCHMARK(BM_DeepSeekV3StepFullFlows)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime()->Iterations(1);

void BM_DeepSeekV3StepEvent(benchmark::State& state) {
    const auto scenario = workload::load_scenario(kV3);
    const auto setup = training::prepare_training(scenario);
    for (auto _ : state) benchmark::DoNotOptimize(training::simulate_training(*setup, training::Fidelity::Event).result.step_time_s);
    state.counters["step_s"] = training::simulate_training(*setup, training::Fidelity::Event).result.step_time_s;
    state.counters["micro_batches"] = static_cast<double>(setup->micro_batches);
}
BENCHMARK(BM_DeepSeekV3StepEvent)->Unit(benchmark::kMillisecond);

// Setup included: load, resolve, stage costs, schedule, graph, run.
void BM_DeepSeekV3StepEventWithSetup(benchmark::State& state) {
    for (auto _ : state) {
        const auto scenario = workload::load_scenario(kV3);
        const auto setup = training::prepare_training(scenario);
        benchmark::DoNotOptimize(training::simulate_training(*setup, training::Fidelity::Event).result.step_time_s);
    }
}
BENCHMARK(BM_DeepSeekV3StepEventWithSetup)->Unit(benchmark::kMillisecond);

// One point of a `moesim sweep` at analytic fidelity: load the scenario with a point's
// overrides, prepare (model, GPU, memory), simulate. points_per_s is what one core sweeps.
void BM_SweepPointAnalyticV3(benchmark::State& state) {
    const std::vector<std::string> sets = {"/parallelism/pp=8", "/parallelism/dp=256", "/parallelism/zero_stage=2"};
    for (auto _ : state) {
        const auto scenario = workload::load_scenario(kV3, sets);
        const auto setup = training::prepare_training(scenario);
        benchmark::DoNotOptimize(training::simulate_training(*setup, training::Fidelity::Analytic).result.step_time_s);
    }
    state.counters["points_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SweepPointAnalyticV3)->Unit(benchmark::kMillisecond);

// DualPipe, idealized chunk times: args = pp, micro-batches.
void BM_DualPipeIdeal(benchmark::State& state) {
    const int pp = static_cast<int>(state.range(0));
    const int m = static_cast<int>(state.range(1));
    std::size_t ops = 0;
    for (auto _ : state) {
        const auto r = training::simulate_schedule_ideal(workload::Schedule::DualPipe, pp, m, {300, 400, 200, -1});
        ops = 0;
        for (const auto& rank : r.schedule.ranks) ops += rank.size();
        benchmark::DoNotOptimize(r.makespan_ps);
    }
    state.counters["ops"] = static_cast<double>(ops);
    state.counters["ops_per_s"] = benchmark::Counter(static_cast<double>(ops) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DualPipeIdeal)
    ->Args({16, 32})->Args({16, 120})->Args({16, 480})->Args({16, 1920})
    ->Args({4, 120})->Args({8, 120})->Args({32, 120})->Args({64, 128})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
