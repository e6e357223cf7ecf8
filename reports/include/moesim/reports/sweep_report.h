#pragma once
// `moesim report sweep`: a sweep's runs with their Pareto fronts (sweep_analysis.h), as a
// Document (text, Markdown, CSV, HTML with one scatter chart per front) or as JSON.
#include <string>

#include <nlohmann/json.hpp>

#include "moesim/reports/document.h"
#include "moesim/reports/sweep_analysis.h"

namespace moesim::report {

Document sweep_document(const SweepAnalysis& analysis, const std::string& db_path);

// {"sweep": {id, name, created_utc, points, runs_recorded}, "mode",
//  "fronts": [{key, title, x: {metric, unit, sense}, y: {…}, runs: [ids by x]}],
//  "runs": [{run_id, label, overrides, <metric>: value|null…, excluded: reason|null,
//            fronts: [keys]}]}
nlohmann::json sweep_report_json(const SweepAnalysis& analysis, const std::string& db_path);

}  // namespace moesim::report
