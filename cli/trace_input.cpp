#include "trace_input.h"

#include <filesystem>

#include "moesim/calib/trace_fit.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "moesim/reports/sha256.h"
#include "moesim/workload/scenario.h"

namespace moesim::cli {

std::string file_sha256(const std::string& path) {
    report::Sha256 h;
    h.update(read_input_file(path, "profiler trace", kMaxTraceBytes));
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (auto b : h.finish()) out += {hex[b >> 4], hex[b & 15]};
    return out;
}

TraceInput load_trace_input(const std::string& trace_file, const std::string& scenario_file,
                            const std::optional<std::string>& rules_file, const std::optional<std::string>& profile) {
    TraceInput in;
    const calib::RuleTable bundled = calib::RuleTable::bundled();
    const calib::RuleTable rules = rules_file ? bundled.with_overrides(calib::RuleTable::read(*rules_file)) : bundled;
    workload::Scenario s = workload::load_scenario(scenario_file);
    if (s.mode != workload::Mode::Training)
        throw UserError(scenario_file + ": /mode: a trace is of a training step; this is a serving scenario");
    if (profile) s.cluster.calibration = std::filesystem::absolute(*profile).string();
    in.setup = training::prepare_training(s);
    in.trace = calib::read_trace(trace_file);
    in.sha256 = file_sha256(trace_file);
    in.summary = calib::summarize(in.trace, rules);
    if (in.summary.forward_layers == 0)
        throw CalibrationError(trace_file + ": no attention kernel the rules mark as a layer's (layer \"forward\"): "
                               "cannot count the layers the trace shows (add a rule with --rules)");
    in.pair = trace_pair(*in.setup, in.summary.forward_layers, trace_file);
    calib::check_trace_matches(in.trace, in.summary, in.pair.work);
    return in;
}

}  // namespace moesim::cli
