#include "moesim/inference/slo.h"

namespace moesim::inference {

std::vector<std::string> missed_slo_targets(const workload::Slo& slo, const InferenceResult& r) {
    std::vector<std::string> missed;
    if (!(r.ttft_ms.p99 <= slo.ttft_p99_ms)) missed.push_back("ttft_p99_ms");
    if (!(r.tpot_ms.p99 <= slo.tpot_p99_ms)) missed.push_back("tpot_p99_ms");
    if (r.requests_completed <= 0) missed.push_back("requests_completed");
    return missed;
}

void record_slo(const workload::Slo& slo, InferenceResult& r) {
    const std::vector<std::string> missed = missed_slo_targets(slo, r);
    r.slo_met = missed.empty();
    r.slo_missed.clear();
    for (const std::string& target : missed) r.slo_missed += (r.slo_missed.empty() ? "" : ",") + target;
}

}  // namespace moesim::inference
