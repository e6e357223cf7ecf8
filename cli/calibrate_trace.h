#pragma once
// `moesim calibrate --from-trace TRACE.json --scenario S.json [--out P.json] [--db PATH]
// [--rules FILE] [--json]`: a calibration profile fitted from a profiler trace
// (calibrate/trace_fit.h) against the operators of the traced configuration (trace_pair.h).
// Prints per class its kernels, count, time and fitted efficiency, and every kernel no rule
// names with its time; writes the profile and, in the results database, one row per class
// and per unnamed kernel. Anything refused exits 2 with nothing written.
#include <optional>
#include <string>

namespace moesim::cli {

struct TraceCalibrateOptions {
    std::string trace, scenario;
    std::optional<std::string> out, rules;
    std::string db_path;
    bool json = false;
};

int calibrate_from_trace(const TraceCalibrateOptions& options);

}  // namespace moesim::cli
