#pragma once
// A search document (`moesim search SEARCH.json`): a sweep document (sweep_spec.h: name,
// scenario, fidelity, find_max_load, axes) plus what makes a point good and what rules it
// out. Unknown keys are errors, paths named in errors (exit 2):
//   objective    {"metric": M, "sense": "minimize"|"maximize"}   sense optional: M's natural one
//     M = "gpu_hours"               training: GPU-hours for training.total_tokens (minimize)
//         "usd_per_million_tokens"  training: $ per 1M trained tokens; serving: $ per 1M
//                                   output tokens (minimize)
//         "tokens_per_s_per_gpu"    training: tokens/s per GPU; serving: output tokens/s per
//                                   decode GPU (maximize)
//   constraints  optional, each key optional:
//     max_gpus                  int     the scenario's cluster GPUs
//     min_memory_headroom_GB    number  training: GPU memory left at the worst rank's peak
//     max_step_time_s           number  training
//     max_gpu_hours             number  training
//     max_cost_usd              number  training: the whole run's cost
//     max_usd_per_million_tokens number training: per trained token; serving: per output token
//     slo_met                   bool    serving: p99 TTFT and TPOT within the scenario's slo
//                                       (default true for serving; false lifts it)
//   top          optional int ≥ 1 (default 5): how many of the best to keep, print and record
#include <cstdint>
#include <optional>
#include <string>

#include "sweep_spec.h"

namespace moesim::cli {

enum class SearchMetric { GpuHours, UsdPerMillionTokens, TokensPerSPerGpu };

struct SearchConstraints {
    std::optional<std::int64_t> max_gpus;
    std::optional<double> min_memory_headroom_GB;
    std::optional<double> max_step_time_s;
    std::optional<double> max_gpu_hours;
    std::optional<double> max_cost_usd;
    std::optional<double> max_usd_per_million_tokens;
    bool slo_met = true;
};

struct SearchSpec {
    SweepSpec sweep;
    SearchMetric metric = SearchMetric::GpuHours;
    bool minimize = true;
    SearchConstraints constraints;
    std::int64_t top = 5;
};

std::string to_string(SearchMetric m);

// Reads and checks a search document. Throws ScenarioError(file, json path, what) — exit 2.
SearchSpec read_search(const std::string& file);

}  // namespace moesim::cli
