#pragma once
// A serving run against its scenario's SLO: p99 TTFT ≤ slo.ttft_p99_ms, p99 TPOT ≤
// slo.tpot_p99_ms, and at least one measured request completed. The percentiles already hold
// the requests left unfinished at the stop, with what they had got by then (serving_sim.h).
#include <string>
#include <vector>

#include "moesim/inference/result.h"
#include "moesim/workload/scenario.h"

namespace moesim::inference {

// The targets `r` misses, in this order: "ttft_p99_ms", "tpot_p99_ms", "requests_completed"
// (none completed). Empty when the SLO is met.
std::vector<std::string> missed_slo_targets(const workload::Slo& slo, const InferenceResult& r);

// Sets r.slo_met and r.slo_missed ("ttft_p99_ms,tpot_p99_ms"; "" when met).
void record_slo(const workload::Slo& slo, InferenceResult& r);

}  // namespace moesim::inference
