#pragma once
// The prefill:decode ratio of a disaggregated deployment (issue 13 item 5).
//
// Each pool alone (`pool_capacities`, what `run --find-max-load` adds): the --find-max-load
// search (max_load.h) on the scenario changed so that only one pool can limit it.
//  * Prefill alone: every request's output is one token, so it finishes when its prefill
//    makes that token and never reaches decode (serving_sim.h); only the TTFT target counts.
//    Same arrivals and prompts (requests.h draws each length from its own stream).
//  * Decode alone: every prompt is a full prefix-cache hit, so prefill computes one token of
//    it (the cache keeps at least one to compute: requests.h), while the KV cache moved to
//    decode and the decode context are the prompt's whole length; only the TPOT target counts.
// Each pool's rate over its instance count is what one unit carries; the decode unit's over
// the prefill unit's is the number of prefill units one decode unit needs so that neither
// pool limits the other (the implied ratio).
//
// The ratio that pays best (`find_ratio`, `run --find-ratio`): for a number n of prefill
// instances (decode instances as the scenario has them, cluster nodes resized to the pools),
// the highest rate meeting the whole SLO, and the output tokens per GPU-hour it gives over
// every GPU of both pools. Below the knee the deployment is prefill-bound and one more prefill
// unit adds its rate; past it, decode-bound, it adds only GPUs: the objective rises, then
// falls. The search starts at n0 = ceil(implied ratio × decode instances) and walks one unit
// at a time, down while fewer units pay better, then up while more do, stopping at the first
// step that does not; ties go to fewer units. Deterministic: every probe draws the same
// requests (common random numbers), whatever the order.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "moesim/inference/iteration_costs.h"
#include "moesim/inference/max_load.h"
#include "moesim/workload/scenario.h"

namespace moesim::inference {

// The operator model of a scenario (the same costs for the same scenario). The default,
// scenario_costs, prepares the scenario (setup.h) and prices it with the operator model.
using CostsFactory = std::function<std::shared_ptr<const IterationCosts>(const workload::Scenario&)>;
std::shared_ptr<const IterationCosts> scenario_costs(const workload::Scenario& s);

// One pool's search, alone.
struct PoolAlone {
    int instances = 0;                        // the pool's instances in the scenario
    std::optional<double> requests_per_s;     // nullopt: no rate met the pool's target
    std::string why_none;                     // then, the search's reason
    int probes = 0;                           // rates simulated
    double per_instance_requests_per_s() const { return requests_per_s ? *requests_per_s / instances : 0; }
};

struct PoolCapacities {
    PoolAlone prefill, decode;
    // Prefill units per decode unit so that neither pool limits: decode's per-instance rate over
    // prefill's. nullopt when either search found no rate.
    std::optional<double> prefill_per_decode;
};

// Throws ScenarioError for a colocated deployment (one pool: no ratio) or a trace.
PoolCapacities pool_capacities(const workload::Scenario& s, const CostsFactory& make_costs,
                               const MaxLoadOptions& options = {});

// The scenario with `prefill_instances` prefill instances, its cluster resized to the pools'
// nodes (prefill nodes × instances + decode nodes × instances).
workload::Scenario with_prefill_instances(const workload::Scenario& s, int prefill_instances);

struct RatioPoint {
    int prefill_instances = 0;
    int gpus = 0;                              // both pools
    std::optional<double> requests_per_s;     // the highest meeting the SLO; nullopt: none
    std::string why_none;
    double output_tokens_per_gpu_hour = 0;     // at that rate, over `gpus`; 0 when none
    double prefill_input_tokens_per_s_per_node = 0, decode_output_tokens_per_s_per_node = 0;
    double ttft_p99_ms = 0, tpot_p99_ms = 0;
    double usd_per_million_output_tokens = 0;  // as the run prices it (serving_metrics)
};

struct RatioSearch {
    PoolCapacities pools;                      // where the search started from
    int start_prefill_instances = 0;           // n0
    std::vector<RatioPoint> tried;             // in the order searched
    std::size_t best = 0;                      // index into `tried`
    std::optional<MaxLoad> best_load;          // the search at the best count (its run)
    const RatioPoint& answer() const { return tried.at(best); }
};

struct RatioOptions {
    MaxLoadOptions max_load;                   // each count's search (its progress hook is not used)
    int max_prefill_instances = 4096;
    // After each count searched: counts searched, and that + the counts the walk still expects (2).
    ProgressHook progress;
};

// Throws ScenarioError for a colocated deployment or a trace, and when no count tried meets
// the SLO at any rate.
RatioSearch find_ratio(const workload::Scenario& s, const CostsFactory& make_costs, const RatioOptions& options = {});

}  // namespace moesim::inference
