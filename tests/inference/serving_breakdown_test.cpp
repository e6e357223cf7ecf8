// The serving breakdown (ServingStats' prefill/decode_breakdown, InferenceResult::breakdown)
// and "busy" (the instances had work) on the fake cost model, whose iterations split into
// known shares (fake_costs.h).
#include <catch2/catch.hpp>

#include <string>

#include "fake_costs.h"
#include "moesim/inference/serving_sim.h"
#include "run_moesim.h"

using namespace moesim;
using inference::simulate_serving;

namespace {

double entry(const inference::InferenceResult& r, const std::string& pool, const std::string& category, bool share) {
    for (const auto& e : r.breakdown)
        if (e.pool == pool && e.category == category) return share ? e.share : e.seconds;
    FAIL("no breakdown entry " << pool << "/" << category);
    return 0;
}

}  // namespace

TEST_CASE("serving breakdown: the tally returns the shares each iteration was priced with", "[inference]") {
    auto s = test::serving_scenario();
    s.inference.traffic.requests_per_s = 20;
    test::FakeCosts costs;
    costs.transfer_s = 0.002;
    costs.shares[0] = {0.4, 0.3, 0.1};
    costs.shares[1] = {0.2, 0.5, 0.25};
    const auto run = simulate_serving(s, costs);
    const auto& st = run.stats;
    const auto& r = run.result;
    REQUIRE(st.prefill_breakdown.iterations > 0);
    REQUIRE(st.decode_breakdown.iterations > 0);
    CHECK(entry(r, "prefill", "attention", true) == Approx(0.4));
    CHECK(entry(r, "prefill", "moe_gemm", true) == Approx(0.3));
    CHECK(entry(r, "prefill", "ep_comm_exposed", true) == Approx(0.1));
    CHECK(entry(r, "prefill", "other", true) == Approx(0.2));
    CHECK(entry(r, "prefill", "ep_comm", true) == Approx(0.2));  // both streams' comm, not in the sum
    CHECK(entry(r, "decode", "attention", true) == Approx(0.2));
    CHECK(entry(r, "decode", "moe_gemm", true) == Approx(0.5));
    CHECK(entry(r, "decode", "ep_comm_exposed", true) == Approx(0.25));
    CHECK(entry(r, "kv_transfer", "kv_transfer", false) == Approx(0.002));
    CHECK(st.kv_transfers > 0);
    // The iterations tallied are the time an iteration ran in the window (iterating), the
    // decode iteration of the fake model is its fixed 5 ms.
    const double window_s = st.window_end_s - st.window_start_s;
    CHECK(st.prefill_breakdown.iteration_s == Approx(st.prefill_iterating_fraction * window_s).epsilon(1e-3));
    CHECK(st.decode_breakdown.iteration_s == Approx(st.decode_iterating_fraction * window_s).epsilon(1e-3));
    CHECK(entry(r, "decode", "attention", false) == Approx(0.2 * 0.005));
    // Prefill: 10 ms + 10 µs per token of 1000-token prompts.
    CHECK(entry(r, "prefill", "attention", false) >= 0.4 * 0.020 * (1 - 1e-9));
}

TEST_CASE("serving busy: the time an instance had work, not only the time it iterated", "[inference]") {
    auto s = test::serving_scenario();
    s.inference.traffic.requests_per_s = 20;
    test::FakeCosts costs;
    // Decode holds 2 sequences: prompts wait on the prefill groups' KV (room for 3 prompts),
    // and then in the prefill queue, while the prefill instance has nothing it can compute.
    costs.max_sequences[1] = 2;
    costs.kv_capacity[0] = 3000;
    costs.cost[1] = {0.050, 0, 0};
    const auto run = simulate_serving(s, costs);
    const auto& st = run.stats;
    CHECK(st.prefill_busy_fraction > st.prefill_iterating_fraction + 0.5);
    CHECK(st.prefill_busy_fraction == Approx(1.0).margin(0.01));  // always work queued
    CHECK(st.decode_busy_fraction >= st.decode_iterating_fraction);
    // Light traffic: the instances are idle between requests, busy only while they iterate.
    auto light = test::serving_scenario();
    light.inference.traffic.requests_per_s = 0.5;
    test::FakeCosts fast;
    const auto idle = simulate_serving(light, fast);
    CHECK(idle.stats.prefill_busy_fraction == Approx(idle.stats.prefill_iterating_fraction).epsilon(1e-6));
    CHECK(idle.stats.decode_busy_fraction == Approx(idle.stats.decode_iterating_fraction).epsilon(1e-6));
    CHECK(idle.stats.prefill_busy_fraction < 0.1);
}
