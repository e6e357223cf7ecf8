#include "sweep_point.h"

#include "moesim/common/error.h"
#include "moesim/reports/run_wire.h"
#include "run_pipeline.h"

namespace moesim::cli {

namespace {

// Why a point cannot run, as a short category: memory, or the JSON path the checks named.
void classify(const UserError& e, PointOutcome& out) {
    out.skip_message = e.what();
    out.skip_reason = refusal_reason(e);
}

}  // namespace

PointOutcome run_point(const SweepSpec& spec, const std::vector<std::string>& sets, training::Fidelity fid) {
    PointOutcome out;
    try {
        const Prepared p = prepare_scenario(spec.scenario, sets, false);
        ServingOutcome serving;
        std::vector<training::TimelineEntry> traced;
        out.run = simulate_run(p, fid, sets, spec.find_max_load, {}, serving, traced);
        out.calibration = calibration_record(p.profile());
    } catch (const UserError& e) {
        classify(e, out);
    }
    return out;
}

nlohmann::json outcome_to_wire(const PointOutcome& outcome) {
    if (!outcome.run) return {{"skip_reason", outcome.skip_reason}, {"skip_message", outcome.skip_message}};
    return {{"run", report::run_to_wire(*outcome.run)}, {"calibration", report::calibration_to_wire(*outcome.calibration)}};
}

PointOutcome outcome_from_wire(const nlohmann::json& wire) {
    PointOutcome out;
    if (wire.contains("run")) {
        out.run = report::run_from_wire(wire.at("run"));
        out.calibration = report::calibration_from_wire(wire.at("calibration"));
    } else {
        out.skip_reason = wire.value("skip_reason", "");
        out.skip_message = wire.value("skip_message", "");
    }
    return out;
}

}  // namespace moesim::cli
