#include "moesim/reports/sweep_report.h"

#include <cmath>

#include "moesim/reports/report_format.h"
#include "moesim/reports/run_status.h"
#include "stored_scenario.h"

namespace moesim::report {

namespace {

using detail::kMissing;

std::string shown(double value, const Metric& m) { return std::isfinite(value) ? grouped(value, m.decimals) : kMissing; }
std::string raw(double value) { return std::isfinite(value) ? exact(value) : std::string(); }
// Whether the name says its unit already, as a word: "GPUs", "$ per 1M tokens", "tokens/s per
// GPU" (but not the "s" of "step time").
bool names_unit(const Metric& m) {
    for (std::size_t at = m.name.find(m.unit); at != std::string::npos; at = m.name.find(m.unit, at + 1)) {
        const std::size_t end = at + m.unit.size();
        if ((at == 0 || m.name[at - 1] == ' ') && (end == m.name.size() || m.name[end] == ' ')) return true;
    }
    return false;
}
// The name with its unit, unless the name says it already.
std::string named(const Metric& m, const char* separator) {
    return names_unit(m) ? m.name : m.name + separator + m.unit;
}
std::string heading(const Metric& m) { return named(m, " "); }
std::string axis_title(const Metric& m) { return named(m, ", "); }
// "step time 17.90 s", "GPUs 2,048"
std::string figure(const Metric& m, double value) {
    return m.name + " " + shown(value, m) + (names_unit(m) ? "" : " " + m.unit);
}

// The fronts a run is on, by their short names: "time/memory, GPU-hours/GPUs".
std::string front_marks(const SweepAnalysis& a, std::size_t run) {
    std::string out;
    for (const SweepFront& f : a.fronts)
        if (f.kinds[run] == PointKind::Front) out += (out.empty() ? "★ " : ", ") + f.short_name;
    return out;
}

// "deepseek-v3-pretrain.json, fidelity analytic, 4 axes", as far as the stored document says.
std::string sweep_origin(const SweepRecord& s) {
    const auto doc = nlohmann::json::parse(s.sweep_json, nullptr, false);
    if (!doc.is_object()) return "";
    std::string out;
    if (doc.contains("scenario") && doc["scenario"].is_string()) out += "scenario " + doc["scenario"].get<std::string>();
    if (doc.contains("axes") && doc["axes"].is_array())
        out += (out.empty() ? "" : ", ") + std::to_string(doc["axes"].size()) + " axes";
    return out.empty() ? "" : " (" + out + ")";
}

std::string preamble(const SweepAnalysis& a, const std::string& db_path) {
    const auto recorded = static_cast<std::int64_t>(a.runs.size());
    std::string text = "Sweep " + a.sweep.name + " (id " + std::to_string(a.sweep.id) + ", first run " +
                       a.sweep.created_utc + ")" + sweep_origin(a.sweep) + " in results database " + db_path + ": " +
                       std::to_string(a.sweep.points) + " points, " + std::to_string(recorded) + " runs recorded";
    if (a.sweep.points > recorded)
        text += "; " + std::to_string(a.sweep.points - recorded) +
                " points not recorded: refused by the scenario checks (memory, divisibility) or not run yet. "
                "moesim sweep prints the refusals by reason; the database does not keep them";
    return text + ".";
}

std::string fronts_note(const SweepAnalysis& a) {
    std::string excluded;
    for (std::size_t i = 0; i < a.runs.size(); ++i)
        if (!a.excluded_why[i].empty()) excluded += (excluded.empty() ? "" : "; ") + std::string("run ") +
                                                    std::to_string(a.runs[i].id) + ": " + a.excluded_why[i];
    std::string note =
        "★ marks the runs on a Pareto front: no other run is at least as good on both of its figures and better on "
        "one (runs that tie exactly are all on it).";
    if (!excluded.empty())
        note += " Not candidates (drawn hollow, never on a front): " + excluded + ".";
    return note;
}

}  // namespace

Document sweep_document(const SweepAnalysis& a, const std::string& db_path) {
    Document doc;
    doc.title = "Sweep " + a.sweep.name;
    doc.preamble.push_back(preamble(a, db_path));

    // The runs, in point order, every figure and the fronts each is on.
    Table runs;
    runs.title = "Runs";
    runs.columns = {{"run", Align::Right}, {"overrides"}};
    doc.csv.header = {"run_id", "label", "overrides"};
    for (const MetricColumn& c : a.columns) {
        runs.columns.push_back({heading(c.metric), Align::Right});
        doc.csv.header.push_back(c.metric.key);
    }
    runs.columns.push_back({a.mode == "training" ? "memory" : "SLO"});
    runs.columns.push_back({"Pareto front"});
    doc.csv.header.push_back("excluded");
    for (const SweepFront& f : a.fronts) doc.csv.header.push_back("front_" + f.key);
    for (std::size_t i = 0; i < a.runs.size(); ++i) {
        const StoredRun& run = a.runs[i];
        std::vector<std::string> row = {std::to_string(run.id), override_tag(run)};
        std::vector<std::string> csv = {std::to_string(run.id), detail::label_of(run), detail::overrides_cell(run)};
        for (const MetricColumn& c : a.columns) {
            row.push_back(shown(c.values[i], c.metric));
            csv.push_back(raw(c.values[i]));
        }
        std::string verdict;
        if (const auto* t = std::get_if<training::TrainingResult>(&run.result))
            verdict = describe(memory_verdict(*t));
        else
            verdict = describe(serving_verdict(std::get<inference::InferenceResult>(run.result)));
        row.push_back(verdict);
        row.push_back(front_marks(a, i).empty() ? kMissing : front_marks(a, i));
        csv.push_back(a.excluded_why[i]);
        for (const SweepFront& f : a.fronts) csv.push_back(f.kinds[i] == PointKind::Front ? "1" : "0");
        runs.rows.push_back(std::move(row));
        doc.csv.rows.push_back(std::move(csv));
    }
    if (a.runs.empty())
        runs.notes.push_back("No run of this sweep is recorded: every point was refused, or none has run yet.");
    else
        runs.notes.push_back(fronts_note(a));
    doc.tables.push_back(std::move(runs));

    // Each front in x order, and its chart.
    for (const SweepFront& f : a.fronts) {
        Table t;
        t.title = "Pareto front: " + f.title;
        t.columns = {{"run", Align::Right}, {"overrides"}, {heading(f.x), Align::Right}, {heading(f.y), Align::Right}};
        for (std::size_t i : f.front)
            t.rows.push_back({std::to_string(a.runs[i].id), override_tag(a.runs[i]), shown(f.xs[i], f.x),
                              shown(f.ys[i], f.y)});
        t.notes.push_back(std::to_string(f.front.size()) + " of " + std::to_string(a.runs.size()) +
                          " runs, by " + f.x.name + "; better: " +
                          (f.x.sense == Sense::Minimize ? "lower " : "higher ") + f.x.name + ", " +
                          (f.y.sense == Sense::Minimize ? "lower " : "higher ") + f.y.name + ".");
        doc.tables.push_back(std::move(t));

        ScatterChart chart;
        chart.title = f.title;
        chart.x_title = axis_title(f.x);
        chart.y_title = axis_title(f.y);
        chart.x_lower_is_better = f.x.sense == Sense::Minimize;
        chart.y_lower_is_better = f.y.sense == Sense::Minimize;
        chart.excluded_legend = a.mode == "training" ? "over memory" : "SLO missed or overloaded";
        for (std::size_t i = 0; i < a.runs.size(); ++i) {
            if (!std::isfinite(f.xs[i]) || !std::isfinite(f.ys[i])) continue;
            const StoredRun& run = a.runs[i];
            // The front's runs labelled "#3 pp=8 dp=256", the others by their id alone (the
            // table says the rest; every point's tooltip has it all).
            const bool on_front = f.kinds[i] == PointKind::Front;
            chart.points.push_back({f.xs[i], f.ys[i], std::to_string(run.id),
                                    on_front ? "#" + std::to_string(run.id) + " " + override_tag(run) : "",
                                    "run " + std::to_string(run.id) + " · " + detail::label_of(run) + ": " +
                                        figure(f.x, f.xs[i]) + ", " + figure(f.y, f.ys[i]) +
                                        (f.kinds[i] == PointKind::Front ? " (Pareto front)" : ""),
                                    f.kinds[i]});
        }
        if (!chart.points.empty()) doc.scatters.push_back(std::move(chart));
    }
    return doc;
}

nlohmann::json sweep_report_json(const SweepAnalysis& a, const std::string& db_path) {
    using nlohmann::json;
    auto metric_json = [](const Metric& m) {
        return json{{"metric", m.key}, {"unit", m.unit}, {"better", m.sense == Sense::Minimize ? "lower" : "higher"}};
    };
    json fronts = json::array();
    for (const SweepFront& f : a.fronts) {
        json ids = json::array();
        for (std::size_t i : f.front) ids.push_back(a.runs[i].id);
        fronts.push_back({{"key", f.key}, {"title", f.title}, {"x", metric_json(f.x)}, {"y", metric_json(f.y)},
                          {"runs", ids}});
    }
    json runs = json::array();
    for (std::size_t i = 0; i < a.runs.size(); ++i) {
        const StoredRun& run = a.runs[i];
        json r = {{"run_id", run.id}, {"label", detail::label_of(run)}, {"overrides", run.record.overrides}};
        for (const MetricColumn& c : a.columns)
            r[c.metric.key] = std::isfinite(c.values[i]) ? json(c.values[i]) : json(nullptr);
        r["excluded"] = a.excluded_why[i].empty() ? json(nullptr) : json(a.excluded_why[i]);
        json on = json::array();
        for (const SweepFront& f : a.fronts)
            if (f.kinds[i] == PointKind::Front) on.push_back(f.key);
        r["fronts"] = on;
        runs.push_back(std::move(r));
    }
    return {{"sweep",
             {{"id", a.sweep.id},
              {"name", a.sweep.name},
              {"created_utc", a.sweep.created_utc},
              {"points", a.sweep.points},
              {"runs_recorded", a.runs.size()},
              {"db", db_path}}},
            {"mode", a.mode},
            {"fronts", fronts},
            {"runs", runs}};
}

}  // namespace moesim::report
