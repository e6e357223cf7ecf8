// Properties of the serving simulation under random traffic: Little's law, conservation of
// tokens and requests, determinism, and the measurement window.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

#include "run_moesim.h"
#include "fake_costs.h"
#include "moesim/inference/requests.h"
#include "moesim/inference/serving_sim.h"

using namespace moesim;
using inference::simulate_serving;

namespace {

// Lognormal lengths, a prefix cache, two prefill instances of two groups and a decode
// instance of four, loaded to roughly half of what decode can take.
workload::Scenario random_traffic() {
    auto s = test::serving_scenario();
    s.inference.prefill.instances = 2;
    s.cluster.nodes = 3;
    auto& t = s.inference.traffic;
    t.requests_per_s = 20;
    t.duration_s = 200;
    t.input_tokens = {workload::LengthDist::Lognormal, 500, 1.0};
    t.output_tokens = {workload::LengthDist::Lognormal, 100, 0.8};
    t.prefix_cache_hit_rate = 0.3;
    s.seed = 7;
    return s;
}

test::FakeCosts random_costs() {
    test::FakeCosts c;
    c.groups[0] = 2;
    c.groups[1] = 4;
    c.cost[0] = {0.005, 2e-6, 1e-9};
    c.cost[1] = {0.004, 2e-5, 1e-8};
    c.kv_capacity[1] = 60'000;
    c.max_sequences[1] = 64;
    c.transfer_s = 0.002;
    return c;
}

}  // namespace

TEST_CASE("serving: Little's law, mean requests in the system = arrival rate x mean latency", "[inference]") {
    const auto s = random_traffic();
    const auto costs = random_costs();
    const auto run = simulate_serving(s, costs);
    const auto& st = run.stats;
    REQUIRE(st.requests_unfinished == 0);
    REQUIRE(st.requests_rejected == 0);
    const double window_s = st.window_end_s - st.window_start_s;
    const double rate = static_cast<double>(st.requests_measured) / window_s;
    WARN("L = " << st.mean_requests_in_system << ", lambda = " << rate << ", W = " << st.mean_latency_s);
    CHECK(st.mean_requests_in_system > 1);  // a loaded system, not an empty one
    CHECK(st.mean_requests_in_system == Approx(rate * st.mean_latency_s).epsilon(0.05));
}

TEST_CASE("serving: every admitted request completes — tokens in = tokens out", "[inference]") {
    test::TempDir tmp;
    auto s = random_traffic();
    // The Poisson requests of the first 60 s as a trace: then every request is measured.
    auto source = inference::poisson_requests(s.inference.traffic, 20, 7);
    std::ostringstream csv;
    std::int64_t input = 0, output = 0, cached = 0, count = 0;
    for (auto r = source->next(); r->arrival_s < 60; r = source->next()) {
        csv << r->arrival_s << "," << r->input_tokens << "," << r->output_tokens << "," << r->cached_tokens << "\n";
        input += r->input_tokens;
        output += r->output_tokens;
        cached += r->cache_hit_tokens();
        ++count;
    }
    test::use_trace(s, tmp.path(), csv.str(), 60);
    auto costs = random_costs();
    costs.kv_capacity[1] = 1'000'000;  // no rejection
    const auto run = simulate_serving(s, costs, test::keep_requests());
    const auto& st = run.stats;
    CHECK(st.requests_arrived == count);
    CHECK(st.requests_measured == count);
    CHECK(st.requests_unfinished == 0);
    CHECK(st.total_completed == count);
    CHECK(run.result.requests_completed == count);
    CHECK(st.total_tokens_computed + st.total_tokens_cached == input);
    CHECK(st.total_tokens_cached == cached);
    CHECK(st.total_first_tokens + st.total_tokens_decoded == output);
    for (const auto& r : run.requests) {
        CHECK(r.first_token_s > r.request.arrival_s - 1e-9);
        CHECK(r.finish_s >= r.first_token_s);
    }
}

TEST_CASE("serving: the same seed gives the same result, another seed another", "[inference]") {
    const auto s = random_traffic();
    const auto costs = random_costs();
    const auto a = simulate_serving(s, costs);
    const auto b = simulate_serving(s, costs);
    const auto fields = [](const inference::ServingRun& r) {
        const auto& x = r.result;
        return std::vector<double>{x.ttft_ms.p50, x.ttft_ms.p90, x.ttft_ms.p99, x.tpot_ms.p50, x.tpot_ms.p90,
                                   x.tpot_ms.p99, static_cast<double>(x.requests_completed), x.kv_cache_utilization,
                                   x.prefill_input_tokens_per_s_per_node, x.decode_output_tokens_per_s_per_node,
                                   x.usd_per_million_input_tokens_cache_miss, x.usd_per_million_input_tokens_cache_hit,
                                   x.usd_per_million_output_tokens, r.stats.end_s, r.stats.mean_requests_in_system};
    };
    CHECK(fields(a) == fields(b));
    CHECK(a.result.assumptions == b.result.assumptions);
    auto other = s;
    other.seed = 8;
    CHECK(fields(simulate_serving(other, costs)) != fields(a));
}

TEST_CASE("serving: measured over the window after a 10% warm-up", "[inference]") {
    const auto s = random_traffic();
    const auto costs = random_costs();
    const auto run = simulate_serving(s, costs, test::keep_requests());
    CHECK(run.stats.window_start_s == Approx(20));
    CHECK(run.stats.window_end_s == Approx(200));
    long long measured = 0;
    for (const auto& r : run.requests) {
        const bool inside = r.request.arrival_s >= 20 && r.request.arrival_s < 200;
        CHECK(r.measured == inside);
        measured += inside;
    }
    CHECK(run.stats.requests_measured == measured);
    // About rate x window of them, and arrivals went on past the window while they finished.
    CHECK(static_cast<double>(measured) == Approx(20 * 180).epsilon(0.05));
    CHECK(run.stats.requests_arrived > measured);
    CHECK(run.stats.end_s >= 200);
}

TEST_CASE("serving: costs and throughput follow from the pools' GPU time", "[inference]") {
    const auto s = random_traffic();
    const auto costs = random_costs();
    const auto run = simulate_serving(s, costs);
    const auto& r = run.result;
    const auto& st = run.stats;
    const double window_s = st.window_end_s - st.window_start_s;
    // Two prefill instances of one node, one decode instance of one node, 8 GPUs each, $2/GPU-hour.
    const double prefill_usd = 2 * 8 * window_s * 2.0 / 3600, decode_usd = 8 * window_s * 2.0 / 3600;
    CHECK(r.usd_per_million_output_tokens ==
          Approx(decode_usd / static_cast<double>(st.output_tokens_decoded) * 1e6).epsilon(1e-12));
    const double hit = st.cache_hit_time_fraction;
    CHECK(hit > 0);
    CHECK(hit < 1);
    CHECK(r.usd_per_million_input_tokens_cache_miss ==
          Approx(prefill_usd * (1 - hit) / static_cast<double>(st.input_tokens_computed) * 1e6).epsilon(1e-12));
    CHECK(r.usd_per_million_input_tokens_cache_hit ==
          Approx(prefill_usd * hit / static_cast<double>(st.input_tokens_cached) * 1e6).epsilon(1e-12));
    CHECK(r.prefill_input_tokens_per_s_per_node ==
          Approx(static_cast<double>(st.input_tokens_computed + st.input_tokens_cached) / window_s / 2).epsilon(1e-12));
    // About 30% of the input tokens are cache hits, and about rate x mean input flow in.
    CHECK(static_cast<double>(st.input_tokens_cached) /
              static_cast<double>(st.input_tokens_cached + st.input_tokens_computed) ==
          Approx(0.3).epsilon(0.05));
    CHECK(r.prefill_input_tokens_per_s_per_node * 2 == Approx(20 * 500).epsilon(0.1));
    CHECK(r.decode_output_tokens_per_s_per_node == Approx(20 * 99).epsilon(0.1));
    CHECK(r.kv_cache_utilization > 0);
    CHECK(r.kv_cache_utilization < st.kv_reserved_fraction);  // reserved covers the whole output
}
