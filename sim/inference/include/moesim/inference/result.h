#pragma once
// The typed result of one serving simulation (DESIGN.md §4, §6).
#include <string>
#include <vector>

namespace moesim::inference {

struct Percentiles {
    double p50 = 0, p90 = 0, p99 = 0;
};

struct InferenceResult {
    std::string fidelity;
    double prefill_input_tokens_per_s_per_node = 0;
    double decode_output_tokens_per_s_per_node = 0;
    Percentiles ttft_ms;
    Percentiles tpot_ms;
    long long requests_completed = 0;
    double kv_cache_utilization = 0;
    double usd_per_million_input_tokens_cache_miss = 0;
    double usd_per_million_input_tokens_cache_hit = 0;
    double usd_per_million_output_tokens = 0;
    std::vector<std::string> assumptions;
};

}  // namespace moesim::inference
