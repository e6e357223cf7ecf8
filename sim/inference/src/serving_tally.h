#pragma once
// What the serving simulation counts as it runs (serving_sim.cpp), and how the counts become
// the result's figures (serving_metrics.cpp). Internal to sim/inference.
#include <cstdint>
#include <vector>

#include "moesim/inference/prefill_balancer.h"
#include "moesim/inference/serving_sim.h"

namespace moesim::inference::detail {

// The deployment the figures are per: nodes, GPUs and instances of each role.
struct Deployment {
    bool colocated = false;
    int prefill_instances = 0, decode_instances = 0;  // colocated: both the same instances
    int prefill_nodes = 0, decode_nodes = 0;          // per instance
    int prefill_gpus = 0, decode_gpus = 0;            // per instance
    int prefill_groups = 0, decode_groups = 0;        // attention groups per instance
    std::int64_t prefill_kv_capacity = 0, decode_kv_capacity = 0;  // tokens per group
    std::int64_t prefill_max_sequences = 0, decode_max_sequences = 0;
    std::int64_t prefill_tokens_per_group = 0;        // balancer none: new tokens per group per prefill iteration
    workload::PrefillBalancer prefill_balancer = workload::PrefillBalancer::AttentionCost;
    TokenCost prefill_token_cost;                     // attention-cost: w(p) = λ + p (prefill_balancer.h)
    double tokens_per_decode_step = 1;
    int draft_tokens = 0;
};

// Reads the deployment off the scenario and its costs. Throws ScenarioError when a group has
// no room for a KV cache, or a colocated deployment's pools differ in GPUs or groups.
Deployment describe_deployment(const workload::Scenario& s, const IterationCosts& costs);

struct Tally {
    std::vector<double> ttft_ms, tpot_ms;  // measured, completed (tpot: output > 1)
    double latency_sum_s = 0;              // measured, completed: arrival → finish
    long long measured_completed = 0;
    // Inside the window, in seconds of instance time (summed over instances).
    double prefill_busy_s = 0, decode_busy_s = 0, cache_hit_s = 0;  // iterations running
    double prefill_work_s = 0, decode_work_s = 0;  // instances with work (ServingStats' busy)
    double kv_used_token_s = 0, kv_reserved_token_s = 0;  // decode groups, summed
    double in_system_request_s = 0;
    double decode_group_sequences = 0;     // Σ over decode iterations of active sequences
    long long decode_group_iterations = 0; // Σ over decode iterations of groups
};

// Nearest-rank percentile: the smallest value with at least `percent`% of the values at or
// below it (0 for none). Reorders `v`.
double nearest_rank(std::vector<double>& v, long long percent);

// Fills run.result from the stats and tallies gathered by the simulation.
void summarize(const workload::Scenario& s, const Deployment& d, Tally& tally, ServingRun& run);

}  // namespace moesim::inference::detail
