#pragma once
// `moesim report training`: training runs side by side — layout (TP/PP/DP/EP, schedule,
// ZeRO), step time, MFU, GPU-hours per trillion tokens, GPU-hours and dollars for the
// scenario's total_tokens, dollars per 1M tokens, wall-clock days.
#include <string>
#include <vector>

#include "moesim/reports/document.h"
#include "moesim/reports/results_db.h"

namespace moesim::report {

Document training_document(const std::vector<StoredRun>& runs, const std::string& db_path);

}  // namespace moesim::report
