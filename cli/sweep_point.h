#pragma once
// One point of a sweep simulated: the run ready to record and the calibration it used, or
// why the scenario checks refused it. Shared by the threads of `moesim sweep` and the ranks
// of `mpirun … moesim sweep` (sweep_mpi.h), which hand outcomes over in their wire form.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/reports/results_db.h"
#include "moesim/training/fidelity.h"
#include "sweep_spec.h"

namespace moesim::cli {

struct PointOutcome {
    std::optional<report::PendingRun> run;
    std::optional<report::CalibrationRecord> calibration;  // of the profile the run used
    std::string skip_reason, skip_message;
};

// Simulates the point with overrides `sets`; a UserError from the checks is a skip, counted
// by reason (memory, or the JSON path the checks named).
PointOutcome run_point(const SweepSpec& spec, const std::vector<std::string>& sets, training::Fidelity fid);

// Exact: the rows written from outcome_from_wire(outcome_to_wire(o)) are those o gives.
nlohmann::json outcome_to_wire(const PointOutcome& outcome);
PointOutcome outcome_from_wire(const nlohmann::json& wire);

}  // namespace moesim::cli
