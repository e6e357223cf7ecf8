// `moesim validate`: runs the validation cases (bundled, or a case file given with --file)
// and prints, for each, the published figure, the simulated one and the relative error
// (DESIGN.md §5, §6). It reports and does not judge: the exit status is 0 however large the
// errors are; 2 only when the input (a flag, a case file, a scenario) is wrong. Nothing is
// written to a results database.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "format.h"
#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "moesim/inference/max_load.h"
#include "moesim/inference/operator_costs.h"
#include "moesim/inference/serving_sim.h"
#include "moesim/inference/setup.h"
#include "moesim/training/fidelity.h"
#include "moesim/training/schedule_ideal.h"
#include "moesim/training/setup.h"
#include "moesim/training/simulate.h"
#include "options.h"
#include "validation_cases.h"

namespace moesim::cli {

namespace {

struct Outcome {
    const ValidationCase* c = nullptr;
    double published = 0;
    double simulated = 0;
    double error() const { return (simulated - published) / published; }
};

// ---- bubble cases: PUBLISHED.md F ------------------------------------------------------

constexpr double kPsPerMs = 1e9;

units::Picoseconds to_ps(double ms) { return static_cast<units::Picoseconds>(std::llround(ms * kPsPerMs)); }

// The formula of PUBLISHED.md F, in picoseconds. B is the full backward (b + W); F&B an
// overlapped pair, F + B when overlap is perfect and communication free.
units::Picoseconds bubble_formula_ps(const ValidationCase& c) {
    const units::Picoseconds F = to_ps(c.f_ms), W = to_ps(c.w_ms), B = to_ps(c.b_ms) + W, FB = F + B;
    const units::Picoseconds PP = c.pp;
    switch (c.schedule) {
        case workload::Schedule::OneFOneB: return (PP - 1) * (F + B);
        case workload::Schedule::ZB1P: return (PP - 1) * (F + B - 2 * W);
        case workload::Schedule::DualPipe:
        case workload::Schedule::DualPipeV: return (PP / 2 - 1) * (FB + B - 3 * W);
        default: MOESIM_CHECK(false, "bubble case with a schedule PUBLISHED.md F has no formula for");
    }
    return 0;
}

// The idealized schedule simulated: the largest idle time of any rank's compute stream.
units::Picoseconds bubble_simulated_ps(const ValidationCase& c) {
    const bool v_shape = c.schedule == workload::Schedule::DualPipeV;
    const int ranks = v_shape ? c.pp / 2 : c.pp;  // DualPipeV: PP stages on PP/2 devices
    training::IdealDurations d;
    d.f_ps = to_ps(c.f_ms);
    d.b_ps = to_ps(c.b_ms);
    d.w_ps = to_ps(c.w_ms);
    const training::IdealRun run = training::simulate_schedule_ideal(c.schedule, ranks, c.micro_batches, d);
    units::Picoseconds idle = 0;
    for (int r = 0; r < ranks; ++r) idle = std::max(idle, run.idle_ps(r));
    return idle;
}

// ---- scenario cases ----------------------------------------------------------------------

double metric_of(const std::string& metric, const training::TrainingSetup& setup, const training::TrainingResult& r) {
    const double trillions = setup.scenario.training.total_tokens / 1e12;
    if (metric == "gpu_hours") return r.gpu_hours;
    if (metric == "gpu_hours_per_trillion_tokens") return r.gpu_hours / trillions;
    if (metric == "wall_days") return r.wall_days;
    if (metric == "wall_days_per_trillion_tokens") return r.wall_days / trillions;
    if (metric == "mfu") return r.mfu;
    if (metric == "model_tflops_per_gpu") return r.mfu * setup.gpu.bf16_dense_TFLOPS;
    if (metric == "step_time_s") return r.step_time_s;
    if (metric == "tokens_per_s_per_gpu") return r.tokens_per_s_per_gpu;
    if (metric == "bubble_fraction") return r.bubble_fraction;
    if (metric == "usd_per_million_tokens") return r.usd_per_million_tokens;
    MOESIM_CHECK(false, "validation metric \"" + metric + "\" has no definition");
    return 0;
}

double serving_metric_of(const std::string& metric, const inference::InferenceResult& r, double max_requests_per_s) {
    if (metric == "prefill_input_tokens_per_s_per_node") return r.prefill_input_tokens_per_s_per_node;
    if (metric == "decode_output_tokens_per_s_per_node") return r.decode_output_tokens_per_s_per_node;
    if (metric == "ttft_p50_ms") return r.ttft_ms.p50;
    if (metric == "ttft_p90_ms") return r.ttft_ms.p90;
    if (metric == "ttft_p99_ms") return r.ttft_ms.p99;
    if (metric == "tpot_p50_ms") return r.tpot_ms.p50;
    if (metric == "tpot_p90_ms") return r.tpot_ms.p90;
    if (metric == "tpot_p99_ms") return r.tpot_ms.p99;
    if (metric == "usd_per_million_output_tokens") return r.usd_per_million_output_tokens;
    if (metric == "max_requests_per_s") return max_requests_per_s;
    MOESIM_CHECK(false, "serving validation metric \"" + metric + "\" has no definition");
    return 0;
}

// One scenario simulation, shared by every case that names the same scenario, overrides
// and fidelity (the DeepSeek-V3 cases read three figures of one run).
// A serving case is one run at the scenario's rate, or (max_requests_per_s) the
// --find-max-load search, whose run is at the rate it found.
struct Simulated {
    std::unique_ptr<training::TrainingSetup> setup;
    training::TrainingResult result;
    workload::Scenario serving_scenario;
    std::unique_ptr<inference::ServingSetup> serving;
    std::unique_ptr<inference::OperatorCosts> costs;
    std::optional<inference::InferenceResult> serving_result;
    double max_requests_per_s = 0;
    bool simulated() const { return serving ? serving_result.has_value() : !result.fidelity.empty(); }
};

std::string simulation_key(const ValidationCase& c) {
    std::string key = c.file + "\n" + c.scenario + "\n" + c.fidelity + (c.metric == "max_requests_per_s" ? "\nmax-load" : "");
    for (const auto& s : c.sets) key += "\n" + s;
    return key;
}

void simulate(const ValidationCase& c, Simulated& sim) {
    if (!sim.serving) {
        sim.result = training::simulate_training(*sim.setup, training::fidelity_from_string(c.fidelity)).result;
        return;
    }
    if (c.metric == "max_requests_per_s") {
        inference::MaxLoad found = inference::find_max_load(sim.serving_scenario, *sim.costs);
        sim.max_requests_per_s = found.requests_per_s;
        sim.serving_result = std::move(found.run.result);
    } else {
        sim.serving_result = inference::simulate_serving(sim.serving_scenario, *sim.costs).result;
    }
}

// ---- output ------------------------------------------------------------------------------

std::string show(double v) {
    if (std::fabs(v) >= 1000) return thousands(v);
    std::ostringstream s;
    s << std::setprecision(4) << v;
    return s.str();
}

std::string signed_percent(double fraction) {
    if (fraction == 0) return "0.0%";
    return (fraction > 0 ? "+" : "") + percent(fraction, 1);
}

void print_table(std::ostream& out, const std::vector<Outcome>& outcomes) {
    std::vector<std::vector<std::string>> rows = {{"case", "metric", "fidelity", "published", "simulated", "error", "source"}};
    for (const auto& o : outcomes)
        rows.push_back({o.c->name, o.c->metric, o.c->fidelity, show(o.published), show(o.simulated), signed_percent(o.error()),
                        o.c->source});
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            const bool number = i >= 3 && i <= 5;
            if (i + 1 == row.size()) {
                out << row[i];
            } else if (number) {
                out << std::string(width[i] - row[i].size(), ' ') << row[i] << "  ";
            } else {
                out << row[i] << std::string(width[i] - row[i].size() + 2, ' ');
            }
        }
        out << "\n";
    }
    out << "error = (simulated - published) / published. moesim validate reports; it does not judge.\n";
}

}  // namespace

int cmd_validate(const Args& args) {
    po::options_description options("options");
    std::vector<std::string> names, files;
    options.add_options()
        ("json", "print {\"cases\": [{name, metric, published, simulated, error, source, fidelity}]} on stdout; "
                 "error is relative and signed, (simulated - published) / published, as a fraction")
        ("case", po::value(&names)->composing(), "run only the case of this name (repeatable)")
        ("file", po::value(&files)->composing(),
         "run the cases of this case file instead of the bundled ones (format: scenarios/validation/README.md; "
         "repeatable)");
    po::variables_map vm;
    const std::string usage =
        "moesim validate [--json] [--case NAME]... [--file CASES.json]...\n\n"
        "Runs each validation case — a published figure, its source, and the scenario (or idealized pipeline\n"
        "schedule) that should reproduce it — and prints published, simulated and the signed relative error.\n"
        "It reports; it does not judge: the exit status is 0 however large the errors are (2 only for wrong\n"
        "input). Nothing is written to a results database. The bundled cases and scenarios are compiled in,\n"
        "so it runs from any directory.\n\n"
        "metrics of scenario cases: ";
    std::string metric_list;
    for (const auto& m : scenario_metrics()) metric_list += (metric_list.empty() ? "" : ", ") + m;
    if (!parse_options(args, usage + metric_list + "; bubble cases: " + kBubbleMetric, options, {}, vm)) return 0;

    std::vector<ValidationCase> all;
    if (files.empty()) {
        all = bundled_validation_cases();
    } else {
        for (const auto& f : files) {
            for (auto& c : parse_validation_cases(read_input_file(f, "validation case", kMaxDocumentBytes), f)) {
                for (const auto& other : all)
                    if (other.name == c.name)
                        throw ScenarioError(f, c.path + "/name", "\"" + c.name + "\": a case of that name is also in " + other.file);
                all.push_back(std::move(c));
            }
        }
    }

    std::vector<const ValidationCase*> selected;
    for (const auto& c : all)
        if (names.empty() || std::find(names.begin(), names.end(), c.name) != names.end()) selected.push_back(&c);
    std::vector<std::string> known;
    for (const auto& c : all) known.push_back(c.name);
    for (const auto& n : names)
        if (std::find(known.begin(), known.end(), n) == known.end()) {
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
            throw UserError("--case " + n + ": no validation case of that name" + did_you_mean(n, known) + "; the cases are: " + list);
        }

    // Every scenario is loaded and prepared before anything is simulated: a wrong case
    // fails fast, with exit status 2.
    std::map<std::string, Simulated> simulations;
    for (const auto* c : selected) {
        if (c->kind != CaseKind::Scenario) continue;
        const std::string key = simulation_key(*c);
        if (!simulations.count(key)) {
            const workload::Scenario s = load_case_scenario(*c);
            Simulated& sim = simulations[key];
            if (s.mode == workload::Mode::Inference) {
                sim.serving_scenario = s;
                sim.serving = inference::prepare_serving(sim.serving_scenario);
                sim.costs = inference::make_operator_costs(*sim.serving);
            } else {
                sim.setup = training::prepare_training(s);
            }
        }
        const Simulated& sim = simulations.at(key);
        const bool serving = sim.serving != nullptr;
        if (serving != is_serving_metric(c->metric))
            throw ScenarioError(c->file, c->path + "/metric",
                                "\"" + c->metric + "\" is a " + (serving ? "training" : "serving") + " metric and \"" + c->scenario +
                                    "\" is a " + (serving ? "serving" : "training") + " scenario");
        if (c->metric == "max_requests_per_s" && sim.serving_scenario.inference.traffic.arrival == workload::Arrival::Trace)
            throw ScenarioError(c->file, c->path + "/metric",
                                "max_requests_per_s searches the Poisson request rate; \"" + c->scenario +
                                    "\" replays a request trace, whose rate is not moesim's to change");
    }

    std::vector<Outcome> outcomes;
    for (const auto* c : selected) {
        Outcome o;
        o.c = c;
        if (c->kind == CaseKind::Bubble) {
            o.published = static_cast<double>(bubble_formula_ps(*c)) / kPsPerMs;
            o.simulated = static_cast<double>(bubble_simulated_ps(*c)) / kPsPerMs;
        } else {
            Simulated& sim = simulations.at(simulation_key(*c));
            if (!sim.simulated()) simulate(*c, sim);
            o.published = c->published;
            o.simulated = sim.serving ? serving_metric_of(c->metric, *sim.serving_result, sim.max_requests_per_s)
                                      : metric_of(c->metric, *sim.setup, sim.result);
        }
        outcomes.push_back(o);
    }

    if (vm.count("json")) {
        nlohmann::json out = {{"cases", nlohmann::json::array()}};
        for (const auto& o : outcomes)
            out["cases"].push_back({{"name", o.c->name},
                                    {"metric", o.c->metric},
                                    {"published", o.published},
                                    {"simulated", o.simulated},
                                    {"error", o.error()},
                                    {"source", o.c->source},
                                    {"fidelity", o.c->fidelity}});
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    print_table(std::cout, outcomes);
    return 0;
}

}  // namespace moesim::cli
