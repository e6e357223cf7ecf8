#pragma once
// The objects `moesim run … --json` prints, one per run inside {"runs": […]} (DESIGN.md
// §6). Keys are the SQLite column names; nested objects where §6 asks for them
// (exposed_comm_s, ttft_ms, tpot_ms). Beside §6's keys every object carries `fidelity`
// and `assumptions`, and a training one `fp8_utilization`.
#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "moesim/reports/results_db.h"
#include "moesim/reports/run_record.h"

namespace moesim::report {

nlohmann::json run_to_json(std::int64_t run_id, const RunRecord& record, const training::TrainingResult& result);
nlohmann::json run_to_json(std::int64_t run_id, const RunRecord& record, const inference::InferenceResult& result);
nlohmann::json run_to_json(std::int64_t run_id, const RunRecord& record, const RunResult& result);
nlohmann::json run_to_json(const StoredRun& run);

// One run of `moesim runs --json`: its identity and headline; a value a run from before
// schema 3 lacks is null.
nlohmann::json run_summary_to_json(const RunSummary& run);

}  // namespace moesim::report
