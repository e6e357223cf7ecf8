// The serving simulation on hand-computable cases: a fake cost model (fake_costs.h) whose
// iteration times are linear in the loads, and traces of a few requests whose timelines can
// be worked out on paper (the expected values are derived in the comments).
#include <catch2/catch.hpp>

#include <algorithm>

#include "run_moesim.h"
#include "fake_costs.h"
#include "moesim/common/error.h"
#include "moesim/inference/serving_sim.h"

using namespace moesim;
using inference::GroupLoad;
using inference::simulate_serving;

using test::same;

TEST_CASE("serving: one request, TTFT and TPOT by hand", "[inference]") {
    test::TempDir tmp;
    auto s = test::trace_scenario(tmp.path(), "arrival_s,input_tokens,output_tokens,cached_tokens\n0.5,1000,5,0\n", 10);
    test::FakeCosts costs;
    costs.transfer_s = 0.001;
    const auto run = simulate_serving(s, costs, test::keep_requests());
    // Prefill: 0.010 + 1000 x 1e-5 = 0.020 s, so the first token at 0.520 s. KV transfer 1 ms,
    // then 4 decode steps of 5 ms: the last token at 0.541 s. TPOT = 21 ms / 4.
    REQUIRE(run.result.requests_completed == 1);
    CHECK(run.result.ttft_ms.p50 == Approx(20.0).margin(1e-9));
    CHECK(run.result.ttft_ms.p99 == Approx(20.0).margin(1e-9));
    CHECK(run.result.tpot_ms.p50 == Approx(5.25).margin(1e-9));
    CHECK(run.result.tpot_ms.p99 == Approx(5.25).margin(1e-9));
    REQUIRE(run.requests.size() == 1);
    CHECK(run.requests[0].first_token_s == Approx(0.520).margin(1e-12));
    CHECK(run.requests[0].finish_s == Approx(0.541).margin(1e-12));
    CHECK(run.stats.prefill_iterations == 1);
    CHECK(run.stats.decode_iterations == 4);
    CHECK(run.result.fidelity == "event");
}

TEST_CASE("serving: a long prompt is chunked — cached tokens are context, not computed", "[inference]") {
    test::TempDir tmp;
    auto s = test::trace_scenario(tmp.path(), "0,10000,3,5000\n", 10);
    test::FakeCosts costs;
    costs.cost[0] = {0.010, 1e-5, 1e-6};
    costs.cost[1] = {0.005, 0, 1e-7};
    costs.transfer_s = 0.001;
    const auto run = simulate_serving(s, costs, test::keep_requests());
    // 5000 tokens to compute, 4096 per iteration: chunks of 4096 (context: the 5000 cached)
    // and 904 (context 9096). 0.010 + 0.04096 + 0.005 = 0.05596 s and
    // 0.010 + 0.00904 + 0.009096 = 0.028136 s: TTFT 84.096 ms. Each iteration is priced a
    // second time without the cached context, for the cache-hit share of its cost.
    const auto& calls = costs.calls;
    REQUIRE(calls.size() >= 4);
    CHECK(same(calls[0].loads[0], {1, 4096, 5000}));
    CHECK(same(calls[1].loads[0], {1, 4096, 0}));
    CHECK(same(calls[2].loads[0], {1, 904, 9096}));
    CHECK(same(calls[3].loads[0], {1, 904, 4096}));
    CHECK(run.result.ttft_ms.p50 == Approx(84.096).margin(1e-9));
    // Decode makes 2 tokens: steps at context 10000 then 10001 (0.006 and 0.0060001 s), after
    // a 1 ms transfer: TPOT = 13.0001 ms / 2.
    const auto decode = costs.decode_loads();
    REQUIRE(decode.size() == 2);
    CHECK(same(decode[0][0], {1, 1, 10000}));
    CHECK(same(decode[1][0], {1, 1, 10001}));
    CHECK(run.result.tpot_ms.p50 == Approx(6.50005).margin(1e-9));
    CHECK(run.stats.total_tokens_computed == 5000);
    CHECK(run.stats.total_tokens_cached == 5000);
}

TEST_CASE("serving: a fully cached prompt still computes its last token", "[inference]") {
    test::TempDir tmp;
    auto s = test::trace_scenario(tmp.path(), "0,100,2,100\n", 10);
    test::FakeCosts costs;
    const auto run = simulate_serving(s, costs);
    CHECK(same(costs.calls.at(0).loads[0], {1, 1, 99}));
    CHECK(run.stats.total_tokens_cached == 99);
    CHECK(run.stats.total_tokens_computed == 1);
}

TEST_CASE("serving: MTP emits floor(K t) tokens after K steps, the last step capped", "[inference]") {
    test::TempDir tmp;
    auto s = test::serving_scenario();
    s.inference.decode.mtp = {1, 0.85};
    test::FakeCosts costs;
    costs.tokens_per_step = 1.85;  // 1 + 0.85

    SECTION("38 output tokens: 37 from decode, floor(20 x 1.85) = 37 > floor(19 x 1.85) = 35") {
        test::use_trace(s, tmp.path(), "0,100,38,0\n", 10);
        const auto run = simulate_serving(s, costs);
        const auto decode = costs.decode_loads();
        CHECK(decode.size() == 20);
        CHECK(run.stats.total_tokens_decoded == 37);
        // Each step computes the last token and one draft; the context grows by what was
        // emitted: floor(k x 1.85) after k steps.
        for (std::size_t k = 0; k < decode.size(); ++k) {
            INFO("step " << k);
            CHECK(decode[k][0].new_tokens == 2);
            CHECK(decode[k][0].context_tokens == 100 + static_cast<std::int64_t>(static_cast<double>(k) * 1.85 + 1e-9));
        }
        // 20 steps of 5 ms for 37 tokens.
        CHECK(run.result.tpot_ms.p50 == Approx(100.0 / 37).margin(1e-9));
    }
    SECTION("3 output tokens: 2 from decode; the second step's extra token is not emitted") {
        test::use_trace(s, tmp.path(), "0,100,3,0\n", 10);
        const auto run = simulate_serving(s, costs);
        CHECK(costs.decode_loads().size() == 2);
        CHECK(run.stats.total_tokens_decoded == 2);
    }
}

TEST_CASE("serving: decode admission never exceeds the KV capacity — a tight one serialises", "[inference]") {
    test::TempDir tmp;
    auto s = test::serving_scenario();
    std::string rows;
    for (int i = 0; i < 6; ++i) rows += "0,400,100,0\n";  // each reserves 500 tokens
    test::use_trace(s, tmp.path(), rows, 10);
    test::FakeCosts costs;

    SECTION("room for two") {
        costs.kv_capacity[1] = 1000;
        const auto run = simulate_serving(s, costs);
        std::int64_t most = 0;
        for (const auto& loads : costs.decode_loads()) {
            CHECK(loads[0].context_tokens <= 1000);
            most = std::max(most, loads[0].sequences);
        }
        CHECK(most == 2);
        CHECK(run.result.requests_completed == 6);
    }
    SECTION("room for one: requests decode one after the other") {
        costs.kv_capacity[1] = 999;
        const auto run = simulate_serving(s, costs, test::keep_requests());
        for (const auto& loads : costs.decode_loads()) CHECK(loads[0].sequences == 1);
        CHECK(costs.decode_loads().size() == 6 * 99);
        std::vector<double> finish;
        for (const auto& r : run.requests) finish.push_back(r.finish_s);
        std::sort(finish.begin(), finish.end());
        for (std::size_t i = 1; i < finish.size(); ++i) CHECK(finish[i] - finish[i - 1] >= 99 * 0.005 - 1e-12);
        CHECK(run.result.kv_cache_utilization > 0);
        CHECK(run.result.kv_cache_utilization <= 1);
    }
    SECTION("max_sequences_per_group bounds the batch") {
        costs.max_sequences[1] = 3;
        simulate_serving(s, costs);
        std::int64_t most = 0;
        for (const auto& loads : costs.decode_loads()) most = std::max(most, loads[0].sequences);
        CHECK(most == 3);
    }
}

TEST_CASE("serving: a request larger than a group's KV cache is rejected, the rest served", "[inference]") {
    test::TempDir tmp;
    auto s = test::trace_scenario(tmp.path(), "0,100,10,0\n0.1,2000,10,0\n0.2,100,1,0\n", 10);
    test::FakeCosts costs;
    costs.kv_capacity[1] = 1000;
    const auto run = simulate_serving(s, costs, test::keep_requests());
    CHECK(run.stats.requests_rejected == 1);
    CHECK(run.requests[1].rejected);
    CHECK(run.result.requests_completed == 2);
    // One output token: done by prefill, no TPOT.
    CHECK(run.requests[2].finish_s == run.requests[2].first_token_s);
}

TEST_CASE("serving: colocated instances prefill first, pausing decode", "[inference]") {
    test::TempDir tmp;
    auto s = test::serving_scenario();
    s.inference.deployment = workload::Deployment::Colocated;
    // A decodes from 0.020; B arrives at 0.030 and is prefilled in [0.030, 0.050] while A
    // waits; A's third step runs alone (B's KV joins at that boundary), the fourth with B.
    // A: TTFT 20 ms, last token 0.060: TPOT 40 ms / 4. B: TTFT 20 ms, one decode step at 0.060.
    test::use_trace(s, tmp.path(), "0,1000,5,0\n0.030,1000,2,0\n", 10);
    test::FakeCosts costs;
    const auto run = simulate_serving(s, costs, test::keep_requests());
    REQUIRE(run.requests.size() == 2);
    CHECK(run.requests[0].finish_s == Approx(0.060).margin(1e-12));
    CHECK(run.requests[1].first_token_s == Approx(0.050).margin(1e-12));
    CHECK(run.requests[1].finish_s == Approx(0.060).margin(1e-12));
    CHECK(run.result.ttft_ms.p99 == Approx(20).margin(1e-9));
    CHECK(run.result.tpot_ms.p50 == Approx(10).margin(1e-9));
    CHECK(run.result.tpot_ms.p99 == Approx(10).margin(1e-9));

    SECTION("pools of different shapes cannot share instances") {
        costs.groups[0] = 2;
        CHECK_THROWS_WITH(simulate_serving(s, costs), Catch::Contains("/inference/prefill") &&
                                                          Catch::Contains("colocated") &&
                                                          Catch::Contains("attention groups"));
    }
}

TEST_CASE("serving: no room for a KV cache is the user's error", "[inference]") {
    auto s = test::serving_scenario();
    test::FakeCosts costs;
    costs.kv_capacity[1] = 0;
    CHECK_THROWS_AS(simulate_serving(s, costs), ScenarioError);
    CHECK_THROWS_WITH(simulate_serving(s, costs), Catch::Contains("fake.json: /inference/decode"));
}

TEST_CASE("serving: balancer none batches up to max_batch_tokens per instance, a strict share per group", "[inference]") {
    test::TempDir tmp;
    auto s = test::serving_scenario();
    s.inference.prefill.balancer = workload::PrefillBalancer::None;
    // The first prompt starts alone on the idle instance; eight more queue behind it.
    std::string rows = "0,1000,2,0\n";
    for (int i = 0; i < 8; ++i) rows += "0.001,1000,2,0\n";
    test::use_trace(s, tmp.path(), rows, 10);
    test::FakeCosts costs;
    costs.groups[0] = 2;
    costs.batch_tokens = 4000;  // 2000 per group: two prompts each
    simulate_serving(s, costs);
    const auto prefill = costs.prefill_loads();
    REQUIRE(prefill.size() == 3);
    CHECK(same(prefill[0][0], {1, 1000, 0}));
    CHECK(same(prefill[0][1], {0, 0, 0}));
    for (int i : {1, 2})
        for (const auto& l : prefill[static_cast<std::size_t>(i)]) CHECK(same(l, {2, 2000, 0}));
}

TEST_CASE("serving: requests unfinished at the stop count with what they had got by then", "[inference]") {
    test::TempDir tmp;
    auto s = test::serving_scenario();
    test::FakeCosts costs;
    SECTION("decoding: TPOT so far") {
        // First token at 0.520 s; 999 decode tokens would take 4.995 s, the stop is at 2 x 1 s.
        test::use_trace(s, tmp.path(), "0.5,1000,1000,0\n", 1);
        const auto run = simulate_serving(s, costs);
        CHECK(run.stats.requests_unfinished == 1);
        CHECK(run.result.requests_completed == 0);
        CHECK(run.stats.end_s == Approx(2.0));
        CHECK(run.result.ttft_ms.p99 == Approx(20).margin(1e-9));
        CHECK(run.result.tpot_ms.p99 == Approx(1480.0 / 999).margin(1e-9));
    }
    SECTION("waiting for its first token: the wait so far") {
        costs.cost[0].fixed_s = 5;
        test::use_trace(s, tmp.path(), "0.5,1000,10,0\n", 1);
        const auto run = simulate_serving(s, costs);
        CHECK(run.stats.requests_unfinished == 1);
        CHECK(run.result.ttft_ms.p99 == Approx(1500).margin(1e-9));
        CHECK(run.result.tpot_ms.p99 == 0);
    }
}
