// The deployment a serving simulation runs (serving_tally.h): its instances, groups, KV
// capacities and limits, as the scenario and its iteration costs give them.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "moesim/common/error.h"
#include "moesim/workload/scenario_ranges.h"
#include "moesim/inference/priced_balancer.h"
#include "serving_tally.h"

namespace moesim::inference::detail {

namespace {

std::string short_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

double mean_tokens(const workload::LengthDistribution& d) {
    return d.dist == workload::LengthDist::Uniform ? (d.min + d.max) / 2 : d.mean;
}

// The decode-iteration budget (scenario_ranges.h), refused before the simulation runs: every
// decode instance busy until the stop at 2·duration_s with iterations no shorter than one of a
// single sequence; with Poisson traffic, also no more iterations than the output tokens of the
// requests arriving until the stop (each iteration emits at least one token of each sequence).
void check_decode_budget(const workload::Scenario& s, const IterationCosts& costs, const Deployment& d) {
    const workload::Traffic& t = s.inference.traffic;
    const double shortest_s = costs.shortest_decode_iteration_s(1 + d.draft_tokens);
    MOESIM_CHECK(std::isfinite(shortest_s) && shortest_s > 0, "decode iteration time");
    const double stop_s = 2.0 * t.duration_s;
    const double by_time = d.decode_instances * stop_s / shortest_s;
    std::string why = "decode instances x 2 x duration_s / the shortest iteration = " +
                      std::to_string(d.decode_instances) + " x 2 x " + short_text(t.duration_s) + " s / " +
                      short_text(shortest_s * 1e3) + " ms = " + short_text(by_time);
    double estimate = by_time;
    if (t.arrival == workload::Arrival::Poisson) {
        const double mean_output = mean_tokens(t.output_tokens);
        const double by_tokens = t.requests_per_s * stop_s * mean_output;
        estimate = std::min(estimate, by_tokens);
        why += "; requests_per_s x 2 x duration_s x mean output tokens = " + short_text(t.requests_per_s) + " x 2 x " +
               short_text(t.duration_s) + " x " + short_text(mean_output) + " = " + short_text(by_tokens);
    }
    if (estimate > workload::kMaxDecodeIterations)
        throw ScenarioError(s.source_file, "/inference/traffic/duration_s",
                            "about " + short_text(estimate) + " decode iterations, the fewer of (" + why +
                                "), over the budget of " + short_text(workload::kMaxDecodeIterations) +
                                " iterations; shorten duration_s");
}

}  // namespace

Deployment describe_deployment(const workload::Scenario& s, const IterationCosts& costs) {
    Deployment d;
    const workload::Inference& inf = s.inference;
    d.colocated = inf.deployment == workload::Deployment::Colocated;
    d.prefill_instances = d.colocated ? inf.decode.instances : inf.prefill.instances;
    d.decode_instances = inf.decode.instances;
    d.prefill_nodes = costs.nodes(Pool::Prefill);
    d.decode_nodes = costs.nodes(Pool::Decode);
    d.prefill_gpus = costs.gpus(Pool::Prefill);
    d.decode_gpus = costs.gpus(Pool::Decode);
    d.prefill_groups = costs.attention_groups(Pool::Prefill);
    d.decode_groups = costs.attention_groups(Pool::Decode);
    d.prefill_kv_capacity = costs.kv_capacity_tokens_per_group(Pool::Prefill);
    d.decode_kv_capacity = costs.kv_capacity_tokens_per_group(Pool::Decode);
    d.prefill_max_sequences = costs.max_sequences_per_group(Pool::Prefill);
    d.decode_max_sequences = costs.max_sequences_per_group(Pool::Decode);
    d.tokens_per_decode_step = costs.tokens_per_decode_step();
    d.draft_tokens = inf.decode.mtp.draft_tokens;
    MOESIM_CHECK(d.prefill_groups >= 1 && d.decode_groups >= 1, "attention groups");
    MOESIM_CHECK(d.prefill_max_sequences >= 1 && d.decode_max_sequences >= 1, "sequences per group");
    MOESIM_CHECK(d.tokens_per_decode_step >= 1 && std::isfinite(d.tokens_per_decode_step), "tokens per decode step");
    MOESIM_CHECK(costs.max_batch_tokens() >= 1, "max_batch_tokens");
    const std::string& file = s.source_file;
    if (d.decode_kv_capacity < 2)
        throw ScenarioError(file, "/inference/decode",
                            "no room for a KV cache on a decode attention group (" +
                                std::to_string(d.decode_kv_capacity) + " tokens after weights and working memory)");
    if (!d.colocated && d.prefill_kv_capacity < 1)
        throw ScenarioError(file, "/inference/prefill",
                            "no room for a KV cache on a prefill attention group (" +
                                std::to_string(d.prefill_kv_capacity) + " tokens after weights and working memory)");
    if (d.colocated && (d.prefill_gpus != d.decode_gpus || d.prefill_groups != d.decode_groups))
        throw ScenarioError(file, "/inference/prefill",
                            "a colocated deployment prefills and decodes on the same instances, so the prefill pool "
                            "must have the decode pool's GPUs and attention groups (prefill: " +
                                std::to_string(d.prefill_gpus) + " GPUs in " + std::to_string(d.prefill_groups) +
                                " groups; decode: " + std::to_string(d.decode_gpus) + " GPUs in " +
                                std::to_string(d.decode_groups) + " groups)");
    d.prefill_tokens_per_group = std::max<std::int64_t>(1, costs.max_batch_tokens() / d.prefill_groups);
    d.prefill_balancer = inf.prefill.balancer;
    d.prefill_token_cost = linear_token_cost(costs, d.prefill_tokens_per_group);
    check_decode_budget(s, costs, d);

    return d;
}

}  // namespace moesim::inference::detail
