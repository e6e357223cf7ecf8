// The deployment a serving simulation runs (serving_tally.h): its instances, groups, KV
// capacities and limits, as the scenario and its iteration costs give them.
#include <algorithm>
#include <cmath>
#include <string>

#include "moesim/common/error.h"
#include "serving_tally.h"

namespace moesim::inference::detail {

namespace {

// The attention-cost balancer's w(p) = λ + p, λ the GEMM-side cost of a token in context
// tokens: one group's compute at N new tokens (one sequence) with no context, t0, and with C
// context tokens, tC, gives λ = C·t0 / (tC − t0) (the N new tokens' attention to each other
// is in t0, so λ is a prompt's mean cost per token at chunks of N). N is a group's even share
// of max_batch_tokens, the size of its typical piece. A model whose cost does not grow with
// context balances token counts: w(p) = 1.
TokenCost prefill_token_cost(const IterationCosts& costs, std::int64_t n) {
    constexpr std::int64_t kContext = 8192;
    const double t0 = costs.group_compute_s(Pool::Prefill, {1, n, 0});
    const double tc = costs.group_compute_s(Pool::Prefill, {1, n, kContext});
    MOESIM_CHECK(std::isfinite(t0) && std::isfinite(tc) && t0 >= 0, "group compute time");
    if (!(tc > t0)) return {1, 0};
    return {static_cast<double>(kContext) * t0 / (tc - t0), 1};
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
    d.prefill_token_cost = prefill_token_cost(costs, d.prefill_tokens_per_group);

    return d;
}

}  // namespace moesim::inference::detail
