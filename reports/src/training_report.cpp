#include "moesim/reports/training_report.h"

#include <algorithm>

#include "moesim/common/error.h"
#include "moesim/reports/report_format.h"
#include "moesim/reports/run_status.h"
#include "stored_scenario.h"

namespace moesim::report {

namespace {

using detail::kMissing;
using detail::StoredScenario;

const training::TrainingResult& training_result(const StoredRun& run) {
    const auto* result = std::get_if<training::TrainingResult>(&run.result);
    MOESIM_CHECK(result != nullptr, "run " + std::to_string(run.id) + " is not a training run");
    return *result;
}

// 14.8e12 -> "14.80T"
std::string tokens(double count) {
    if (count >= 1e12) return grouped(count / 1e12, 2) + "T";
    if (count >= 1e9) return grouped(count / 1e9, 2) + "B";
    if (count >= 1e6) return grouped(count / 1e6, 2) + "M";
    return grouped(count, 0);
}

struct Row {
    const StoredRun* run;
    const training::TrainingResult* result;
    std::optional<double> total_tokens, gpu_hour_usd, gpu_hours_per_trillion_tokens;
};

Row row_of(const StoredRun& run) {
    Row row{&run, &training_result(run), {}, {}, {}};
    const StoredScenario scenario(run.record.scenario_json);
    row.total_tokens = scenario.number("/training/total_tokens");
    row.gpu_hour_usd = scenario.number("/cluster/gpu_hour_usd");
    if (row.total_tokens && *row.total_tokens > 0)
        row.gpu_hours_per_trillion_tokens = row.result->gpu_hours / *row.total_tokens * 1e12;
    return row;
}

// "run 3 · v3 [pp=8]", and " (OVER MEMORY)" for a layout that does not fit.
std::string bar_label(const Row& row) {
    const bool over = memory_rank(memory_verdict(*row.result)) == 2;
    return "run " + std::to_string(row.run->id) + " · " + detail::label_of(*row.run) + (over ? " (OVER MEMORY)" : "");
}

template <class Value, class Text>
BarChart chart_of(const std::vector<Row>& rows, std::string title, std::string unit, Value value, Text text) {
    BarChart chart;
    chart.title = std::move(title);
    chart.unit = std::move(unit);
    chart.series = {"simulated"};
    BarGroup group;
    for (const Row& row : rows)
        if (const std::optional<double> v = value(row))
            group.bars.push_back({bar_label(row), *v, text(*v), 0});
    chart.groups.push_back(std::move(group));
    return chart;
}

}  // namespace

Document training_document(const std::vector<StoredRun>& runs, const std::string& db_path) {
    std::vector<Row> rows;
    for (const StoredRun& run : runs) rows.push_back(row_of(run));
    // Layouts that fit first, then those with no record of it, then those over memory: a
    // layout that cannot run never heads the table as the cheapest.
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        return memory_rank(memory_verdict(*a.result)) < memory_rank(memory_verdict(*b.result));
    });

    Document doc;
    doc.title = "Training runs side by side";
    doc.preamble.push_back(detail::runs_preamble(db_path, "training", runs));

    Table table;
    table.columns = {{"run", Align::Right},
                     {"name"},
                     {"model"},
                     {"GPUs"},
                     {"layout"},
                     {"precision"},
                     {"fidelity"},
                     {"step time s", Align::Right},
                     {"MFU", Align::Right},
                     {"tokens/s per GPU", Align::Right},
                     {"GPU-hours per 1T tokens", Align::Right},
                     {"total tokens", Align::Right},
                     {"GPU-hours", Align::Right},
                     {"cost", Align::Right},
                     {"$ per 1M tokens", Align::Right},
                     {"wall days", Align::Right},
                     {"$ per GPU-hour", Align::Right},
                     {"peak memory GB", Align::Right},
                     {"memory headroom GB", Align::Right},
                     {"memory"}};
    doc.csv.header = {"run_id", "name", "model", "gpu", "gpus", "tp", "pp", "dp", "ep", "schedule", "zero_stage",
                      "precision", "fidelity", "step_time_s", "mfu", "tokens_per_s_per_gpu",
                      "gpu_hours_per_trillion_tokens", "total_tokens", "gpu_hours", "cost_usd",
                      "usd_per_million_tokens", "wall_days", "gpu_hour_usd", "label", "overrides",
                      "peak_memory_GB", "memory_headroom_GB", "over_memory"};
    auto optional_exact = [](const std::optional<double>& v) { return v ? exact(*v) : std::string(); };
    for (const Row& row : rows) {
        const StoredRun& run = *row.run;
        const training::TrainingResult& r = *row.result;
        const StoredScenario scenario(run.record.scenario_json);
        const std::string precision = scenario.text("/training/precision").value_or(kMissing);
        const MemoryVerdict memory = memory_verdict(r);
        table.rows.push_back(
            {std::to_string(run.id), detail::label_of(run), run.record.model,
             std::to_string(run.record.gpus) + " x " + run.record.gpu, scenario.training_layout().value_or(kMissing),
             precision, run.record.fidelity, grouped(r.step_time_s, 2), percent(r.mfu),
             grouped(r.tokens_per_s_per_gpu, 0),
             row.gpu_hours_per_trillion_tokens ? grouped(*row.gpu_hours_per_trillion_tokens, 0) : kMissing,
             row.total_tokens ? tokens(*row.total_tokens) : kMissing, grouped(r.gpu_hours, 0), usd(r.cost_usd, 0),
             usd(r.usd_per_million_tokens, 4), grouped(r.wall_days, 1),
             row.gpu_hour_usd ? usd(*row.gpu_hour_usd, 2) : kMissing, grouped(r.peak_memory_GB, 1),
             memory.headroom_GB ? grouped(*memory.headroom_GB, 1) : kMissing, describe(memory)});
        doc.csv.rows.push_back(
            {std::to_string(run.id), run.record.name, run.record.model, run.record.gpu, std::to_string(run.record.gpus),
             optional_exact(scenario.number("/parallelism/tp")), optional_exact(scenario.number("/parallelism/pp")),
             optional_exact(scenario.number("/parallelism/dp")), optional_exact(scenario.number("/parallelism/ep")),
             scenario.text("/parallelism/schedule").value_or(""),
             optional_exact(scenario.number("/parallelism/zero_stage")),
             scenario.text("/training/precision").value_or(""), run.record.fidelity, exact(r.step_time_s),
             exact(r.mfu), exact(r.tokens_per_s_per_gpu), optional_exact(row.gpu_hours_per_trillion_tokens),
             optional_exact(row.total_tokens), exact(r.gpu_hours), exact(r.cost_usd), exact(r.usd_per_million_tokens),
             exact(r.wall_days), optional_exact(row.gpu_hour_usd), detail::label_of(run), detail::overrides_cell(run),
             exact(r.peak_memory_GB), optional_exact(memory.headroom_GB),
             memory.over_memory ? (*memory.over_memory ? "1" : "0") : ""});
    }
    table.notes.push_back(
        "GPU-hours per 1T tokens = GPU-hours / total tokens × 10^12. GPU-hours, cost and wall days are for the "
        "scenario's training.total_tokens on its whole cluster, at its $ per GPU-hour. MFU counts model FLOPs "
        "against the GPU's dense BF16 peak whatever the precision (DESIGN.md §6). “–”: the stored scenario does not "
        "say.");
    table.notes.push_back(
        "memory headroom = the GPU memory the fit check allows minus the layout's peak per GPU, in GB (10^9 bytes). "
        "A layout simulated with --allow-memory-overflow whose peak exceeds it is marked OVER MEMORY and listed "
        "last: it could not run as laid out, whatever its cost. “memory not recorded”: a run written before moesim "
        "stored it.");
    doc.tables.push_back(std::move(table));

    doc.charts.push_back(chart_of(
        rows, "GPU-hours per trillion training tokens", "GPU-hours per 1T tokens",
        [](const Row& row) { return row.gpu_hours_per_trillion_tokens; }, [](double v) { return grouped(v, 0); }));
    doc.charts.push_back(chart_of(
        rows, "USD per 1M training tokens", "USD per 1M tokens",
        [](const Row& row) { return std::optional<double>(row.result->usd_per_million_tokens); },
        [](double v) { return usd(v, 4); }));
    doc.charts.push_back(chart_of(
        rows, "MFU (model FLOPs over the dense BF16 peak)", "MFU, %",
        [](const Row& row) { return std::optional<double>(100 * row.result->mfu); },
        [](double v) { return grouped(v, 1) + "%"; }));
    return doc;
}

}  // namespace moesim::report
