// The event-driven training step: the full DeepSeek-V3 pre-training step (one pipeline of 16
// ranks × 120 micro-batches under DualPipe; the 128 data-parallel replicas are identical
// under uniform MoE load, so one pipeline stands for all), and how the wall time grows with
// micro-batches and pipeline ranks (idealized schedule, same graph builder and engine).
#include <benchmark/benchmark.h>

#include <string>

#include "moesim/training/event_sim.h"
#include "moesim/training/setup.h"
#include "moesim/workload/scenario.h"

namespace {

using namespace moesim;

const std::string kV3 = std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-v3-pretrain.json";

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
