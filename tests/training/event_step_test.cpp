// The event-driven step on the bundled DeepSeek-V3 scenario: same result fields as the
// analytic mode, a breakdown that adds up to the step, deterministic.
#include <catch2/catch.hpp>

#include <string>

#include "moesim/training/setup.h"
#include "moesim/training/simulate.h"
#include "moesim/workload/scenario.h"

using namespace moesim;

TEST_CASE("event step: DeepSeek-V3 DualPipe, 16 ranks x 120 micro-batches", "[training]") {
    const auto scenario = workload::load_scenario(std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-v3-pretrain.json");
    const auto setup = training::prepare_training(scenario);
    const training::TrainingRun run = training::simulate_training(*setup, training::Fidelity::Event);
    const training::TrainingResult& r = run.result;
    CHECK(r.fidelity == "event");
    double sum = 0;
    for (const auto& b : r.breakdown) sum += b.seconds;
    CHECK(sum == Approx(r.step_time_s).epsilon(1e-9));
    CHECK(r.bubble_fraction > 0);
    CHECK(r.bubble_fraction < 0.2);
    const training::TrainingResult a = training::simulate_training(*setup, training::Fidelity::Analytic).result;
    WARN("DeepSeek-V3 event: step " << r.step_time_s << " s (analytic " << a.step_time_s << " s), bubble "
                                    << r.bubble_fraction << ", " << r.gpu_hours / 14.8 << " GPU-hours per trillion tokens");
    // The event mode adds what the closed form leaves out (chunks outside overlapped pairs
    // expose their all-to-all; the bubble as scheduled, not by formula) but prices the same
    // operations. No bound follows from the model; measured +0.39% (17.975 vs 17.905 s) until
    // the pairs ran their weight gradients on a side stream (pair_order.h), which shortens every
    // pair: the closed form counts all 120 micro-batches as pairs, the event mode only those
    // between its warm-up and cool-down chunks (which expose their all-to-alls), so the two now
    // differ by +4.1% (16.394 vs 15.753 s); 5% keeps them from drifting further apart.
    // tests/golden pins each figure exactly.
    CHECK(r.step_time_s == Approx(a.step_time_s).epsilon(0.05));
    CHECK(r.step_time_s >= run.makespan_ps * 1e-12);
    CHECK(training::simulate_training(*setup, training::Fidelity::Event).result == r);  // deterministic
}

TEST_CASE("event step: every schedule runs on a small layout", "[training]") {
    auto scenario = workload::load_scenario(std::string(MOESIM_SOURCE_DIR) + "/scenarios/deepseek-v3-pretrain.json",
                                            {"/cluster/nodes=4", "/parallelism/pp=4", "/parallelism/dp=8",
                                             "/parallelism/ep=8", "/training/global_batch_size=64"});
    for (auto sched : {workload::Schedule::GPipe, workload::Schedule::OneFOneB, workload::Schedule::ZB1P,
                       workload::Schedule::DualPipe, workload::Schedule::DualPipeV}) {
        scenario.parallelism.schedule = sched;
        const auto setup = training::prepare_training(scenario, true);
        const training::TrainingRun run = training::simulate_training(*setup, training::Fidelity::Event, {{0, 1, 2, 3}});
        INFO(to_string(sched));
        double sum = 0;
        for (const auto& b : run.result.breakdown) sum += b.seconds;
        CHECK(sum == Approx(run.result.step_time_s).epsilon(1e-9));
        CHECK(!run.timeline.empty());
        for (const auto& e : run.timeline) CHECK(e.end_ps <= run.makespan_ps);
    }
}
