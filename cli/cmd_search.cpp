// `moesim search SEARCH.json` (issue 14 item 2): the best points of a sweep's axes for an
// objective under constraints (search_spec.h), found without simulating every point.
//  1. Screen, every point, in parallel, cheapest check first: the scenario's own checks on the
//     overrides (schema, divisibility), the GPU count, then the model/GPU/memory checks of
//     preparing it (no simulation), the memory headroom, and for training the step-time
//     bound (search_bound.h) against the budget constraints.
//  2. Branch and bound: the survivors in order of their bound, best first, simulated in
//     blocks of 64; before each block, a point whose bound is already worse than the N-th
//     best simulated result meeting the constraints cannot enter the top N and is skipped
//     with every point after it. Without a sound bound (serving) every survivor is simulated.
//     Each simulated training step is checked against its bound (an internal error if one
//     ever beats it). `--exhaustive` simulates every survivor: the same top N, by test.
//  3. The top N printed with, for each runner-up, why it loses to the best (search_rank.h),
//     and recorded in the database tagged with the search as a sweep, like `moesim sweep`'s.
// Ties are broken by point order, and the blocks do not depend on -j, so neither do the
// counts nor the answer.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <iostream>
#include <limits>
#include <map>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "flag_ranges.h"
#include "format.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "moesim/common/units.h"
#include "options.h"
#include "progress.h"
#include "run_pipeline.h"
#include "search_bound.h"
#include "search_rank.h"
#include "search_spec.h"

namespace moesim::cli {

namespace {

using nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::size_t kBlock = 64;

// fn(k) for every k < n on `jobs` threads; the first exception thrown is rethrown here.
template <class F>
void parallel_for(std::size_t n, int jobs, F&& fn) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto worker = [&] {
        for (std::size_t k; (k = next++) < n;) try {
                fn(k);
            } catch (...) {
                std::lock_guard<std::mutex> lock(failure_mutex);
                if (!failure) failure = std::current_exception();
                next = n;
            }
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < std::min<int>(jobs, static_cast<int>(n)); ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
}

struct Context {
    SearchSpec spec;
    std::string scenario_text;  // the base scenario, read once
    training::Fidelity fidelity = training::Fidelity::Analytic;
    bool exhaustive = false;
    // Smaller is better: the objective, negated when maximized.
    double key(double value) const { return spec.minimize ? value : -value; }
};

enum class Fate : std::uint8_t { Candidate, Refused, Pruned };

struct Screen {
    Fate fate = Fate::Candidate;
    std::string reason, message;  // refused or pruned: the category counted, one example
    double bound_key = -kInf;     // no better key is possible (training); -inf: no bound
    double step_bound_s = 0;
};

// "constraints/max_gpu_hours (3.1 > 2.0)" → "constraints/max_gpu_hours"
std::string category(const std::string& broken) { return broken.substr(0, broken.find(" (")); }

Screen screen_point(const Context& ctx, std::int64_t index) {
    Screen out;
    const SearchConstraints& c = ctx.spec.constraints;
    try {
        workload::Scenario scenario =
            workload::load_scenario_text(ctx.scenario_text, ctx.spec.sweep.scenario, ctx.spec.sweep.point(index));
        if (c.max_gpus && scenario.cluster.gpus() > *c.max_gpus) {
            out.fate = Fate::Pruned;
            out.reason = "over constraints/max_gpus";
            out.message = std::to_string(scenario.cluster.gpus()) + " GPUs > " + std::to_string(*c.max_gpus);
            return out;
        }
        const Prepared p = prepare_scenario(std::move(scenario), false);
        if (!p.training) return out;
        const training::TrainingSetup& st = *p.training;
        out.step_bound_s = step_time_lower_bound_s(st);
        training::TrainingResult bound = figures_at_step(st, out.step_bound_s);
        bound.memory_headroom_GB = (st.memory.available_bytes - st.memory.needed_bytes) / units::kGB;
        // The memory headroom is exact here; every other figure is a bound, as good as the
        // point can do: a point whose bound breaks a budget cannot meet it.
        const std::string broken = broken_constraint(c, bound);
        if (!broken.empty()) {
            out.fate = Fate::Pruned;
            const bool exact = category(broken) == "constraints/min_memory_headroom_GB";
            out.reason = (exact ? "under " : "bound over ") + category(broken);
            out.message = (exact ? "" : "at best ") + broken.substr(category(broken).size() + 1);
            return out;
        }
        out.bound_key = ctx.key(objective_value(ctx.spec.metric, bound, p.scenario.cluster.gpus_per_node));
    } catch (const UserError& e) {
        out.fate = Fate::Refused;
        out.reason = refusal_reason(e);
        out.message = e.what();
    }
    return out;
}

struct Simulated {
    std::optional<report::PendingRun> run;
    std::optional<hw::CalibrationProfile> profile;
    double value = 0;
    std::string refused, message;
};

Simulated simulate_point(const Context& ctx, std::int64_t index, const Screen& screen) {
    Simulated out;
    const std::vector<std::string> sets = ctx.spec.sweep.point(index);
    try {
        const Prepared p =
            prepare_scenario(workload::load_scenario_text(ctx.scenario_text, ctx.spec.sweep.scenario, sets), false);
        ServingOutcome serving;
        std::vector<training::TimelineEntry> traced;
        out.run = simulate_run(p, ctx.fidelity, sets, ctx.spec.sweep.find_max_load, {}, serving, traced);
        out.profile = p.profile();
        out.value = objective_value(ctx.spec.metric, out.run->result, p.scenario.cluster.gpus_per_node);
    } catch (const UserError& e) {
        out.refused = refusal_reason(e);
        out.message = e.what();
        return out;
    }
    if (const auto* t = std::get_if<training::TrainingResult>(&out.run->result); t && t->step_time_s < screen.step_bound_s)
        throw std::logic_error("search bound broken at point " + std::to_string(index) + ": step " +
                               std::to_string(t->step_time_s) + " s below its bound " + std::to_string(screen.step_bound_s) + " s");
    return out;
}

struct Best {
    std::int64_t index = 0;
    double key = 0, value = 0, bound_key = 0;
    report::PendingRun run;
    hw::CalibrationProfile profile;
};

struct Counts {
    std::map<std::string, std::int64_t> refused, pruned, violated;
    std::map<std::string, std::string> example;
    std::int64_t pruned_by_bound = 0, simulated = 0, feasible = 0;
    void add(std::map<std::string, std::int64_t>& to, const std::string& reason, const std::string& message) {
        ++to[reason];
        example.emplace(reason, message);
    }
};

std::int64_t total(const std::map<std::string, std::int64_t>& m) {
    std::int64_t n = 0;
    for (const auto& [reason, count] : m) n += count;
    return n;
}

// The branch and bound over the screened points (see the top of this file).
std::vector<Best> branch_and_bound(const Context& ctx, const std::vector<Screen>& screens, int jobs, bool progress_on,
                                   Counts& counts) {
    std::vector<std::int64_t> order;
    for (std::size_t i = 0; i < screens.size(); ++i)
        if (screens[i].fate == Fate::Candidate) order.push_back(static_cast<std::int64_t>(i));
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
        return screens[static_cast<std::size_t>(a)].bound_key < screens[static_cast<std::size_t>(b)].bound_key;
    });
    const auto top = static_cast<std::size_t>(ctx.spec.top);
    std::vector<Best> best;  // sorted by (key, index), at most `top`
    Progress progress("points simulated", static_cast<std::int64_t>(order.size()), progress_on);
    for (std::size_t pos = 0; pos < order.size();) {
        const double cutoff = best.size() < top ? kInf : best.back().key;
        std::vector<std::int64_t> block;
        for (; pos < order.size() && block.size() < kBlock; ++pos) {
            if (!ctx.exhaustive && screens[static_cast<std::size_t>(order[pos])].bound_key > cutoff) break;
            block.push_back(order[pos]);
        }
        if (block.empty()) {  // sorted by bound: every point left is as far out
            counts.pruned_by_bound = static_cast<std::int64_t>(order.size() - pos);
            break;
        }
        std::vector<Simulated> sims(block.size());
        parallel_for(block.size(), jobs, [&](std::size_t k) {
            sims[k] = simulate_point(ctx, block[k], screens[static_cast<std::size_t>(block[k])]);
            progress.advance();
        });
        for (std::size_t k = 0; k < block.size(); ++k) {
            Simulated& s = sims[k];
            if (!s.run) {
                counts.add(counts.refused, s.refused, s.message);
                continue;
            }
            ++counts.simulated;
            const std::string broken = broken_constraint(ctx.spec.constraints, s.run->result);
            if (!broken.empty()) {
                counts.add(counts.violated, category(broken), broken);
                continue;
            }
            ++counts.feasible;
            Best b{block[k], ctx.key(s.value), s.value, screens[static_cast<std::size_t>(block[k])].bound_key,
                   std::move(*s.run), std::move(*s.profile)};
            const auto at = std::upper_bound(best.begin(), best.end(), b, [](const Best& x, const Best& y) {
                return x.key < y.key || (x.key == y.key && x.index < y.index);
            });
            if (static_cast<std::size_t>(at - best.begin()) < top) best.insert(at, std::move(b));
            if (best.size() > top) best.pop_back();
        }
    }
    return best;
}

json training_figures(const training::TrainingResult& t) {
    return {{"step_time_s", t.step_time_s},
            {"mfu", t.mfu},
            {"bubble_fraction", t.bubble_fraction},
            {"exposed_comm_s", {{"ep", t.exposed_comm.ep_s}, {"pp", t.exposed_comm.pp_s}, {"dp", t.exposed_comm.dp_s}, {"tp", t.exposed_comm.tp_s}}},
            {"peak_memory_GB", t.peak_memory_GB},
            {"memory_headroom_GB", t.memory_headroom_GB.value_or(0)},
            {"tokens_per_s_per_gpu", t.tokens_per_s_per_gpu},
            {"gpu_hours", t.gpu_hours},
            {"cost_usd", t.cost_usd},
            {"usd_per_million_tokens", t.usd_per_million_tokens}};
}

json serving_figures(const inference::InferenceResult& s) {
    return {{"usd_per_million_output_tokens", s.usd_per_million_output_tokens},
            {"decode_output_tokens_per_s_per_node", s.decode_output_tokens_per_s_per_node},
            {"prefill_input_tokens_per_s_per_node", s.prefill_input_tokens_per_s_per_node},
            {"ttft_p99_ms", s.ttft_ms.p99},
            {"tpot_p99_ms", s.tpot_ms.p99},
            {"requests_per_s", s.requests_per_s.value_or(0)},
            {"slo_met", s.slo_met.value_or(false)}};
}

std::string figures_line(const report::RunResult& r) {
    if (const auto* t = std::get_if<training::TrainingResult>(&r))
        return "step " + fixed(t->step_time_s, 2) + " s, MFU " + fixed(100 * t->mfu, 1) + "%, bubble " +
               fixed(100 * t->bubble_fraction, 1) + "%, peak " + fixed(t->peak_memory_GB, 1) + " GB (headroom " +
               fixed(t->memory_headroom_GB.value_or(0), 1) + " GB), " + thousands(t->gpu_hours) + " GPU-hours, $" +
               thousands(t->cost_usd);
    const auto& s = std::get<inference::InferenceResult>(r);
    return "$" + fixed(s.usd_per_million_output_tokens, 4) + " per 1M output tokens, decode " +
           thousands(s.decode_output_tokens_per_s_per_node) + " output tok/s per node, TTFT p99 " + fixed(s.ttft_ms.p99, 0) +
           " ms, TPOT p99 " + fixed(s.tpot_ms.p99, 1) + " ms at " + fixed(s.requests_per_s.value_or(0), 1) + " req/s";
}

void print_counts(std::ostream& out, const char* what, const std::map<std::string, std::int64_t>& m, const Counts& c) {
    if (m.empty()) return;
    out << "  " << what << ": " << thousands(static_cast<double>(total(m))) << "\n";
    for (const auto& [reason, count] : m)
        out << "    " << thousands(static_cast<double>(count)) << "  " << reason << " — e.g. " << c.example.at(reason) << "\n";
}

json counts_json(const std::map<std::string, std::int64_t>& m) { return m.empty() ? json::object() : json(m); }

}  // namespace

int cmd_search(const Args& args) {
    po::options_description options("options");
    std::string file, db_path;
    int jobs = 0;
    std::int64_t top = 0;
    options.add_options()
        ("search", po::value(&file), "the search document (positional)")
        ("db", po::value(&db_path)->default_value("results.sqlite"), "results database the top runs are appended to")
        ("jobs,j", po::value(&jobs)->default_value(0), "points screened or simulated at once (0: one per core)")
        ("top", po::value(&top)->default_value(0), "best points to keep (0: the document's \"top\", default 5)")
        ("exhaustive", "simulate every point the constraints let through: no pruning by the bound")
        ("quiet", "no progress on stderr")
        ("json", "print the search, its counts and the top points with why each loses as JSON");
    po::positional_options_description positional;
    positional.add("search", 1);
    po::variables_map vm;
    if (!parse_options(args, "moesim search SEARCH.json [options]", options, positional, vm)) return 0;
    if (file.empty()) throw UserError("no search file given (usage: moesim search SEARCH.json [options])");
    check_flag_ranges(vm, search_flag_ranges());
    if (jobs == 0) jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

    Context ctx;
    ctx.spec = read_search(file);
    if (top > 0) ctx.spec.top = top;
    ctx.exhaustive = vm.count("exhaustive") > 0;
    const SweepSpec& sweep = ctx.spec.sweep;
    ctx.fidelity = training::fidelity_from_string(sweep.fidelity);
    if (ctx.fidelity == training::Fidelity::Invalid)
        throw ScenarioError(file, "/fidelity", "\"" + sweep.fidelity + "\": expected " + training::fidelity_choices());
    ctx.scenario_text = read_input_file(sweep.scenario, "scenario", kMaxDocumentBytes);
    const workload::Scenario base = workload::load_scenario_text(ctx.scenario_text, sweep.scenario, {});
    const bool serving = base.mode == workload::Mode::Inference;
    if (sweep.find_max_load && !serving)
        throw ScenarioError(file, "/find_max_load", "searches the request rate of serving scenarios; " + sweep.scenario +
                                                        " is a training scenario");
    if (serving && ctx.spec.metric == SearchMetric::GpuHours)
        throw ScenarioError(file, "/objective/metric", "gpu_hours is a training objective; " + sweep.scenario +
                                                           " is a serving scenario (usd_per_million_tokens or tokens_per_s_per_gpu)");
    const SearchConstraints& c = ctx.spec.constraints;
    if (serving)
        for (const auto& [key, given] : {std::pair{"min_memory_headroom_GB", c.min_memory_headroom_GB.has_value()},
                                         std::pair{"max_step_time_s", c.max_step_time_s.has_value()},
                                         std::pair{"max_gpu_hours", c.max_gpu_hours.has_value()},
                                         std::pair{"max_cost_usd", c.max_cost_usd.has_value()}})
            if (given) throw ScenarioError(file, std::string("/constraints/") + key, "applies to training scenarios; " + sweep.scenario + " is a serving scenario");
    report::ResultsDb db(db_path);  // a bad database is refused before the work

    const auto start = std::chrono::steady_clock::now();
    const std::int64_t points = sweep.points();
    std::vector<Screen> screens(static_cast<std::size_t>(points));
    {
        Progress progress("points screened", points, !vm.count("quiet"));
        parallel_for(screens.size(), jobs, [&](std::size_t i) {
            screens[i] = screen_point(ctx, static_cast<std::int64_t>(i));
            progress.advance();
        });
    }
    Counts counts;
    for (const auto& s : screens)
        if (s.fate != Fate::Candidate) counts.add(s.fate == Fate::Refused ? counts.refused : counts.pruned, s.reason, s.message);
    std::vector<Best> best = branch_and_bound(ctx, screens, jobs, !vm.count("quiet"), counts);
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const std::int64_t search_id = db.record_sweep(sweep.name, sweep.text, points);
    std::vector<report::PendingRun> batch;
    for (auto& b : best) {
        report::PendingRun run = b.run;
        run.record.sweep_id = search_id;
        run.record.calibration_id = record_profile(db, b.profile);
        batch.push_back(std::move(run));
    }
    const std::vector<std::int64_t> ids = db.write_batch(batch);

    const std::string sense = ctx.spec.minimize ? "minimize" : "maximize";
    std::vector<LossExplanation> why;
    for (std::size_t i = 1; i < best.size(); ++i)
        why.push_back(explain_loss(ctx.spec.metric, best[0].value, best[0].run, best[i].value, best[i].run));
    if (vm.count("json")) {
        json top_json = json::array();
        for (std::size_t i = 0; i < best.size(); ++i) {
            const auto& b = best[i];
            json row = {{"rank", i + 1},
                        {"point", b.index},
                        {"run_id", ids[i]},
                        {"label", b.run.record.label},
                        {"overrides", b.run.record.overrides},
                        {"gpus", b.run.record.gpus},
                        {"objective", b.value},
                        {"objective_bound", b.bound_key == -kInf ? json() : json(ctx.spec.minimize ? b.bound_key : -b.bound_key)},
                        {"why_it_loses", i == 0 ? json() : to_json(why[i - 1])}};
            const auto* t = std::get_if<training::TrainingResult>(&b.run.result);
            row["figures"] = t ? training_figures(*t) : serving_figures(std::get<inference::InferenceResult>(b.run.result));
            top_json.push_back(row);
        }
        const json out = {
            {"search", {{"id", search_id}, {"name", sweep.name}, {"points", points}, {"scenario", sweep.scenario},
                        {"objective", {{"metric", to_string(ctx.spec.metric)}, {"sense", sense}}}, {"top", ctx.spec.top},
                        {"exhaustive", ctx.exhaustive}}},
            {"counts", {{"refused", counts_json(counts.refused)},
                        {"pruned_before_simulation", counts_json(counts.pruned)},
                        {"pruned_by_bound", counts.pruned_by_bound},
                        {"simulated", counts.simulated},
                        {"violating_after_simulation", counts_json(counts.violated)},
                        {"feasible", counts.feasible}}},
            {"top", top_json}};
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::cout << "search " << sweep.name << " (id " << search_id << "): " << thousands(static_cast<double>(points))
              << " points over " << sweep.axes.size() << " axes of " << sweep.scenario << "\n"
              << "  objective: " << sense << " " << to_string(ctx.spec.metric) << ", top " << ctx.spec.top
              << (ctx.exhaustive ? ", exhaustive" : "") << "; " << fixed(wall_s, 1) << " s wall on " << jobs << " threads\n";
    print_counts(std::cout, "refused by the scenario checks", counts.refused, counts);
    print_counts(std::cout, "pruned before simulation", counts.pruned, counts);
    std::cout << "  pruned by the bound (cannot enter the top " << ctx.spec.top << "): "
              << thousands(static_cast<double>(counts.pruned_by_bound)) << "\n"
              << "  simulated: " << thousands(static_cast<double>(counts.simulated)) << ", meeting the constraints "
              << thousands(static_cast<double>(counts.feasible)) << "\n";
    print_counts(std::cout, "violating the constraints after simulation", counts.violated, counts);
    if (best.empty()) {
        std::cout << "no point meets the constraints; nothing written\n";
        return 0;
    }
    std::cout << "top " << best.size() << " by " << to_string(ctx.spec.metric) << " (" << sense << "):\n";
    for (std::size_t i = 0; i < best.size(); ++i) {
        const auto& b = best[i];
        std::cout << "  #" << i + 1 << "  " << to_string(ctx.spec.metric) << " " << (b.value >= 1000 ? thousands(b.value) : fixed(b.value, 4))
                  << "  run " << ids[i] << "  " << b.run.record.label << "\n      " << figures_line(b.run.result) << "\n";
        if (i > 0) std::cout << "      loses to #1: " << why[i - 1].text << "\n";
    }
    std::cout << "written: " << ids.size() << " runs in " << db.path() << " (tagged with sweep id " << search_id << ")\n";
    return 0;
}

}  // namespace moesim::cli
