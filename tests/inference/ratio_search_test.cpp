// The prefill:decode ratio (issue 13 item 5): each pool's rate alone, the ratio it implies,
// and the search for the count of prefill instances paying best, on a toy whose answer is
// known: the decode instance has 32x the GPUs of a prefill instance, so up to the knee (the
// fewest prefill instances that carry what decode can) one more prefill instance adds more
// rate than GPUs, and past it only GPUs.
#include <catch2/catch.hpp>

#include <cmath>

#include "fake_costs.h"
#include "moesim/common/error.h"
#include "moesim/inference/ratio_search.h"

using namespace moesim;
using inference::find_ratio;
using inference::pool_capacities;

namespace {

// Prefill: 4 prompts of 1000 tokens per iteration at most, 10 ms + 40 us per token (170 ms):
// at most 4 / 0.17 = 23.5 requests/s per instance. Decode: 5 ms + 0.1 ms per sequence, and
// a 20 ms TPOT target keeps a step under ~150 sequences: at most 150 / 20 ms / 99 steps per
// request = 75.8 requests/s. So about 3-4 prefill instances per decode instance.
workload::Scenario toy() { return test::search_scenario(); }

constexpr double kPrefillBound = 4 / 0.17, kDecodeBound = 150 / 0.020 / 99;

test::FakeCosts toy_costs() {
    test::FakeCosts c;
    c.gpus_per_instance[0] = 8;
    c.gpus_per_instance[1] = 256;
    c.cost[0] = {0.010, 4e-5, 0};
    c.cost[1] = {0.005, 1e-4, 0};
    return c;
}

inference::CostsFactory toy_factory() {
    return [](const workload::Scenario&) { return std::make_shared<const test::FakeCosts>(toy_costs()); };
}

}  // namespace

TEST_CASE("ratio: each pool alone is bounded by its own capacity, and the ratio is theirs", "[inference]") {
    const auto pools = pool_capacities(toy(), toy_factory());
    REQUIRE(pools.prefill.requests_per_s);
    REQUIRE(pools.decode.requests_per_s);
    WARN("prefill alone " << *pools.prefill.requests_per_s << ", decode alone " << *pools.decode.requests_per_s
                          << " requests/s; ratio " << *pools.prefill_per_decode);
    CHECK(*pools.prefill.requests_per_s <= kPrefillBound);
    CHECK(*pools.prefill.requests_per_s > 0.5 * kPrefillBound);
    CHECK(*pools.decode.requests_per_s <= kDecodeBound);
    CHECK(*pools.decode.requests_per_s > 0.5 * kDecodeBound);
    CHECK(*pools.prefill_per_decode == Approx(*pools.decode.requests_per_s / *pools.prefill.requests_per_s));
    // Twice the instances: twice the pool's rate at least (pooled Poisson traffic queues less).
    auto twice = toy();
    twice.inference.prefill.instances = 2;
    twice.inference.decode.instances = 2;
    const auto more = pool_capacities(twice, toy_factory());
    CHECK(*more.prefill.requests_per_s >= 2 * *pools.prefill.requests_per_s * 0.98);
    CHECK(*more.decode.requests_per_s >= 2 * *pools.decode.requests_per_s * 0.98);
    CHECK(more.prefill.per_instance_requests_per_s() == Approx(*more.prefill.requests_per_s / 2));
}

TEST_CASE("ratio: the search finds the count of prefill instances that pays best", "[inference]") {
    const auto s = toy();
    const auto found = find_ratio(s, toy_factory());
    const auto& best = found.answer();
    REQUIRE(found.best_load);
    // Every count from 1 to 8 searched on its own: the answer is their best.
    int argmax = 0, knee = 0;
    double most = 0;
    for (int n = 1; n <= 8; ++n) {
        const auto at = inference::with_prefill_instances(s, n);
        const auto costs = toy_costs();
        const auto m = inference::find_max_load(at, costs);
        const double window_s = m.run.stats.window_end_s - m.run.stats.window_start_s;
        const double per_gpu_hour = static_cast<double>(m.run.stats.output_tokens_decoded) / window_s * 3600 / (8 * n + 256);
        if (knee == 0 && m.requests_per_s >= 0.98 * *found.pools.decode.requests_per_s) knee = n;
        if (per_gpu_hour > most) {
            most = per_gpu_hour;
            argmax = n;
        }
        for (const auto& p : found.tried)
            if (p.prefill_instances == n) CHECK(p.output_tokens_per_gpu_hour == Approx(per_gpu_hour).epsilon(1e-12));
    }
    WARN("answer " << best.prefill_instances << " from " << found.start_prefill_instances << ", " << found.tried.size()
                   << " counts tried; brute force " << argmax);
    CHECK(best.prefill_instances == argmax);
    // The known answer: the knee, the fewest prefill instances at which the deployment carries
    // (within the search's 2%) what decode alone does.
    CHECK(best.prefill_instances == knee);
    CHECK(best.gpus == 8 * best.prefill_instances + 256);
    CHECK(found.best_load->requests_per_s == *best.requests_per_s);
    // The walk stopped on both sides of the answer (or at 1).
    bool below = best.prefill_instances == 1, above = false;
    for (const auto& p : found.tried) {
        below = below || p.prefill_instances == best.prefill_instances - 1;
        above = above || p.prefill_instances == best.prefill_instances + 1;
        CHECK(p.output_tokens_per_gpu_hour <= best.output_tokens_per_gpu_hour);
    }
    CHECK(below);
    CHECK(above);
    // Deterministic.
    const auto again = find_ratio(s, toy_factory());
    REQUIRE(again.tried.size() == found.tried.size());
    for (std::size_t i = 0; i < found.tried.size(); ++i) {
        CHECK(again.tried[i].prefill_instances == found.tried[i].prefill_instances);
        CHECK(again.tried[i].requests_per_s == found.tried[i].requests_per_s);
    }
}

TEST_CASE("ratio: the scenario resized to a count of prefill instances", "[inference]") {
    auto s = toy();
    s.inference.prefill.nodes = 4;
    s.inference.decode.nodes = 18;
    const auto at = inference::with_prefill_instances(s, 3);
    CHECK(at.inference.prefill.instances == 3);
    CHECK(at.cluster.nodes == 3 * 4 + 18);
    CHECK(at.inference.decode.instances == s.inference.decode.instances);
}

TEST_CASE("ratio: a colocated deployment or a trace has no ratio to search", "[inference]") {
    auto s = toy();
    SECTION("colocated") {
        s.inference.deployment = workload::Deployment::Colocated;
        CHECK_THROWS_WITH(find_ratio(s, toy_factory()), Catch::StartsWith("fake.json: /inference/deployment:") &&
                                                             Catch::Contains("colocated one has one pool"));
        CHECK_THROWS_AS(pool_capacities(s, toy_factory()), ScenarioError);
    }
    SECTION("trace") {
        s.inference.traffic.arrival = workload::Arrival::Trace;
        CHECK_THROWS_WITH(find_ratio(s, toy_factory()), Catch::StartsWith("fake.json: /inference/traffic/arrival:"));
    }
}
