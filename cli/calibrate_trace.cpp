#include "calibrate_trace.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "format.h"
#include "moesim/calib/profile_text.h"
#include "moesim/calib/trace_fit.h"
#include "moesim/common/error.h"
#include "moesim/reports/results_db.h"
#include "staged_files.h"
#include "trace_input.h"

namespace moesim::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ms(double us) { return fixed(us / 1000.0, 3); }

json summary_json(const TraceInput& in) {
    json classes = json::array();
    for (const auto& c : in.summary.classes)
        classes.push_back({{"class", c.klass}, {"model", calib::to_string(c.model)}, {"rule_from", c.origin},
                           {"count", c.count}, {"time_us", c.time_us}, {"kernels", c.kernels}});
    json unclassified = json::array();
    for (const auto& u : in.summary.unclassified)
        unclassified.push_back({{"name", u.name}, {"count", u.count}, {"time_us", u.time_us}});
    return {{"trace", {{"file", fs::path(in.trace.file).filename().string()},
                       {"sha256", in.sha256},
                       {"device", in.trace.device_name},
                       {"events", in.trace.kernels.size()},
                       {"other_events", in.trace.other_events},
                       {"span_us", in.summary.span_us},
                       {"layers_forward", in.summary.forward_layers},
                       {"layers_backward", in.summary.backward_layers}}},
            {"scenario", {{"name", in.pair.work.scenario}, {"pair", in.pair.work.what}}},
            {"classes", classes},
            {"not_modelled_us", in.summary.model_time_us(calib::ModelClass::None)},
            {"unclassified_us", in.summary.unclassified_us()},
            {"unclassified", unclassified}};
}

void print_summary(const TraceInput& in, std::ostream& out) {
    out << "trace " << fs::path(in.trace.file).filename().string() << " (sha256 " << in.sha256.substr(0, 16) << "…): "
        << (in.trace.device_name.empty() ? "no deviceProperties" : in.trace.device_name) << ", "
        << in.trace.kernels.size() << " GPU events on " << in.summary.streams.size() << " streams, span "
        << ms(in.summary.span_us) << " ms, " << in.summary.forward_layers << " forward + " << in.summary.backward_layers
        << " backward layers; " << in.trace.other_events << " CPU/other events ignored\n"
        << "scenario " << in.pair.work.scenario << ": " << in.pair.work.what << "\n\n";
    out << std::left << std::setw(20) << "class" << std::setw(18) << "model" << std::right << std::setw(8) << "names"
        << std::setw(8) << "count" << std::setw(12) << "time_ms" << "\n";
    for (const auto& c : in.summary.classes)
        out << std::left << std::setw(20) << c.klass << std::setw(18) << calib::to_string(c.model) << std::right
            << std::setw(8) << c.kernels.size() << std::setw(8) << c.count << std::setw(12) << ms(c.time_us)
            << (c.origin == "bundled" ? "" : "  (rule from " + c.origin + ")") << "\n";
    out << "not modelled (model none): " << ms(in.summary.model_time_us(calib::ModelClass::None)) << " ms\n";
    out << "unclassified (no rule): " << ms(in.summary.unclassified_us()) << " ms in " << in.summary.unclassified.size()
        << " kernel names\n";
    for (const auto& u : in.summary.unclassified)
        out << "  " << std::setw(6) << u.count << " x " << std::setw(10) << ms(u.time_us) << " ms  \"" << u.name << "\"\n";
}

}  // namespace

int calibrate_from_trace(const TraceCalibrateOptions& o) {
    const TraceInput in = load_trace_input(o.trace, o.scenario, o.rules, std::nullopt);
    calib::TraceFitOptions fo;
    fo.trace_name = fs::path(o.trace).filename().string();
    fo.trace_sha256 = in.sha256;
    fo.date = today_utc();
    fo.tool_version = std::string("moesim ") + MOESIM_VERSION + " (" + MOESIM_GIT_REVISION + ")";
    const calib::TraceFit fit = calib::fit_trace(in.trace, in.summary, in.pair.work, in.setup->profile, fo);
    const std::string name = fit.profile.at("name").get<std::string>();
    const fs::path out_path = o.out ? fs::path(*o.out) : fs::path("calibrations") / (name + ".json");
    check_new_file("--out", out_path, !o.out);
    const fs::path db_dir = fs::absolute(o.db_path).parent_path();
    if (!fs::is_directory(db_dir)) throw UserError("--db " + o.db_path + ": directory " + db_dir.string() + " does not exist");

    const std::string text = calib::profile_text(fit.profile);
    StagedFiles files;
    files.add("--out", out_path, text);
    report::ResultsDb db(o.db_path);
    report::CalibrationRecord record;
    record.name = name;
    record.gpu = in.pair.work.gpu.name;
    record.profile_json = hw::CalibrationProfile::from_json(json::parse(text), out_path.string()).document();
    record.provenance = "fitted from the trace " + fo.trace_name + " (sha256 " + in.sha256 + ") against scenario " +
                        in.pair.work.scenario + " (" + fo.date + ") by " + fo.tool_version;
    std::vector<report::CalibrationPoint> points;
    for (const auto& c : in.summary.classes) {
        std::string names;
        for (const auto& k : c.kernels) names += (names.empty() ? "" : "; ") + k;
        points.push_back({"trace_class", c.klass, c.time_us, "us",
                          std::to_string(c.count) + " kernels, model class " + calib::to_string(c.model) + ": " + names});
    }
    for (const auto& u : in.summary.unclassified)
        points.push_back({"trace_unclassified", u.name, u.time_us, "us", std::to_string(u.count) + " kernels no rule names"});
    const std::int64_t id = db.record_calibration(record, points);
    files.commit();

    if (o.json) {
        json j = summary_json(in);
        json fitted = json::array();
        for (const auto& f : fit.classes)
            fitted.push_back({{"model", calib::to_string(f.model)}, {"kernels", f.kernels}, {"time_us", f.real_s * 1e6},
                              {"ideal_us", f.ideal_s * 1e6}, {"efficiency", f.efficiency},
                              {"latency_us", f.latency_s * 1e6}, {"base_ratio", f.base_ratio},
                              {"fitted", f.efficiency > 0 || f.latency_s > 0},
                              {"why_not", f.why_not}});
        j["fitted"] = fitted;
        j["compute_sm_share"] = in.pair.work.compute_sm_share;
        j["profile"] = {{"name", name}, {"file", out_path.string()}, {"calibration_id", id}, {"db", db.path()}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    print_summary(in, std::cout);
    std::cout << "\nfitted (efficiency = work at the " << in.pair.work.gpu.name << " peak / (time x "
              << fixed(in.pair.work.compute_sm_share, 3) << " of the SMs for computation; DeepEP: of the NIC peak)):\n"
              << std::left << std::setw(18) << "model class" << std::right << std::setw(8) << "count" << std::setw(12)
              << "time_ms" << std::setw(12) << "ideal_ms" << std::setw(12) << "efficiency" << std::setw(12) << "x base"
              << "\n";
    for (const auto& f : fit.classes)
        std::cout << std::left << std::setw(18) << calib::to_string(f.model) << std::right << std::setw(8) << f.kernels
                  << std::setw(12) << ms(f.real_s * 1e6) << std::setw(12) << ms(f.ideal_s * 1e6) << std::setw(12)
                  << (f.efficiency > 0 ? fixed(f.efficiency, 4) : std::string("-")) << std::setw(12)
                  << (f.base_ratio > 0 ? fixed(f.base_ratio, 4) : std::string("-"))
                  << (f.latency_s > 0 ? "  latency " + fixed(f.latency_s * 1e6, 1) + " us per DeepEP call" : "")
                  << (f.why_not.empty() ? "" : "  " + f.why_not)
                  << "\n";
    std::cout << "written: " << out_path.string() << " (profile '" << name << "'); calibration " << id
              << " with one row per class and unnamed kernel in " << db.path() << "\n";
    return 0;
}

}  // namespace moesim::cli
