#pragma once
// Reads fields of the scenario a run stored (runs.scenario_json, every default filled in)
// for the report tables: layouts and prices are there, not in the result rows. A field a
// stored scenario lacks (an older or hand-made row) reads as nullopt and prints as "–".
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/reports/run_record.h"

namespace moesim::report::detail {

class StoredScenario {
public:
    explicit StoredScenario(const std::string& scenario_json);

    std::optional<double> number(const char* pointer) const;
    std::optional<std::string> text(const char* pointer) const;

    // "TP1 PP16 DP128 EP64, dualpipe, ZeRO-1", or nullopt without /parallelism.
    std::optional<std::string> training_layout() const;
    // "disaggregated; prefill 1 x 4 nodes (EP32, attention TP4); decode 1 x 40 nodes (EP320,
    // attention TP4, MTP 1 draft)", or nullopt without /inference.
    std::optional<std::string> serving_layout() const;

private:
    nlohmann::json doc_;
};

// "Results database PATH, KIND runs 1, 4, 5." — what a report's preamble says it shows.
std::string runs_preamble(const std::string& db_path, const std::string& kind, const std::vector<StoredRun>& runs);

// The run's label (run_label.h): its name tagged with its overrides; the name for a row
// written without one.
inline std::string label_of(const StoredRun& run) { return run.record.label.empty() ? run.record.name : run.record.label; }

// The stored overrides as one CSV cell: "/parallelism/pp=8 /parallelism/dp=256".
std::string overrides_cell(const StoredRun& run);

// "–" for a missing value, the formatted value otherwise.
inline constexpr const char* kMissing = "–";

}  // namespace moesim::report::detail
