#include "moesim/reports/sweep_analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "moesim/common/error.h"
#include "moesim/reports/run_status.h"
#include "stored_scenario.h"

namespace moesim::report {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Value = double (*)(const StoredRun&);

const training::TrainingResult& train(const StoredRun& r) { return std::get<training::TrainingResult>(r.result); }
const inference::InferenceResult& serve(const StoredRun& r) { return std::get<inference::InferenceResult>(r.result); }

double step_time_s(const StoredRun& r) { return train(r).step_time_s; }
double peak_memory_GB(const StoredRun& r) { return train(r).peak_memory_GB; }
double gpu_hours(const StoredRun& r) { return train(r).gpu_hours; }
double gpus(const StoredRun& r) { return static_cast<double>(r.record.gpus); }
double tpot_p99_ms(const StoredRun& r) { return serve(r).tpot_ms.p99; }
double ttft_p99_ms(const StoredRun& r) { return serve(r).ttft_ms.p99; }
double usd_per_million_output_tokens(const StoredRun& r) { return serve(r).usd_per_million_output_tokens; }
double mfu_percent(const StoredRun& r) { return 100 * train(r).mfu; }
double training_tokens_per_s_per_gpu(const StoredRun& r) { return train(r).tokens_per_s_per_gpu; }
double usd_per_million_tokens(const StoredRun& r) { return train(r).usd_per_million_tokens; }
double requests_per_s(const StoredRun& r) { return serve(r).requests_per_s.value_or(kNaN); }
// Decode output tokens/s per node over the node's GPUs.
double output_tokens_per_s_per_gpu(const StoredRun& r) {
    const std::optional<double> per_node = detail::StoredScenario(r.record.scenario_json).number("/cluster/gpus_per_node");
    return per_node && *per_node > 0 ? serve(r).decode_output_tokens_per_s_per_node / *per_node : kNaN;
}

struct FrontSpec {
    const char* key;
    const char* title;
    const char* short_name;
    Metric x, y;
    Value x_of, y_of;
};

const Metric kStepTime{"step_time_s", "step time", "s", Sense::Minimize, 2};
const Metric kPeakMemory{"peak_memory_GB", "peak memory per GPU", "GB", Sense::Minimize, 1};
const Metric kGpuHours{"gpu_hours", "GPU-hours for total_tokens", "GPU-hours", Sense::Minimize, 0};
const Metric kGpus{"gpus", "GPUs", "GPUs", Sense::Minimize, 0};
const Metric kTokensPerGpu{"output_tokens_per_s_per_gpu", "decode output tokens/s per GPU", "tokens/s",
                           Sense::Maximize, 0};
const Metric kTpot{"tpot_p99_ms", "TPOT p99", "ms", Sense::Minimize, 1};
const Metric kUsd{"usd_per_million_output_tokens", "$ per 1M output tokens", "$", Sense::Minimize, 4};
const Metric kTtft{"ttft_p99_ms", "TTFT p99", "ms", Sense::Minimize, 0};

struct ColumnSpec {
    Metric metric;
    Value value;
};

// The tables' figures, in column order.
const std::vector<ColumnSpec>& columns_of(const std::string& mode) {
    static const std::vector<ColumnSpec> training = {
        {kStepTime, step_time_s},
        {kPeakMemory, peak_memory_GB},
        {kGpus, gpus},
        {kGpuHours, gpu_hours},
        {{"mfu_percent", "MFU", "%", Sense::Maximize, 1}, mfu_percent},
        {{"tokens_per_s_per_gpu", "tokens/s per GPU", "tokens/s", Sense::Maximize, 0}, training_tokens_per_s_per_gpu},
        {{"usd_per_million_tokens", "$ per 1M tokens", "$", Sense::Minimize, 4}, usd_per_million_tokens}};
    static const std::vector<ColumnSpec> serving = {
        {kTokensPerGpu, output_tokens_per_s_per_gpu},
        {kTpot, tpot_p99_ms},
        {kTtft, ttft_p99_ms},
        {kUsd, usd_per_million_output_tokens},
        {{"requests_per_s", "request rate", "requests/s", Sense::Maximize, 2}, requests_per_s}};
    return mode == "training" ? training : serving;
}

std::string why_excluded(const StoredRun& run) {
    if (const auto* t = std::get_if<training::TrainingResult>(&run.result)) {
        const MemoryVerdict v = memory_verdict(*t);
        return memory_rank(v) == 2 ? describe(v) : "";
    }
    const ServingVerdict v = serving_verdict(serve(run));
    return serving_rank(v) == 2 ? describe(v) : "";
}

SweepFront front_of(const FrontSpec& spec, const std::vector<StoredRun>& runs, const std::vector<std::string>& why) {
    SweepFront f{spec.key, spec.title, spec.short_name, spec.x, spec.y, {}, {}, {}, {}};
    std::vector<ParetoPoint> points;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        f.xs.push_back(spec.x_of(runs[i]));
        f.ys.push_back(spec.y_of(runs[i]));
        points.push_back({f.xs.back(), f.ys.back(), why[i].empty()});
    }
    const std::vector<bool> on = pareto_front(points, spec.x.sense, spec.y.sense);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        f.kinds.push_back(on[i] ? PointKind::Front : why[i].empty() ? PointKind::Dominated : PointKind::Excluded);
        if (on[i]) f.front.push_back(i);
    }
    std::stable_sort(f.front.begin(), f.front.end(), [&](std::size_t a, std::size_t b) {
        return f.xs[a] != f.xs[b] ? f.xs[a] < f.xs[b] : f.ys[a] < f.ys[b];
    });
    return f;
}

}  // namespace

std::string override_tag(const StoredRun& run) {
    const std::string label = detail::label_of(run);
    const std::string prefix = run.record.name + " [";
    if (label.size() > prefix.size() && label.starts_with(prefix) && label.ends_with("]"))
        return label.substr(prefix.size(), label.size() - prefix.size() - 1);
    return label;
}

SweepAnalysis analyse_sweep(SweepRecord sweep, std::vector<StoredRun> runs) {
    SweepAnalysis a{std::move(sweep), "", std::move(runs), {}, {}, {}};
    if (a.runs.empty()) return a;
    a.mode = a.runs.front().record.mode;
    for (const StoredRun& run : a.runs) {
        MOESIM_CHECK(run.record.mode == a.mode, "sweep " + std::to_string(a.sweep.id) + " mixes training and serving runs");
        a.excluded_why.push_back(why_excluded(run));
    }
    for (const ColumnSpec& c : columns_of(a.mode)) {
        MetricColumn column{c.metric, {}};
        for (const StoredRun& run : a.runs) column.values.push_back(c.value(run));
        a.columns.push_back(std::move(column));
    }
    std::vector<FrontSpec> specs;
    if (a.mode == "training") {
        specs.push_back({"step_time_vs_peak_memory", "Step time against peak memory per GPU", "time/memory",
                         kPeakMemory, kStepTime, peak_memory_GB, step_time_s});
        std::set<std::int64_t> sizes;
        for (const StoredRun& run : a.runs) sizes.insert(run.record.gpus);
        if (sizes.size() > 1)
            specs.push_back({"gpu_hours_vs_gpus", "GPU-hours against GPU count", "GPU-hours/GPUs", kGpus, kGpuHours,
                             gpus, gpu_hours});
    } else {
        specs.push_back({"throughput_vs_tpot", "Decode output tokens/s per GPU against TPOT p99", "throughput/TPOT",
                         kTpot, kTokensPerGpu, tpot_p99_ms, output_tokens_per_s_per_gpu});
        specs.push_back({"cost_vs_ttft", "$ per 1M output tokens against TTFT p99", "cost/TTFT", kTtft, kUsd,
                         ttft_p99_ms, usd_per_million_output_tokens});
    }
    for (const FrontSpec& spec : specs) a.fronts.push_back(front_of(spec, a.runs, a.excluded_why));
    return a;
}

}  // namespace moesim::report
