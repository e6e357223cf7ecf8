#pragma once
// The marks that keep a run from passing for what it is not (issue 18): a serving run that
// missed its SLO, left measured requests unfinished or rejected some, and a training layout
// simulated over its GPU's memory. Reports show the mark beside the run and rank marked runs
// after clean ones, so that no overloaded run's lower $ per token passes as the best price.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "moesim/reports/results_db.h"

namespace moesim::report {

struct ServingVerdict {
    std::optional<bool> slo_met;  // nullopt: not recorded (a run from before schema 3)
    std::string slo_missed;       // "ttft_p99_ms,tpot_p99_ms"
    std::optional<std::int64_t> measured, unfinished, rejected;
};

// "ttft_p99_ms,tpot_p99_ms" (InferenceResult::slo_missed) -> {"ttft_p99_ms", "tpot_p99_ms"}
std::vector<std::string> slo_missed_targets(const std::string& list);

ServingVerdict serving_verdict(const inference::InferenceResult& r);
ServingVerdict serving_verdict(const RunSummary& r);

// "SLO met", "SLO missed (TTFT p99)", "SLO missed (TTFT p99, TPOT p99); overloaded: 89.0%
// unfinished; 3 rejected", "SLO met; 0.9% unfinished at the stop", or "SLO not recorded" for a
// run from before schema 3.
std::string describe(const ServingVerdict& v);

// 0: SLO met, nothing unfinished or rejected; 1: not recorded; 2: marked.
int serving_rank(const ServingVerdict& v);

struct MemoryVerdict {
    std::optional<double> headroom_GB;  // nullopt: not recorded
    std::optional<bool> over_memory;
};

MemoryVerdict memory_verdict(const training::TrainingResult& r);
MemoryVerdict memory_verdict(const RunSummary& r);

// "fits, 12.3 GB headroom", "OVER MEMORY by 5.2 GB", "memory not recorded".
std::string describe(const MemoryVerdict& v);

// 0: fits; 1: not recorded; 2: over memory.
int memory_rank(const MemoryVerdict& v);

}  // namespace moesim::report
