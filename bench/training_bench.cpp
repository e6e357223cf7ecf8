// The training step simulations.
//  * Full simulation (--fidelity full, full_sim.h): the DeepSeek-V3 pre-training step with all
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

#include <string>
#include <vector>

#include "moesim/training/event_sim.h"
#include "moesim/training/full_sim.h"
#include "moesim/training/setup.h"
#include "moesim/workload/scenario.h"

namespace {

using namespace moesim;

const std::string kV3 = std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-v3-pretrain.json";

double peak_rss_GiB() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) * 1024.0 / (1024.0 * 1024.0 * 1024.0);  // ru_maxrss: KiB on Linux
}

// benchmark::DoNotOptimize(double&) can clobber the double under GCC (its "+m,r" constraint):
// pass a copy.
void keep(const training::FullRun& run) {
    const double step = run.result.step_time_s;
    benchmark::DoNotOptimize(step);
}

void full_counters(benchmark::State& state, const training::TrainingSetup& setup, const training::FullRun& run) {
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

// All 2,048 GPUs, no shortcut: the performance target.
void BM_DeepSeekV3StepFull(benchmark::State& state) {
    const auto setup = training::prepare_training(workload::load_scenario(kV3));
    training::FullRun run;
    for (auto _ : state) {
        run = training::run_step_full(*setup);
        keep(run);
    }
    full_counters(state, *setup, run);
}
BENCHMARK(BM_DeepSeekV3StepFull)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// The symmetry shortcut: the first EP group of each pipeline rank stands for both.
void BM_DeepSeekV3StepFullOneEpGroup(benchmark::State& state) {
    const auto setup = training::prepare_training(workload::load_scenario(kV3));
    training::FullOptions o;
    o.one_ep_group = true;
    training::FullRun run;
    for (auto _ : state) {
        run = training::run_step_full(*setup, o);
        keep(run);
    }
    full_counters(state, *setup, run);
}
BENCHMARK(BM_DeepSeekV3StepFullOneEpGroup)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

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
    training::FullRun run;
    for (auto _ : state) {
        run = training::run_step_full(*setup);
        keep(run);
    }
    full_counters(state, *setup, run);
}
BENCHMARK(BM_FullScaling)
    ->Args({8, 120})->Args({32, 120})->Args({128, 120})
    ->Args({128, 32})->Args({128, 240})->Args({128, 480})
    ->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

void BM_DeepSeekV3StepEvent(benchmark::State& state) {
    const auto scenario = workload::load_scenario(kV3);
    const auto setup = training::prepare_training(scenario);
    for (auto _ : state) benchmark::DoNotOptimize(training::simulate_step_event(*setup).step_time_s);
    state.counters["step_s"] = training::simulate_step_event(*setup).step_time_s;
    state.counters["micro_batches"] = static_cast<double>(setup->micro_batches);
}
BENCHMARK(BM_DeepSeekV3StepEvent)->Unit(benchmark::kMillisecond);

// Setup included: load, resolve, stage costs, schedule, graph, run.
void BM_DeepSeekV3StepEventWithSetup(benchmark::State& state) {
    for (auto _ : state) {
        const auto scenario = workload::load_scenario(kV3);
        const auto setup = training::prepare_training(scenario);
        benchmark::DoNotOptimize(training::simulate_step_event(*setup).step_time_s);
    }
}
BENCHMARK(BM_DeepSeekV3StepEventWithSetup)->Unit(benchmark::kMillisecond);

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
