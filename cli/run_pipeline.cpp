#include "run_pipeline.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "moesim/reports/run_label.h"

namespace moesim::cli {

namespace {

// Simulates a serving scenario (at the highest rate meeting its SLO with --find-max-load) and
// adds what the CLI knows to its assumptions. `recorded` becomes the scenario as run.
ServingOutcome simulate_serving(const Prepared& p, bool find_max_load, int seeds, workload::Scenario& recorded,
                                const ProgressHook& progress, ServingSearches searches) {
    ServingOutcome out;
    const bool disaggregated = p.scenario.inference.deployment == workload::Deployment::Disaggregated;
    if (searches.ratio) {
        inference::RatioOptions options;
        options.progress = progress;
        out.ratio = inference::find_ratio(p.scenario, inference::scenario_costs, options);
        out.max_load = std::move(*out.ratio->best_load);
        out.ratio->best_load.reset();
        out.pools = out.ratio->pools;
        const int n = out.ratio->answer().prefill_instances;
        recorded = inference::with_prefill_instances(p.scenario, n);
        recorded.inference.traffic.requests_per_s = out.max_load->requests_per_s;
        out.max_load->run.result.assumptions.insert(
            out.max_load->run.result.assumptions.begin(),
            "--find-ratio: inference.prefill.instances set to " + std::to_string(n) + " (cluster.nodes " +
                std::to_string(recorded.cluster.nodes) + "), of " + std::to_string(out.ratio->tried.size()) +
                " counts searched from " + std::to_string(out.ratio->start_prefill_instances) +
                " (the pools' implied ratio), the one giving the most output tokens per GPU-hour over both pools at "
                "its highest rate meeting the slo");
    } else if (find_max_load) {
        inference::MaxLoadOptions options;
        options.progress = progress;
        out.max_load = inference::find_max_load(p.scenario, *p.costs, options);
        if (seeds > 1)
            out.spread = inference::max_load_spread(p.scenario, *out.max_load, seeds,
                                                    static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
        recorded.inference.traffic.requests_per_s = out.max_load->requests_per_s;
        if (searches.pools && disaggregated) {
            inference::MaxLoadOptions quiet;
            out.pools = inference::pool_capacities(p.scenario, inference::scenario_costs, quiet);
        }
    } else {
        out.run = inference::simulate_serving(p.scenario, *p.costs);
    }
    auto& assumptions = (out.max_load ? out.max_load->run : *out.run).result.assumptions;
    if (out.max_load)
        assumptions.insert(assumptions.begin(),
                           std::string(out.ratio ? "--find-ratio" : "--find-max-load") + ": traffic.requests_per_s set to " +
                               std::to_string(out.max_load->requests_per_s) +
                               ", the highest of " + std::to_string(out.max_load->probes.size()) +
                               " rates simulated (doubling or halving from the scenario's, then bisecting to 2%) at "
                               "which p99 TTFT and TPOT meet the slo");
    assumptions.push_back("iteration times from the operator model (operator_costs.h) with calibration profile '" +
                          p.serving->profile.name() + "'");
    assumptions.push_back("memory per prefill GPU: " + inference::describe_memory(p.serving->prefill));
    assumptions.push_back("memory per decode GPU: " + inference::describe_memory(p.serving->decode));
    return out;
}

}  // namespace

Prepared prepare_scenario(const std::string& file, const std::vector<std::string>& sets, bool allow_memory_overflow) {
    return prepare_scenario(workload::load_scenario(file, sets), allow_memory_overflow);
}

Prepared prepare_scenario(workload::Scenario scenario, bool allow_memory_overflow) {
    Prepared p;
    p.scenario = std::move(scenario);
    if (p.scenario.mode == workload::Mode::Inference) {
        p.serving = inference::prepare_serving(p.scenario);
        p.costs = inference::make_operator_costs(*p.serving);
        const workload::Traffic& t = p.scenario.inference.traffic;
        if (t.arrival == workload::Arrival::Trace)  // a bad trace is refused before anything runs
            inference::read_request_trace(t.trace_file, p.scenario.source_file, p.scenario.source_dir);
        return p;
    }
    p.training = training::prepare_training(p.scenario, allow_memory_overflow);
    return p;
}


report::PendingRun simulate_run(const Prepared& p, training::Fidelity fid, const std::vector<std::string>& sets,
                                bool find_max_load, const std::vector<int>& trace_ranks, ServingOutcome& serving,
                                std::vector<training::TimelineEntry>& traced, int max_load_seeds,
                                const ProgressHook& progress, ServingSearches searches, bool network_flows) {
    workload::Scenario recorded = p.scenario;
    const auto start = std::chrono::steady_clock::now();
    report::RunResult result;
    if (p.serving) {
        serving = simulate_serving(p, find_max_load || searches.ratio, max_load_seeds, recorded, progress, searches);
        result = serving.result().result;
    } else {
        training::StepOptions options;
        options.trace_ranks = trace_ranks;
        options.progress = progress;
        options.network_flows = network_flows;
        training::TrainingRun run = training::simulate_training(*p.training, fid, options);
        result = std::move(run.result);
        traced = std::move(run.timeline);
    }
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report::RunRecord rec;
    rec.name = p.scenario.name;
    rec.mode = workload::to_string(p.scenario.mode);
    rec.model = p.scenario.model;
    rec.gpu = p.scenario.cluster.gpu;
    rec.gpus = recorded.cluster.gpus();
    rec.seed = static_cast<std::int64_t>(p.scenario.seed);
    rec.sim_wall_s = wall_s;
    rec.scenario_json = workload::to_json(recorded).dump();
    rec.tool_version = MOESIM_VERSION;
    rec.git_revision = MOESIM_GIT_REVISION;
    rec.fidelity = std::visit([](const auto& r) { return r.fidelity; }, result);
    rec.overrides = sets;
    if (serving.ratio) {
        rec.overrides.push_back("/inference/prefill/instances=" + std::to_string(recorded.inference.prefill.instances));
        rec.overrides.push_back("/cluster/nodes=" + std::to_string(recorded.cluster.nodes));
    }
    if (serving.max_load) rec.overrides.push_back(report::max_load_override(serving.max_load->requests_per_s));
    rec.label = report::run_label(rec.name, rec.overrides);
    return {std::move(rec), std::move(result)};
}

std::string refusal_reason(const UserError& e) {
    const auto* s = dynamic_cast<const ScenarioError*>(&e);
    if (dynamic_cast<const MemoryFitError*>(&e)) return "does not fit in GPU memory";
    if (s && !s->json_path().empty()) return "refused at " + s->json_path();
    return "refused";
}

report::CalibrationRecord calibration_record(const hw::CalibrationProfile& profile) {
    report::CalibrationRecord c;
    c.name = profile.name();
    c.gpu = profile.gpu();
    c.profile_json = profile.document();
    c.provenance = profile.kind() + ": " + profile.source() + (profile.created().empty() ? "" : " (" + profile.created() + ")");
    return c;
}

std::int64_t record_profile(report::ResultsDb& db, const hw::CalibrationProfile& profile) {
    return db.record_calibration(calibration_record(profile));
}

}  // namespace moesim::cli
