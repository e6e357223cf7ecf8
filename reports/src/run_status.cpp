#include "moesim/reports/run_status.h"

#include <algorithm>

#include "moesim/reports/report_format.h"

namespace moesim::report {

namespace {

// "ttft_p99_ms,tpot_p99_ms" -> "TTFT p99, TPOT p99"
std::string targets(const std::string& missed) {
    std::string out;
    for (const std::string& target : slo_missed_targets(missed)) {
        const std::string shown = target == "ttft_p99_ms"          ? "TTFT p99"
                                  : target == "tpot_p99_ms"        ? "TPOT p99"
                                  : target == "requests_completed" ? "no request completed"
                                                                   : target;
        out += (out.empty() ? "" : ", ") + shown;
    }
    return out;
}

}  // namespace

std::vector<std::string> slo_missed_targets(const std::string& list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        out.push_back(list.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

ServingVerdict serving_verdict(const inference::InferenceResult& r) {
    return {r.slo_met, r.slo_missed, r.requests_measured, r.requests_unfinished, r.requests_rejected};
}

ServingVerdict serving_verdict(const RunSummary& r) {
    return {r.slo_met, r.slo_missed, r.requests_measured, r.requests_unfinished, r.requests_rejected};
}

std::string describe(const ServingVerdict& v) {
    std::string out = !v.slo_met ? "SLO not recorded"
                      : *v.slo_met ? "SLO met"
                                   : "SLO missed" + (v.slo_missed.empty() ? "" : " (" + targets(v.slo_missed) + ")");
    if (v.unfinished && *v.unfinished > 0) {
        // Missing the SLO with requests left over is overload; meeting it, they are the last
        // arrivals' long outputs still decoding when the simulation stopped (serving_sim.h).
        const bool missed = v.slo_met && !*v.slo_met;
        out += missed ? "; overloaded: " : "; ";
        out += v.measured && *v.measured > 0
                   ? percent(static_cast<double>(*v.unfinished) / static_cast<double>(*v.measured))
                   : grouped(static_cast<double>(*v.unfinished), 0);
        out += missed ? " unfinished" : " unfinished at the stop";
    }
    if (v.rejected && *v.rejected > 0) out += "; " + grouped(static_cast<double>(*v.rejected), 0) + " rejected";
    return out;
}

int serving_rank(const ServingVerdict& v) {
    if ((v.slo_met && !*v.slo_met) || v.unfinished.value_or(0) > 0 || v.rejected.value_or(0) > 0) return 2;
    return v.slo_met ? 0 : 1;
}

MemoryVerdict memory_verdict(const training::TrainingResult& r) { return {r.memory_headroom_GB, r.over_memory}; }

MemoryVerdict memory_verdict(const RunSummary& r) { return {r.memory_headroom_GB, r.over_memory}; }

std::string describe(const MemoryVerdict& v) {
    if (!v.over_memory || !v.headroom_GB) return "memory not recorded";
    if (*v.over_memory) return "OVER MEMORY by " + grouped(-*v.headroom_GB, 1) + " GB";
    return "fits, " + grouped(*v.headroom_GB, 1) + " GB headroom";
}

int memory_rank(const MemoryVerdict& v) {
    if (v.over_memory && *v.over_memory) return 2;
    return v.over_memory ? 0 : 1;
}

}  // namespace moesim::report
