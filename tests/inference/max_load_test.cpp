// --find-max-load: the search brackets the SLO's edge, is deterministic, and refuses SLOs
// that no load can meet without searching.
#include <catch2/catch.hpp>

#include "run_moesim.h"
#include "fake_costs.h"
#include "moesim/common/error.h"
#include "moesim/inference/max_load.h"

using namespace moesim;
using inference::find_max_load;

namespace {

// Decode is the bottleneck: at most 8 sequences, whose steps take 5 + 8 x 0.2 = 6.6 ms, and
// 99 steps per request (100 output tokens): 8 / (99 x 6.6 ms) ≈ 12.2 requests/s at most.
workload::Scenario bounded() { return test::search_scenario(); }

test::FakeCosts bounded_costs() {
    test::FakeCosts c;
    c.max_sequences[1] = 8;
    c.cost[1] = {0.005, 2e-4, 0};  // 5 ms + 0.2 ms per sequence
    return c;
}

}  // namespace

TEST_CASE("max load: the highest rate that meets the SLO, bracketed within the tolerance", "[inference]") {
    const auto s = bounded();
    const auto costs = bounded_costs();
    const auto found = find_max_load(s, costs);
    WARN("found " << found.requests_per_s << " requests/s after " << found.probes.size() << " probes; p99 TTFT "
                  << found.run.result.ttft_ms.p99 << " ms, TPOT " << found.run.result.tpot_ms.p99 << " ms");
    CHECK(found.requests_per_s > 4);
    CHECK(found.requests_per_s < 12.25);
    CHECK(inference::meets_slo(s, found.run));
    CHECK(found.run.stats.requests_per_s == found.requests_per_s);
    // A probe just above failed, and none above the answer met the SLO.
    bool bracketed = false;
    for (const auto& p : found.probes) {
        if (p.requests_per_s > found.requests_per_s) CHECK_FALSE(p.meets);
        if (!p.meets && p.requests_per_s <= found.requests_per_s * 1.02 + 1e-12) bracketed = true;
    }
    CHECK(bracketed);
    // Deterministic.
    const auto again = find_max_load(s, costs);
    CHECK(again.requests_per_s == found.requests_per_s);
    CHECK(again.probes.size() == found.probes.size());
}

TEST_CASE("max load: starting above the edge, it halves first", "[inference]") {
    auto s = bounded();
    s.inference.traffic.requests_per_s = 64;
    const auto costs = bounded_costs();
    const auto found = find_max_load(s, costs);
    CHECK_FALSE(found.probes.front().meets);
    CHECK(found.requests_per_s > 4);
    CHECK(found.requests_per_s < 12.25);
}

TEST_CASE("max load: an SLO below what one request alone gets is refused without a search", "[inference]") {
    auto s = bounded();
    const auto costs = bounded_costs();
    SECTION("TPOT below one sequence's decode step") {
        s.inference.slo.tpot_p99_ms = 5;  // a step alone takes 5.2 ms
        CHECK_THROWS_AS(find_max_load(s, costs), ScenarioError);
        CHECK_THROWS_WITH(find_max_load(s, costs), Catch::StartsWith("fake.json: /inference/slo/tpot_p99_ms: 5 ms") &&
                                                       Catch::Contains("cannot be met at any request rate") &&
                                                       Catch::Contains("5.200 ms per output token"));
    }
    SECTION("TTFT below one prompt's prefill") {
        s.inference.slo.ttft_p99_ms = 19;  // 1000 tokens alone take 20 ms
        CHECK_THROWS_WITH(find_max_load(s, costs), Catch::StartsWith("fake.json: /inference/slo/ttft_p99_ms: 19 ms") &&
                                                       Catch::Contains("20.0 ms to its first token"));
    }
    SECTION("a trace's rate is not the search's to change") {
        test::TempDir tmp;
        test::use_trace(s, tmp.path(), "0,10,2,0\n", 10);
        CHECK_THROWS_WITH(find_max_load(s, costs), Catch::Contains("/inference/traffic/arrival"));
    }
}

TEST_CASE("max load: the feasibility bound chunks a lone prompt as its balancer does", "[inference]") {
    // 4 prefill groups, 4096 new tokens per iteration (1024 per group with balancer "none"),
    // 10 ms + 0.01 ms per token. A 4000-token prompt alone: "none" chunks it over 4 iterations,
    // 4 x 10 ms + 40 ms = 80 ms; "attention-cost" splits it over the 4 groups in one,
    // 10 ms + 40 ms = 50 ms. A 60 ms TTFT target is within reach of the second only.
    auto s = bounded();
    s.inference.traffic.input_tokens = {workload::LengthDist::Fixed, 4000, 1.0};
    s.inference.traffic.requests_per_s = 1;
    s.inference.slo.ttft_p99_ms = 60;
    auto costs = bounded_costs();
    costs.groups[0] = 4;
    SECTION("attention-cost (the default): the bound is one iteration, and a rate is found") {
        REQUIRE(s.inference.prefill.balancer == workload::PrefillBalancer::AttentionCost);
        const auto found = find_max_load(s, costs);
        CHECK(found.ttft_p99_bound_ms == Approx(50).epsilon(1e-9));
        CHECK(found.requests_per_s > 0);
        CHECK(found.run.result.ttft_ms.p99 <= 60);
    }
    SECTION("none: four chunks, and the target is refused without a search") {
        s.inference.prefill.balancer = workload::PrefillBalancer::None;
        CHECK_THROWS_WITH(find_max_load(s, costs), Catch::StartsWith("fake.json: /inference/slo/ttft_p99_ms: 60 ms") &&
                                                       Catch::Contains("80.0 ms to its first token"));
    }
}

TEST_CASE("max load: an SLO that a lone request passes the bound for but no rate meets ends in an error", "[inference]") {
    // The bound prices one decode step alone (5.2 ms < 20 ms), but TPOT also carries the KV
    // transfer: 2 s over the 99 tokens after the first is 20.2 ms per token at any rate. The
    // search halves from 4 requests/s until fewer than one request would be measured, then
    // says so instead of halving for ever.
    auto s = bounded();
    auto costs = bounded_costs();
    costs.transfer_s = 2.0;
    CHECK_THROWS_AS(find_max_load(s, costs), ScenarioError);
    CHECK_THROWS_WITH(find_max_load(s, costs), Catch::StartsWith("fake.json: /inference/slo: no request rate down to") &&
                                                   Catch::Contains("slo.tpot_p99_ms 20"));
    // 1 s of transfer (10.1 ms per token) leaves room: the search finds a rate.
    costs.transfer_s = 1.0;
    CHECK(find_max_load(s, costs).requests_per_s > 0);
}
