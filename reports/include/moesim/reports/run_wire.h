#pragma once
// A run as one process hands it to another (the workers of `mpirun … moesim sweep` to the
// rank that writes the database): the record and every field of the result the store keeps,
// exactly — doubles round-trip bit for bit, infinities and NaN travel as strings — so the
// rows written from it are those the run itself would have given. Fields the store does not
// keep (a serving run's per-request data, …) do not travel.
#include <nlohmann/json.hpp>

#include "moesim/reports/results_db.h"

namespace moesim::report {

nlohmann::json run_to_wire(const PendingRun& run);
// Throws InternalError when `wire` is not what run_to_wire makes.
PendingRun run_from_wire(const nlohmann::json& wire);

nlohmann::json calibration_to_wire(const CalibrationRecord& calibration);
CalibrationRecord calibration_from_wire(const nlohmann::json& wire);

}  // namespace moesim::report
