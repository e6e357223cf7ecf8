#pragma once
// What `run --find-max-load` adds for a disaggregated deployment (each pool's rate alone and
// the prefill:decode ratio it implies) and what `run --find-ratio` finds (ratio_search.h):
// the summary's lines and the --json objects.
#include <ostream>

#include <nlohmann/json.hpp>

#include "moesim/inference/ratio_search.h"

namespace moesim::cli {

// "  pools alone   prefill 46 instances meet the TTFT target up to … requests/s (… per instance); …"
void print_pools(std::ostream& out, const inference::PoolCapacities& pools, int scenario_prefill_instances);
// The counts of prefill instances tried, one line each, and the answer.
void print_ratio(std::ostream& out, const inference::RatioSearch& ratio, int decode_instances);

// --json: `max_load.pools` {prefill, decode: {instances, requests_per_s, per_instance_requests_per_s,
// probes, why_none}, prefill_per_decode}.
nlohmann::json pools_json(const inference::PoolCapacities& pools);
// --json: `ratio` {start_prefill_instances, prefill_instances, prefill_per_decode, tried: [...]}.
nlohmann::json ratio_json(const inference::RatioSearch& ratio, int decode_instances);

}  // namespace moesim::cli
