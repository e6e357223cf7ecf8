// `moesim sweep SWEEP.json`: every point of a sweep (sweep_spec.h) prepared, simulated in
// parallel and recorded, tagged with the sweep. Points are worked in blocks; each block's
// runs are written in point order in one transaction, so the rows do not depend on -j, an
// interrupted sweep keeps its finished blocks, and running it again skips the points the
// database already holds. A point the scenario checks refuse (memory, divisibility, …) is
// skipped and counted by reason.
#include <algorithm>
#include <cstdint>
#include <atomic>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "flag_ranges.h"
#include "format.h"
#include "moesim/common/error.h"
#include "moesim/reports/json_output.h"
#include "options.h"
#include "progress.h"
#include "run_pipeline.h"
#include "sweep_mpi.h"
#include "sweep_point.h"
#include "sweep_spec.h"

namespace moesim::cli {

namespace {

// The first overrides of a stored run (a serving search appends its rate): the point's key.
std::string point_key(const std::vector<std::string>& sets) { return nlohmann::json(sets).dump(); }

std::string stored_key(const std::string& overrides_json, std::size_t n) {
    auto v = nlohmann::json::parse(overrides_json).get<std::vector<std::string>>();
    if (v.size() > n) v.resize(n);
    return point_key(v);
}

// Ranking of the sweep's runs: training by GPU-hours, serving by $ per 1M output tokens with
// the runs meeting their SLO first.
double objective(const report::RunResult& r) {
    if (const auto* t = std::get_if<training::TrainingResult>(&r)) return t->gpu_hours;
    const auto& s = std::get<inference::InferenceResult>(r);
    return (s.slo_met.value_or(false) ? 0.0 : 1e30) + s.usd_per_million_output_tokens;
}

void print_best(std::ostream& out, const std::vector<std::pair<std::int64_t, const report::PendingRun*>>& runs,
                std::size_t top) {
    std::vector<std::pair<std::int64_t, const report::PendingRun*>> order = runs;
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return objective(a.second->result) < objective(b.second->result); });
    if (order.size() > top) order.resize(top);
    if (order.empty()) return;
    const bool training = std::holds_alternative<training::TrainingResult>(order.front().second->result);
    out << (training ? "  best by GPU-hours:\n" : "  best by $ per 1M output tokens (SLO met first):\n");
    for (const auto& [id, run] : order) {
        out << "    run " << id << "  " << run->record.label << "\n      ";
        if (const auto* t = std::get_if<training::TrainingResult>(&run->result))
            out << "step " << fixed(t->step_time_s, 2) << " s, MFU " << fixed(100 * t->mfu, 1) << "%, "
                << fixed(t->peak_memory_GB, 1) << " GB peak, " << thousands(t->gpu_hours) << " GPU-hours\n";
        else {
            const auto& s = std::get<inference::InferenceResult>(run->result);
            out << "$" << fixed(s.usd_per_million_output_tokens, 4) << " per 1M output tokens, "
                << thousands(s.decode_output_tokens_per_s_per_node) << " output tok/s per node, SLO "
                << (s.slo_met.value_or(false) ? "met" : "missed") << "\n";
        }
    }
}

}  // namespace

int cmd_sweep(const Args& args) {
    SweepMpi mpi;  // ranks of `mpirun … moesim sweep` (sweep_mpi.h); otherwise nothing
    if (mpi.worker())
        if (const int status = mpi.wait_for_rank0(); status >= 0) return status;
    po::options_description options("options");
    std::string file, db_path;
    int jobs = 0;
    std::int64_t top = 5;
    options.add_options()
        ("sweep", po::value(&file), "the sweep document (positional)")
        ("db", po::value(&db_path)->default_value("results.sqlite"), "results database to append to")
        ("jobs,j", po::value(&jobs)->default_value(0), "points simulated at once (0: one per core)")
        ("top", po::value(&top)->default_value(5), "best runs to print")
        ("quiet", "no progress on stderr")
        ("json", "print {\"sweep\": …, \"runs\": [ids], \"skipped\": {reason: count}} instead of the summary");
    po::positional_options_description positional;
    positional.add("sweep", 1);
    po::variables_map vm;
    if (!parse_options(args, "moesim sweep SWEEP.json [options]", options, positional, vm)) return 0;
    if (file.empty()) throw UserError("no sweep file given (usage: moesim sweep SWEEP.json [options])");
    check_flag_ranges(vm, sweep_flag_ranges());
    if (jobs == 0) jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

    const SweepSpec spec = read_sweep(file);
    const training::Fidelity fid = training::fidelity_from_string(spec.fidelity);
    if (fid == training::Fidelity::Invalid)
        throw ScenarioError(file, "/fidelity", "\"" + spec.fidelity + "\": expected " + training::fidelity_choices());
    // The base scenario must itself be readable and valid as a document; a point may still
    // be refused by its overrides.
    const workload::Scenario base = workload::load_scenario(spec.scenario, {});
    if (spec.find_max_load && base.mode != workload::Mode::Inference)
        throw ScenarioError(file, "/find_max_load", "searches the request rate of serving scenarios; " + spec.scenario +
                                                        " is a training scenario");

    const auto compute = [&](std::int64_t point) { return outcome_to_wire(run_point(spec, spec.point(point), fid)); };
    if (mpi.worker()) return mpi.serve(compute);  // workers never open the database

    report::ResultsDb db(db_path);
    std::set<std::string> done;
    for (const auto& overrides : db.sweep_points_done(spec.name, spec.text))
        done.insert(stored_key(overrides, spec.axes.empty() ? 0 : spec.point(0).size()));
    std::vector<std::int64_t> todo;
    for (std::int64_t i = 0; i < spec.points(); ++i)
        if (!done.count(point_key(spec.point(i)))) todo.push_back(i);
    const std::int64_t sweep_id = db.record_sweep(spec.name, spec.text, spec.points());
    mpi.start();

    Progress progress("points", static_cast<std::int64_t>(todo.size()), !vm.count("quiet"));
    std::map<std::string, std::int64_t> skipped;
    std::map<std::string, std::string> example;
    std::vector<report::PendingRun> written;
    std::vector<std::int64_t> ids;
    const std::size_t block = static_cast<std::size_t>(mpi.active() ? mpi.ranks() : jobs) * 16;
    for (std::size_t first = 0; first < todo.size(); first += block) {
        const std::size_t n = std::min(block, todo.size() - first);
        std::vector<PointOutcome> outcomes(n);
        if (mpi.active()) {  // -j is not used: each rank computes one point at a time
            const std::vector<std::int64_t> points(todo.begin() + first, todo.begin() + first + n);
            const auto wire = mpi.map(points, compute, [&] { progress.advance(); });
            for (std::size_t k = 0; k < n; ++k) outcomes[k] = outcome_from_wire(wire[k]);
        } else {
            std::atomic<std::size_t> next{0};
            const auto worker = [&] {
                for (std::size_t k; (k = next++) < n;) {
                    outcomes[k] = run_point(spec, spec.point(todo[first + k]), fid);
                    progress.advance();
                }
            };
            std::vector<std::thread> threads;
            for (int t = 1; t < std::min<int>(jobs, static_cast<int>(n)); ++t) threads.emplace_back(worker);
            worker();
            for (auto& t : threads) t.join();
        }

        std::vector<report::PendingRun> batch;
        for (auto& o : outcomes) {
            if (!o.run) {
                ++skipped[o.skip_reason];
                example.emplace(o.skip_reason, o.skip_message);
                continue;
            }
            o.run->record.sweep_id = sweep_id;
            o.run->record.calibration_id = db.record_calibration(*o.calibration);  // stored once per document
            batch.push_back(std::move(*o.run));
        }
        const auto block_ids = db.write_batch(batch);
        ids.insert(ids.end(), block_ids.begin(), block_ids.end());
        for (auto& run : batch) written.push_back(std::move(run));
    }

    std::int64_t skipped_total = 0;
    for (const auto& [reason, count] : skipped) skipped_total += count;
    if (vm.count("json")) {
        nlohmann::json out = {{"sweep", {{"id", sweep_id}, {"name", spec.name}, {"points", spec.points()}}},
                              {"already_done", static_cast<std::int64_t>(done.size())},
                              {"runs", ids},
                              {"skipped", skipped}};
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::cout << "sweep " << spec.name << " (id " << sweep_id << "): " << spec.points() << " points over "
              << spec.axes.size() << " axes of " << spec.scenario << "\n"
              << "  ran " << ids.size() << ", skipped " << skipped_total << ", already in the database " << done.size()
              << "\n";
    for (const auto& [reason, count] : skipped)
        std::cout << "  skipped " << count << ": " << reason << " — e.g. " << example[reason] << "\n";
    std::vector<std::pair<std::int64_t, const report::PendingRun*>> ranked;
    for (std::size_t i = 0; i < written.size(); ++i) ranked.emplace_back(ids[i], &written[i]);
    print_best(std::cout, ranked, static_cast<std::size_t>(top));
    std::cout << "written: " << ids.size() << " runs in " << db.path() << "\n";
    return 0;
}

}  // namespace moesim::cli
