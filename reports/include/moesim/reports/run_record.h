#pragma once
// What the results store keeps about one run besides its typed result (DESIGN.md §4).
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "moesim/inference/result.h"
#include "moesim/training/result.h"

namespace moesim::report {

struct RunRecord {
    std::string name;           // the scenario's name
    std::string mode;           // "training" | "inference"
    std::string model;          // built-in name or the config path the scenario gave
    std::string gpu;            // "H800", … or a spec path
    std::int64_t gpus = 0;      // GPUs in the cluster
    std::int64_t seed = 0;
    double sim_wall_s = 0;      // wall-clock time the simulation took
    std::string scenario_json;  // the full scenario, every default filled in
    std::string tool_version;
    std::string git_revision;
    std::optional<std::int64_t> calibration_id;  // a row of `calibrations`, if any
    std::string fidelity;       // "analytic" | "event"; empty = the result's own
    // What sets this run apart from another of the same scenario (schema 3): the overrides
    // applied to the scenario file, as "/json/pointer=value" (--set, and the rate
    // --find-max-load chose), and the name tagged with them (run_label.h). An empty label is
    // stored as the name.
    std::vector<std::string> overrides;
    std::string label;
    // The `sweeps` row of the `moesim sweep` that made this run (schema 4), if one did.
    std::optional<std::int64_t> sweep_id;
};

using RunResult = std::variant<training::TrainingResult, inference::InferenceResult>;

// A run read back from the store.
struct StoredRun {
    std::int64_t id = 0;
    std::string created_utc;      // ISO-8601, e.g. "2025-09-01T12:00:00.000Z"
    std::string scenario_sha256;  // of record.scenario_json
    RunRecord record;
    RunResult result;
};

}  // namespace moesim::report
