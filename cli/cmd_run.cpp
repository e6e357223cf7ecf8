// `moesim run SCENARIO.json…`: validate every scenario first (nothing is simulated or written
// if any is wrong), simulate each, write each run in its own transaction, then print.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "flag_ranges.h"
#include "moesim/common/error.h"
#include "moesim/inference/max_load.h"
#include "moesim/inference/operator_costs.h"
#include "moesim/inference/serving_sim.h"
#include "moesim/inference/setup.h"
#include "moesim/reports/json_output.h"
#include "moesim/reports/results_db.h"
#include "moesim/reports/run_label.h"
#include "moesim/training/fidelity.h"
#include "moesim/training/setup.h"
#include "moesim/training/simulate.h"
#include "moesim/workload/scenario.h"
#include "options.h"
#include "progress.h"
#include "run_pipeline.h"
#include "serving_searches.h"
#include "serving_summary.h"
#include "summary.h"
#include "trace.h"

namespace moesim::cli {

namespace {

// --trace-ranks: pipeline ranks (event) or GPUs (full), by default one pipeline replica.
std::vector<int> trace_ranks_of(const std::string& list, const workload::Scenario& s, training::Fidelity fid) {
    const auto& p = s.parallelism;
    std::vector<int> defaults;
    if (fid == training::Fidelity::Full) {
        for (int r = 0; r < p.pp; ++r)
            for (int t = 0; t < p.tp; ++t) defaults.push_back(r * p.tp * p.dp + t);
        return parse_trace_ranks(list, s.cluster.gpus(), defaults, "GPU");
    }
    for (int r = 0; r < p.pp; ++r) defaults.push_back(r);
    return parse_trace_ranks(list, p.pp, defaults, "pipeline rank");
}

// A trace process per traced rank, named after its place in the layout.
std::vector<TraceProcess> trace_processes(const std::vector<int>& ranks, const workload::Scenario& s,
                                          training::Fidelity fid) {
    const auto& p = s.parallelism;
    std::vector<TraceProcess> out;
    for (int r : ranks) {
        std::string name = s.name + ": pipeline rank " + std::to_string(r);
        if (fid == training::Fidelity::Full) {
            const int block = p.tp * p.dp, q = r % block;
            name = s.name + ": GPU " + std::to_string(r) + " (pipeline rank " + std::to_string(r / block) +
                   ", data-parallel rank " + std::to_string(q / p.tp) + (p.tp > 1 ? ", TP rank " + std::to_string(q % p.tp) : "") +
                   ", EP group " + std::to_string(q / p.ep) + " rank " + std::to_string(q % p.ep) + ")";
        }
        out.push_back({r, name});
    }
    return out;
}

// --json, beside the run's DESIGN §6 keys: the rate found and every rate simulated.
nlohmann::json max_load_json(const inference::MaxLoad& m) {
    nlohmann::json probes = nlohmann::json::array();
    for (const auto& p : m.probes)
        probes.push_back({{"requests_per_s", p.requests_per_s}, {"meets_slo", p.meets}, {"ttft_p99_ms", p.ttft_p99_ms},
                          {"tpot_p99_ms", p.tpot_p99_ms}, {"requests_unfinished", p.unfinished}});
    return {{"requests_per_s", m.requests_per_s}, {"probes", probes}};
}

// --json: the search at every seed, and the spread of their answers.
nlohmann::json spread_json(const inference::MaxLoadSpread& m) {
    nlohmann::json seeds = nlohmann::json::array();
    for (const auto& r : m.seeds) {
        nlohmann::json row = {{"seed", r.seed}, {"requests_per_s", r.requests_per_s ? nlohmann::json(*r.requests_per_s) : nlohmann::json()}};
        if (!r.why_none.empty()) row["why_none"] = r.why_none;
        seeds.push_back(std::move(row));
    }
    return {{"seeds", seeds},
            {"answered", m.answered()},
            {"min_requests_per_s", m.min_requests_per_s},
            {"median_requests_per_s", m.median_requests_per_s},
            {"max_requests_per_s", m.max_requests_per_s}};
}

}  // namespace

int cmd_run(const Args& args) {
    po::options_description options("options");
    std::vector<std::string> files, sets;
    std::string db_path, fidelity, trace_path, trace_ranks, network = "closed-form";
    int seeds = 3;
    options.add_options()
        ("scenario", po::value(&files)->multitoken(), "scenario JSON files (positional)")
        ("db", po::value(&db_path)->default_value("results.sqlite"), "results database to append to")
        ("set", po::value(&sets)->composing(), "override a scenario key: /json/pointer=value (repeatable)")
        ("fidelity", po::value(&fidelity)->default_value("analytic"),
         "training scenarios: analytic, the closed-form estimate; event, one pipeline replica's schedule simulated "
         "operation by operation; full, every GPU simulated layer by layer, each at its own MoE load, collectives "
         "waiting for their group's slowest member (serving scenarios are always simulated request by request)")
        ("network", po::value(&network)->default_value("closed-form"),
         "training at --fidelity full: closed-form, each collective timed alone by the cost model; flows, every EP "
         "dispatch/combine, PP send, DP reduce-scatter/all-gather and TP collective as flows on the cluster's topology "
         "sharing links max-min fairly (with cluster.network.faults), reported per traffic class as alone vs achieved")
        ("trace", po::value(&trace_path),
         "with --fidelity event or full and one scenario: write a Chrome/Perfetto trace (JSON)")
        ("trace-ranks", po::value(&trace_ranks),
         "what to trace, e.g. 0,3,15: pipeline ranks with --fidelity event (default: all pp), GPUs with --fidelity "
         "full (default: data-parallel rank 0's GPU of each pipeline rank, tp of them with TP)")
        ("explain", "print each scenario with every default filled in, then stop (nothing is simulated or written)")
        ("json", "print {\"runs\": [...]} on stdout instead of the summary")
        ("find-max-load", "serving scenarios: find the highest Poisson request rate that meets the scenario's slo, "
         "print it, and record the run at that rate; for a disaggregated deployment also each pool's highest rate "
         "alone and the prefill:decode ratio they imply")
        ("find-ratio", "disaggregated serving scenarios: find the number of prefill instances (the decode instances as "
         "given) whose highest rate meeting the slo gives the most output tokens per GPU-hour over both pools; print "
         "the counts tried and record the run at the best count and its rate")
        ("seeds", po::value<int>(&seeds)->default_value(3),
         "with --find-max-load: repeat the search with this many seeds (the scenario's and the next ones, in "
         "parallel) and print the spread of their answers; the run recorded is the scenario's seed's")
        ("allow-memory-overflow", "simulate layouts that do not fit in GPU memory instead of refusing them")
        ("quiet", "no progress on stderr (shown only on a terminal, for --find-max-load and --fidelity full runs "
         "past 2 s)");
    po::positional_options_description positional;
    positional.add("scenario", -1);
    po::variables_map vm;
    if (!parse_options(args, "moesim run SCENARIO.json... [options]", options, positional, vm)) return 0;
    if (files.empty()) throw UserError("no scenario file given (usage: moesim run SCENARIO.json... [options])");
    const training::Fidelity fid = training::fidelity_from_string(fidelity);
    if (fid == training::Fidelity::Invalid)
        throw UserError("--fidelity " + fidelity + ": expected " + training::fidelity_choices());
    if (network != "closed-form" && network != "flows")
        throw UserError("--network " + network + ": expected closed-form or flows");
    const bool network_flows = network == "flows";
    if (network_flows && fid != training::Fidelity::Full)
        throw UserError("--network flows: the flows run inside the full simulation; add --fidelity full");
    const bool tracing = vm.count("trace") > 0;
    if (vm.count("trace-ranks") && !tracing) throw UserError("--trace-ranks needs --trace FILE");
    if (tracing && fid == training::Fidelity::Analytic)
        throw UserError("--trace " + trace_path + ": a trace needs a simulation; add --fidelity event or --fidelity full");
    if (tracing && files.size() != 1)
        throw UserError("--trace " + trace_path + ": give exactly one scenario when writing a trace (got " +
                        std::to_string(files.size()) + ")");
    if (tracing) {
        std::error_code ec;
        const auto dir = std::filesystem::absolute(trace_path, ec).parent_path();
        if (!std::filesystem::is_directory(dir, ec))
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
    for (const auto& f : files) prepared.push_back(prepare_scenario(f, sets, vm.count("allow-memory-overflow") > 0));

    const bool find_max_load = vm.count("find-max-load") > 0;
    const bool find_ratio = vm.count("find-ratio") > 0;
    check_flag_ranges(vm, run_flag_ranges());
    if (find_ratio && find_max_load)
        throw UserError("--find-ratio searches the request rate at every count of prefill instances it tries; drop "
                        "--find-max-load");
    if (!vm["seeds"].defaulted() && !find_max_load)
        throw UserError("--seeds " + std::to_string(seeds) + ": repeats the --find-max-load search; add --find-max-load");
    for (const auto& p : prepared) {
        if (p.serving && network_flows)
            throw UserError("--network flows times a training step's collectives; " + p.scenario.source_file +
                            " is a serving scenario");
        if (!p.serving && !p.scenario.cluster.network.faults.empty() && !network_flows)
            throw ScenarioError(p.scenario.source_file, "/cluster/network/faults",
                                "faults are simulated by --fidelity full --network flows only (the closed form times "
                                "each collective alone on a healthy fabric); add those flags");
        if (p.serving && tracing)
            throw UserError("--trace " + trace_path + ": traces are written for training scenarios; " +
                            p.scenario.source_file + " is a serving scenario");
        if (!p.serving && find_max_load)
            throw UserError("--find-max-load searches the request rate of serving scenarios; " + p.scenario.source_file +
                            " is a training scenario");
        if (find_ratio && (!p.serving || p.scenario.inference.deployment != workload::Deployment::Disaggregated))
            throw UserError("--find-ratio searches the number of prefill instances of a disaggregated serving "
                            "deployment; " + p.scenario.source_file + " is " +
                            (p.serving ? "colocated (one pool)" : "a training scenario"));
    }
    std::vector<int> traced_ranks;
    if (tracing) traced_ranks = trace_ranks_of(trace_ranks, prepared.front().scenario, fid);

    // Everything is simulated before the database is opened: a search that finds no rate
    // meeting the SLO is the user's error, and then nothing is written.
    std::vector<report::PendingRun> runs;
    std::vector<ServingOutcome> serving(prepared.size());
    std::vector<training::TimelineEntry> traced;
    for (std::size_t i = 0; i < prepared.size(); ++i) {
        // Progress of the long simulations: the search's rates, or a full step's operations.
        const bool searched = prepared[i].serving && (find_max_load || find_ratio);
        const bool full = !prepared[i].serving && fid == training::Fidelity::Full;
        Progress progress(find_ratio ? "prefill counts searched" : searched ? "rates probed" : "GPU operations", 0, (searched || full) && !vm.count("quiet"));
        const ProgressHook hook = [&progress](std::int64_t done, std::int64_t total) { progress.set(done, total); };
        runs.push_back(simulate_run(prepared[i], fid, sets, find_max_load, traced_ranks, serving[i], traced, seeds,
                                    searched || full ? hook : ProgressHook{}, {find_max_load, find_ratio}, network_flows));
    }
    report::ResultsDb db(db_path);
    for (std::size_t i = 0; i < runs.size(); ++i) runs[i].record.calibration_id = record_profile(db, prepared[i].profile());
    const std::vector<std::int64_t> ids = db.write_many(runs);
    // The trace is written only once the run has been simulated and recorded.
    if (tracing) write_trace(trace_path, traced, trace_processes(traced_ranks, prepared.front().scenario, fid));

    if (vm.count("json")) {
        nlohmann::json out = {{"runs", nlohmann::json::array()}};
        for (std::size_t i = 0; i < runs.size(); ++i) {
            nlohmann::json run = report::run_to_json(ids[i], runs[i].record, runs[i].result);
            if (serving[i].max_load) run["max_load"] = max_load_json(*serving[i].max_load);
            if (serving[i].spread) run["max_load"]["over_seeds"] = spread_json(*serving[i].spread);
            if (serving[i].pools) run["max_load"]["pools"] = pools_json(*serving[i].pools);
            if (serving[i].ratio)
                run["ratio"] = ratio_json(*serving[i].ratio, prepared[i].scenario.inference.decode.instances);
            out["runs"].push_back(std::move(run));
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (i) std::cout << "\n";
        if (prepared[i].serving) {
            const ServingOutcome& o = serving[i];
            const workload::Scenario& s = prepared[i].scenario;
            print_serving_summary(
                std::cout, *prepared[i].serving,
                o.ratio ? inference::with_prefill_instances(s, o.ratio->answer().prefill_instances) : s, o.result(),
                o.max_load ? &*o.max_load : nullptr, o.spread ? &*o.spread : nullptr, o.pools ? &*o.pools : nullptr,
                o.ratio ? &*o.ratio : nullptr);
        } else {
            print_training_summary(std::cout, *prepared[i].training, std::get<training::TrainingResult>(runs[i].result));
        }
        std::cout << "written: run " << ids[i] << " in " << db.path() << "\n";
    }
    return 0;
}

}  // namespace moesim::cli
