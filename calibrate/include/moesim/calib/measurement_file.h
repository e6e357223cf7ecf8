#pragma once
// The raw output of a calibration run as a file: the device, the plan and every measured
// point, exactly as kernels::run_suite returned them. `moesim calibrate --save-measurements
// FILE` writes one; `moesim calibrate --measurements FILE` fits a profile from one without
// running the kernels (on any machine), so a GPU run's raw output can be kept beside its
// profile and fitted again.
//
// Document: {"format": 1, "kind": "moesim-measurements", "created": "YYYY-MM-DD",
//   "tool_version": "...", "device": {every DeviceInfo field}, "plan": {"quick", "warmup",
//   "repetitions", "kinds"}, "measurements": [{every Measurement field, shape an object of numbers}]}.
// Every key is required; unknown keys are errors; errors name the file and the JSON path
// (CalibrationError). A larger format was written by a newer moesim and is refused.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/kernels/runner.h"

namespace moesim::calib {

inline constexpr int kMeasurementFileFormat = 1;

struct MeasurementFile {
    std::string created;       // "YYYY-MM-DD"
    std::string tool_version;  // the moesim that measured
    kernels::DeviceInfo device;
    kernels::SuitePlan plan;
    std::vector<kernels::Measurement> measurements;
};

nlohmann::json to_json(const MeasurementFile& f);
// `file` names the document in errors.
MeasurementFile measurement_file_from_json(const nlohmann::json& j, const std::string& file);
// Reads and parses FILE (CalibrationError when it cannot be read or is malformed).
MeasurementFile read_measurement_file(const std::string& path);

}  // namespace moesim::calib
