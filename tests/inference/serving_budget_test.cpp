// The serving simulation's decode-iteration budget (scenario_ranges.h, serving_deployment.cpp):
// refused before the run with the estimate, at /inference/traffic/duration_s. Expected values
// come from the fake costs' single-sequence decode iteration (fake_costs.h).
#include <catch2/catch.hpp>

#include "fake_costs.h"
#include "moesim/common/error.h"
#include "moesim/inference/serving_sim.h"
#include "moesim/workload/scenario_ranges.h"
#include "run_moesim.h"  // TempDir

using namespace moesim;
using inference::simulate_serving;

TEST_CASE("serving: decode iterations over the budget are refused with the estimate", "[inference][ranges]") {
    test::TempDir tmp;
    auto s = test::trace_scenario(tmp.path(), "0,100,5,0\n", 10);  // a trace: only the time bound applies
    test::FakeCosts costs;
    costs.cost[1] = {0.005, 0, 0};
    // 1 decode instance x 2 x duration_s / 5 ms: the budget is reached at duration_s = budget x 2.5 ms.
    const double at_budget_s = workload::kMaxDecodeIterations * 0.005 / 2;
    s.inference.traffic.duration_s = at_budget_s * 1.2;
    try {
        (void)simulate_serving(s, costs);
        FAIL("over the budget, not refused");
    } catch (const ScenarioError& e) {
        CHECK(e.json_path() == "/inference/traffic/duration_s");
        CHECK_THAT(e.message(), Catch::Contains("about 1.2e+07 decode iterations") &&
                                    Catch::Contains("1 x 2 x 3e+04 s / 5 ms") && Catch::Contains("budget of 1e+07"));
    }
    // Two decode instances double the estimate.
    s.inference.traffic.duration_s = at_budget_s * 0.6;
    s.inference.decode.instances = 2;
    s.cluster.nodes = 3;
    CHECK_THROWS_WITH(simulate_serving(s, costs), Catch::Contains("about 1.2e+07 decode iterations"));
    // Inside the budget it runs: the one request is served.
    s.inference.decode.instances = 1;
    s.inference.traffic.duration_s = at_budget_s * 0.9;
    CHECK(simulate_serving(s, costs).stats.total_completed == 1);
}

TEST_CASE("serving: sparse Poisson traffic is bounded by its output tokens, not refused", "[inference][ranges]") {
    auto s = test::serving_scenario();
    test::FakeCosts costs;
    // 1e-3 requests/s for 1e6 s: the time bound is 2e6 s / 5 ms = 4e8 iterations, but the
    // ~2000 requests to the stop emit 5 tokens each, at most 1e4 iterations.
    s.inference.traffic.requests_per_s = 1e-3;
    s.inference.traffic.duration_s = 1e6;
    const auto run = simulate_serving(s, costs);
    CHECK(run.stats.total_completed > 500);
    CHECK(static_cast<double>(run.stats.decode_iterations) <= 1e-3 * 2e6 * 5);
    // The same traffic 10^4 times denser is over the budget by its tokens: 10 x 2e6 x 5 = 1e8.
    s.inference.traffic.requests_per_s = 10;
    CHECK_THROWS_WITH(simulate_serving(s, costs), Catch::Contains("about 1e+08 decode iterations") &&
                                                      Catch::Contains("10 x 2 x 1e+06 x 5 = 1e+08"));
}
