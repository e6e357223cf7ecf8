// `moesim run SCENARIO.json…`: validate every scenario first (nothing is simulated or written
// if any is wrong), simulate each, write each run in its own transaction, then print.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "moesim/common/error.h"
#include "moesim/reports/json_output.h"
#include "moesim/reports/results_db.h"
#include "moesim/training/analytic.h"
#include "moesim/training/event_sim.h"
#include "moesim/training/setup.h"
#include "moesim/workload/scenario.h"
#include "options.h"
#include "summary.h"
#include "trace.h"

namespace moesim::cli {

namespace {

struct Prepared {
    workload::Scenario scenario;
    std::unique_ptr<training::TrainingSetup> training;
};

Prepared prepare(const std::string& file, const std::vector<std::string>& sets, bool allow_memory_overflow) {
    Prepared p;
    p.scenario = workload::load_scenario(file, sets);
    if (p.scenario.mode == workload::Mode::Inference)
        throw ScenarioError(file, "/mode",
                            "\"inference\": serving simulation is not built yet in this version of moesim (the "
                            "scenario itself is valid: `moesim run --explain` prints it); see the README, 'What is "
                            "not built yet'");
    p.training = training::prepare_training(p.scenario, allow_memory_overflow);
    return p;
}

// The profile a run used, stored once (the store de-duplicates identical documents).
std::int64_t record_profile(report::ResultsDb& db, const hw::CalibrationProfile& profile) {
    report::CalibrationRecord c;
    c.name = profile.name();
    c.gpu = profile.gpu();
    c.profile_json = profile.document();
    c.provenance = profile.kind() + ": " + profile.source() + (profile.created().empty() ? "" : " (" + profile.created() + ")");
    return db.record_calibration(c);
}

}  // namespace

int cmd_run(const Args& args) {
    po::options_description options("options");
    std::vector<std::string> files, sets;
    std::string db_path, fidelity, trace_path, trace_ranks;
    options.add_options()
        ("scenario", po::value(&files)->multitoken(), "scenario JSON files (positional)")
        ("db", po::value(&db_path)->default_value("results.sqlite"), "results database to append to")
        ("set", po::value(&sets)->composing(), "override a scenario key: /json/pointer=value (repeatable)")
        ("fidelity", po::value(&fidelity)->default_value("analytic"),
         "analytic: the closed-form estimate; event: the schedule simulated operation by operation")
        ("trace", po::value(&trace_path), "with --fidelity event and one scenario: write a Chrome/Perfetto trace (JSON)")
        ("trace-ranks", po::value(&trace_ranks), "pipeline ranks to trace, e.g. 0,3,15 (default: all pp ranks)")
        ("explain", "print each scenario with every default filled in, then stop (nothing is simulated or written)")
        ("json", "print {\"runs\": [...]} on stdout instead of the summary")
        ("allow-memory-overflow", "simulate layouts that do not fit in GPU memory instead of refusing them");
    po::positional_options_description positional;
    positional.add("scenario", -1);
    po::variables_map vm;
    if (!parse_options(args, "moesim run SCENARIO.json... [options]", options, positional, vm)) return 0;
    if (files.empty()) throw UserError("no scenario file given (usage: moesim run SCENARIO.json... [options])");
    if (fidelity != "analytic" && fidelity != "event")
        throw UserError("--fidelity " + fidelity + ": expected \"analytic\" or \"event\"");
    const bool tracing = vm.count("trace") > 0;
    if (vm.count("trace-ranks") && !tracing) throw UserError("--trace-ranks needs --trace FILE");
    if (tracing && fidelity != "event")
        throw UserError("--trace " + trace_path + ": a trace needs the event simulation; add --fidelity event");
    if (tracing && files.size() != 1)
        throw UserError("--trace " + trace_path + ": give exactly one scenario when writing a trace (got " +
                        std::to_string(files.size()) + ")");
    if (tracing) {
        const auto dir = std::filesystem::absolute(trace_path).parent_path();
        if (!std::filesystem::is_directory(dir))
            throw UserError("--trace " + trace_path + ": directory " + dir.string() + " does not exist");
    }

    // --explain shows what each file means, every default filled in (serving scenarios
    // too); it resolves nothing, simulates nothing and writes nothing.
    if (vm.count("explain")) {
        for (const auto& f : files) std::cout << workload::to_json(workload::load_scenario(f, sets)).dump(2) << "\n";
        return 0;
    }

    // Every scenario is checked — parsed, resolved against its model and GPU, fitted in
    // memory — before anything is simulated or written.
    std::vector<Prepared> prepared;
    for (const auto& f : files) prepared.push_back(prepare(f, sets, vm.count("allow-memory-overflow") > 0));

    std::vector<int> traced_ranks;
    if (tracing) traced_ranks = parse_trace_ranks(trace_ranks, prepared.front().scenario.parallelism.pp);

    report::ResultsDb db(db_path);
    std::vector<report::PendingRun> runs;
    std::optional<training::EventRun> traced;
    for (const auto& p : prepared) {
        const auto start = std::chrono::steady_clock::now();
        training::TrainingResult result;
        if (fidelity == "event") {
            training::EventOptions eo;
            eo.record_timeline = tracing;
            training::EventRun ev = training::run_step_event(*p.training, eo);
            result = ev.result;
            if (tracing) traced = std::move(ev);
        } else {
            result = training::estimate_step_analytic(*p.training);
        }
        const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        report::RunRecord rec;
        rec.name = p.scenario.name;
        rec.mode = workload::to_string(p.scenario.mode);
        rec.model = p.scenario.model;
        rec.gpu = p.scenario.cluster.gpu;
        rec.gpus = p.scenario.cluster.gpus();
        rec.seed = static_cast<std::int64_t>(p.scenario.seed);
        rec.sim_wall_s = wall_s;
        rec.scenario_json = workload::to_json(p.scenario).dump();
        rec.tool_version = MOESIM_VERSION;
        rec.git_revision = MOESIM_GIT_REVISION;
        rec.fidelity = result.fidelity;
        rec.calibration_id = record_profile(db, p.training->profile);
        runs.push_back({std::move(rec), std::move(result)});
    }
    const std::vector<std::int64_t> ids = db.write_many(runs);
    // The trace is written only once the run has been simulated and recorded.
    if (traced) write_trace(trace_path, *traced, traced_ranks, prepared.front().scenario.name);

    if (vm.count("json")) {
        nlohmann::json out = {{"runs", nlohmann::json::array()}};
        for (std::size_t i = 0; i < runs.size(); ++i) out["runs"].push_back(report::run_to_json(ids[i], runs[i].record, runs[i].result));
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (i) std::cout << "\n";
        print_training_summary(std::cout, *prepared[i].training, std::get<training::TrainingResult>(runs[i].result));
        std::cout << "written: run " << ids[i] << " in " << db.path() << "\n";
    }
    return 0;
}

}  // namespace moesim::cli
