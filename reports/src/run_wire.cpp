#include "moesim/reports/run_wire.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "moesim/common/error.h"
#include "result_columns.h"

namespace moesim::report {

namespace {

using nlohmann::json;

template <class Record, class Visit>  // Record: RunRecord or const RunRecord
void visit_record_fields(Record& r, Visit&& visit) {
    visit("name", r.name);
    visit("mode", r.mode);
    visit("model", r.model);
    visit("gpu", r.gpu);
    visit("gpus", r.gpus);
    visit("seed", r.seed);
    visit("sim_wall_s", r.sim_wall_s);
    visit("scenario_json", r.scenario_json);
    visit("tool_version", r.tool_version);
    visit("git_revision", r.git_revision);
    visit("calibration_id", r.calibration_id);
    visit("fidelity", r.fidelity);
    visit("overrides", r.overrides);
    visit("label", r.label);
    visit("sweep_id", r.sweep_id);
}

template <class Calibration, class Visit>
void visit_calibration_fields(Calibration& c, Visit&& visit) {
    visit("name", c.name);
    visit("gpu", c.gpu);
    visit("profile_json", c.profile_json);
    visit("provenance", c.provenance);
}

template <class T>
json encode(const T& value) {
    if constexpr (is_optional<T>::value) {
        return value ? encode(*value) : json(nullptr);
    } else if constexpr (std::is_floating_point_v<T>) {
        if (std::isfinite(value)) return value;  // nlohmann prints doubles so that they read back exactly
        return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    } else {
        return value;
    }
}

template <class T>
void decode(const json& j, T& value) {
    if constexpr (is_optional<T>::value) {
        if (j.is_null()) {
            value.reset();
        } else {
            typename T::value_type inner{};
            decode(j, inner);
            value = std::move(inner);
        }
    } else if constexpr (std::is_floating_point_v<T>) {
        if (j.is_string()) {
            const auto& s = j.get_ref<const std::string&>();
            MOESIM_CHECK(s == "nan" || s == "inf" || s == "-inf", "run wire: \"" + s + "\" is not a number");
            value = s == "nan" ? std::numeric_limits<T>::quiet_NaN()
                               : (s == "inf" ? 1 : -1) * std::numeric_limits<T>::infinity();
        } else {
            value = j.get<T>();
        }
    } else {
        value = j.get<T>();
    }
}

template <class Object, class VisitFields>
json fields_to_wire(const Object& object, VisitFields visit_fields) {
    json out = json::object();
    visit_fields(object, [&](const char* name, const auto& value) { out[name] = encode(value); });
    return out;
}

template <class Object, class VisitFields>
Object fields_from_wire(const json& wire, VisitFields visit_fields) {
    Object object{};
    visit_fields(object, [&](const char* name, auto& value) { decode(wire.at(name), value); });
    return object;
}

// Reading a wire document that is not what we wrote is our bug (both ends are moesim).
template <class F>
auto checked(const char* what, F&& read) {
    try {
        return read();
    } catch (const json::exception& e) {
        throw InternalError(std::string("run wire: malformed ") + what + ": " + e.what());
    }
}

}  // namespace

json run_to_wire(const PendingRun& run) {
    json result;
    if (const auto* t = std::get_if<training::TrainingResult>(&run.result)) {
        result = {{"mode", "training"},
                  {"fidelity", t->fidelity},
                  {"columns", fields_to_wire(*t, [](auto& r, auto&& v) { visit_training_columns(r, v); })},
                  {"assumptions", t->assumptions},
                  {"breakdown", json::array()}};
        for (const auto& e : t->breakdown)
            result["breakdown"].push_back({{"phase", e.phase}, {"category", e.category}, {"seconds", encode(e.seconds)}});
    } else {
        const auto& s = std::get<inference::InferenceResult>(run.result);
        result = {{"mode", "inference"},
                  {"fidelity", s.fidelity},
                  {"columns", fields_to_wire(s, [](auto& r, auto&& v) { visit_inference_columns(r, v); })},
                  {"assumptions", s.assumptions}};
    }
    return {{"record", fields_to_wire(run.record, [](auto& r, auto&& v) { visit_record_fields(r, v); })},
            {"result", std::move(result)}};
}

PendingRun run_from_wire(const json& wire) {
    return checked("run", [&] {
        PendingRun run;
        run.record = fields_from_wire<RunRecord>(wire.at("record"), [](auto& r, auto&& v) { visit_record_fields(r, v); });
        const json& result = wire.at("result");
        const std::string mode = result.at("mode").get<std::string>();
        MOESIM_CHECK(mode == "training" || mode == "inference", "run wire: mode \"" + mode + "\"");
        if (mode == "training") {
            auto t = fields_from_wire<training::TrainingResult>(
                result.at("columns"), [](auto& r, auto&& v) { visit_training_columns(r, v); });
            t.fidelity = result.at("fidelity").get<std::string>();
            t.assumptions = result.at("assumptions").get<std::vector<std::string>>();
            for (const json& e : result.at("breakdown")) {
                training::BreakdownEntry entry{e.at("phase").get<std::string>(), e.at("category").get<std::string>()};
                decode(e.at("seconds"), entry.seconds);
                t.breakdown.push_back(std::move(entry));
            }
            run.result = std::move(t);
        } else {
            auto s = fields_from_wire<inference::InferenceResult>(
                result.at("columns"), [](auto& r, auto&& v) { visit_inference_columns(r, v); });
            s.fidelity = result.at("fidelity").get<std::string>();
            s.assumptions = result.at("assumptions").get<std::vector<std::string>>();
            run.result = std::move(s);
        }
        return run;
    });
}

json calibration_to_wire(const CalibrationRecord& calibration) {
    return fields_to_wire(calibration, [](auto& c, auto&& v) { visit_calibration_fields(c, v); });
}

CalibrationRecord calibration_from_wire(const json& wire) {
    return checked("calibration", [&] {
        return fields_from_wire<CalibrationRecord>(wire, [](auto& c, auto&& v) { visit_calibration_fields(c, v); });
    });
}

}  // namespace moesim::report
