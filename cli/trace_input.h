#pragma once
// What both trace verbs start from (`moesim calibrate --from-trace`, `moesim trace compare`):
// the trace read and its kernels named by the rules, its sha256, the training scenario
// prepared, and the traced pair of that scenario (trace_pair.h). Every check that the trace
// fits the scenario is made here, before anything is simulated or written.
#include <memory>
#include <optional>
#include <string>

#include "moesim/calib/trace_reader.h"
#include "moesim/calib/trace_rules.h"
#include "moesim/calib/trace_summary.h"
#include "moesim/training/setup.h"
#include "trace_pair.h"

namespace moesim::cli {

struct TraceInput {
    calib::Trace trace;
    std::string sha256;
    calib::TraceSummary summary;
    std::unique_ptr<training::TrainingSetup> setup;
    TracePair pair;
};

// `rules_file`: user rules put before the bundled ones; `profile`: a calibration profile to
// simulate with instead of the scenario's. Throws UserError (CalibrationError, ScenarioError).
TraceInput load_trace_input(const std::string& trace_file, const std::string& scenario_file,
                            const std::optional<std::string>& rules_file, const std::optional<std::string>& profile);

// The file's SHA-256, read in pieces.
std::string file_sha256(const std::string& path);

}  // namespace moesim::cli
