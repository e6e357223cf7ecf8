// `moesim report sweep` below the CLI: a sweep found by name or id, its runs' Pareto fronts
// marked in every format, excluded runs kept off the fronts, and what the CSV and Markdown
// say of each run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <regex>

#include "moesim/common/error.h"
#include "moesim/reports/render.h"
#include "moesim/reports/run_label.h"
#include "moesim/reports/sweep_report.h"
#include "report_db_fixtures.h"

using namespace moesim::report;
using Catch::Matchers::Contains;

namespace {

struct Layout {
    std::vector<std::string> overrides;
    double step_time_s, peak_memory_GB;
    std::int64_t gpus = 2048;
};

// A training sweep's runs written as `moesim sweep` writes them: one batch tagged with the
// sweep, each labelled with its overrides.
std::int64_t write_sweep(ResultsDb& db, const std::string& name, const std::vector<Layout>& layouts,
                         std::int64_t points) {
    const std::int64_t sweep = db.record_sweep(name, R"({"name": ")" + name + R"(", "axes": [{}, {}]})", points);
    std::vector<PendingRun> batch;
    for (const Layout& l : layouts) {
        RunRecord record = test::training_record("v3");
        record.overrides = l.overrides;
        record.label = run_label("v3", l.overrides);
        record.sweep_id = sweep;
        record.gpus = l.gpus;
        moesim::training::TrainingResult r = test::sample_training();
        r.step_time_s = l.step_time_s;
        r.peak_memory_GB = l.peak_memory_GB;
        r.gpu_hours = 1000.0 * static_cast<double>(l.gpus) * l.step_time_s;
        batch.push_back({record, r});
    }
    db.write_batch(batch);
    return sweep;
}

// memory  step time
//   40      3.0     front (least memory)
//   50      2.5     front
//   55      2.8     dominated by the 50 GB layout
//   60      2.0     front
//   60      2.0     front (a tie with the one above)
//   70      2.2     dominated by both 60 GB layouts
const std::vector<Layout> kLayouts = {{{"/parallelism/pp=8"}, 3.0, 40},  {{"/parallelism/pp=16"}, 2.5, 50},
                                      {{"/parallelism/pp=32"}, 2.8, 55}, {{"/parallelism/pp=4"}, 2.0, 60},
                                      {{"/parallelism/pp=2"}, 2.0, 60},  {{"/parallelism/pp=1"}, 2.2, 70}};

std::string message_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const moesim::UserError& e) {
        return e.what();
    }
    FAIL("no UserError was thrown");
    return {};
}

}  // namespace

TEST_CASE("sweep report: found by name, id or as the newest, and unknown or ambiguous names refused", "[report][sweep]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    CHECK_THAT(message_of([&] { find_sweep(db, ""); }), Contains("holds no sweep"));
    const std::int64_t first = write_sweep(db, "layouts", kLayouts, 8);
    const std::int64_t second = write_sweep(db, "other", {kLayouts[0]}, 1);
    CHECK(find_sweep(db, "layouts").id == first);
    CHECK(find_sweep(db, std::to_string(second)).name == "other");
    CHECK(find_sweep(db, "").id == second);
    CHECK(find_sweep(db, "layouts").points == 8);
    const std::string unknown = message_of([&] { find_sweep(db, "layout"); });
    CHECK_THAT(unknown, Contains("sweep \"layout\": not in"));
    CHECK_THAT(unknown, Contains("did you mean"));
    CHECK_THAT(unknown, Contains("layouts (id " + std::to_string(first) + ")"));
    CHECK_THAT(message_of([&] { find_sweep(db, "99"); }), Contains("sweep 99: no sweep with that id"));
    // Two documents with one name: the id decides.
    db.record_sweep("layouts", R"({"name": "layouts", "axes": []})", 1);
    CHECK_THAT(message_of([&] { find_sweep(db, "layouts"); }), Contains("name one by its id"));
    // A run outside the sweep is not one of its runs.
    db.record_training_run(test::training_record("v3"), test::sample_training());
    CHECK(sweep_runs(db, first).size() == kLayouts.size());
}

TEST_CASE("sweep report: the step-time/memory front marked in the table, the CSV and the chart", "[report][sweep]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    const std::int64_t id = write_sweep(db, "layouts", kLayouts, 8);
    const SweepAnalysis a = analyse_sweep(find_sweep(db, "layouts"), sweep_runs(db, id));
    REQUIRE(a.fronts.size() == 1);  // one GPU count: no GPU-hours/GPUs front
    const SweepFront& f = a.fronts.front();
    CHECK(f.key == "step_time_vs_peak_memory");
    CHECK(f.front == std::vector<std::size_t>{0, 1, 3, 4});  // by memory, the tie in run order
    CHECK(f.kinds[2] == moesim::report::PointKind::Dominated);
    const Document doc = sweep_document(a, "r.sqlite");

    // CSV: one row per run, figures exact, the front as 0/1.
    const auto rows = test::parse_csv(render_csv(doc.csv));
    REQUIRE(rows.size() == kLayouts.size() + 1);
    const auto& header = rows[0];
    auto cell = [&](std::size_t row, const std::string& name) {
        const auto it = std::find(header.begin(), header.end(), name);
        REQUIRE(it != header.end());
        return rows[row][static_cast<std::size_t>(it - header.begin())];
    };
    for (std::size_t i = 0; i < kLayouts.size(); ++i) {
        CHECK(std::stod(cell(i + 1, "step_time_s")) == kLayouts[i].step_time_s);
        CHECK(std::stod(cell(i + 1, "peak_memory_GB")) == kLayouts[i].peak_memory_GB);
        CHECK(cell(i + 1, "overrides") == kLayouts[i].overrides.front());
        const bool on = std::find(f.front.begin(), f.front.end(), i) != f.front.end();
        CHECK(cell(i + 1, "front_step_time_vs_peak_memory") == (on ? "1" : "0"));
        CHECK(cell(i + 1, "excluded").empty());
    }

    // Markdown: the front marked in the runs table, and listed by memory in its own table.
    const std::string md = render_markdown(doc);
    INFO(md);
    CHECK_THAT(md, Contains("8 points, 6 runs recorded; 2 points not recorded"));
    CHECK(std::regex_search(md, std::regex(R"(\| pp=8 \| 3\.00 \| 40\.0 \|[^\n]*\| ★ time/memory \|)")));
    CHECK(std::regex_search(md, std::regex(R"(\| pp=32 \| 2\.80 \| 55\.0 \|[^\n]*\| – \|)")));
    const std::size_t table = md.find("## Pareto front: Step time against peak memory per GPU");
    REQUIRE(table != std::string::npos);
    const std::string front_md = md.substr(table);
    CHECK(front_md.find("| pp=8 |") < front_md.find("| pp=16 |"));
    CHECK(front_md.find("| pp=16 |") < front_md.find("| pp=4 |"));
    CHECK(front_md.find("| pp=32 |") == std::string::npos);
    CHECK_THAT(front_md, Contains("4 of 6 runs"));

    // Text: the same tables, aligned.
    const std::string text = render_plain(doc);
    CHECK_THAT(text, Contains("Sweep layouts\n============="));
    CHECK_THAT(text, Contains("★ time/memory"));

    // HTML: one chart, a circle per run, the front's four solid and joined.
    const std::string html = render_html(doc);
    const auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (std::size_t at = html.find(needle); at != std::string::npos; at = html.find(needle, at + 1)) ++n;
        return n;
    };
    CHECK(count("<circle class=\"point ") == kLayouts.size());
    CHECK(count("<circle class=\"point front\"") == 4);
    CHECK(count("class=\"front-line\"") == 1);
    CHECK_THAT(html, Contains(">peak memory per GPU, GB</text>"));  // axis titles with their units
    CHECK_THAT(html, Contains(">step time, s</text>"));
    CHECK_THAT(html, Contains(">#1 pp=8</text>"));   // the front's points labelled by their overrides
    CHECK_THAT(html, Contains(">#3</text>"));        // a dominated one by its id

    const auto json = sweep_report_json(a, "r.sqlite");
    CHECK(json.at("fronts").at(0).at("runs").size() == 4);
    CHECK(json.at("runs").at(2).at("fronts").empty());
}

TEST_CASE("sweep report: a GPU-hours/GPUs front when the sweep varies the GPU count", "[report][sweep]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    // GPU-hours = 1000 × GPUs × step time: 1024 × 3.0 < 2048 × 2.0 < 2048 × 2.5 (dominated)
    std::vector<Layout> layouts = {{{"/cluster/nodes=128"}, 3.0, 40, 1024},
                                   {{"/cluster/nodes=256"}, 2.0, 60, 2048},
                                   {{"/cluster/nodes=256", "/parallelism/pp=8"}, 2.5, 50, 2048}};
    const std::int64_t id = write_sweep(db, "sizes", layouts, 3);
    const SweepAnalysis a = analyse_sweep(find_sweep(db, "sizes"), sweep_runs(db, id));
    REQUIRE(a.fronts.size() == 2);
    CHECK(a.fronts[1].key == "gpu_hours_vs_gpus");
    // Fewer GPUs and fewer GPU-hours: the 1024-GPU layout alone is on this front.
    CHECK(a.fronts[1].front == std::vector<std::size_t>{0});
    CHECK(a.fronts[0].front == std::vector<std::size_t>{0, 2, 1});  // every one trades memory for time
}

TEST_CASE("sweep report: a serving run that missed its SLO is drawn hollow, never on a front", "[report][sweep]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    const std::int64_t sweep = db.record_sweep("serve", R"({"name": "serve"})", 3);
    std::vector<PendingRun> batch;
    struct Point {
        double tpot_ms, tokens_per_node, usd, ttft_ms;
        bool slo_met;
    };
    // The overloaded one reads cheapest and fastest: it must not win.
    for (const Point& p : {Point{40, 16000, 0.9, 800, true}, Point{30, 12000, 1.2, 600, true},
                           Point{20, 20000, 0.5, 400, false}}) {
        RunRecord record = test::serving_record("v3-serve", "deepseek-v3");
        record.sweep_id = sweep;
        moesim::inference::InferenceResult r = test::sample_inference();
        r.tpot_ms.p99 = p.tpot_ms;
        r.ttft_ms.p99 = p.ttft_ms;
        r.decode_output_tokens_per_s_per_node = p.tokens_per_node;
        r.usd_per_million_output_tokens = p.usd;
        r.slo_met = p.slo_met;
        r.slo_missed = p.slo_met ? "" : "ttft_p99_ms";
        batch.push_back({record, r});
    }
    db.write_batch(batch);
    const SweepAnalysis a = analyse_sweep(find_sweep(db, "serve"), sweep_runs(db, sweep));
    REQUIRE(a.fronts.size() == 2);
    CHECK(a.fronts[0].key == "throughput_vs_tpot");
    CHECK(a.fronts[0].front == std::vector<std::size_t>{1, 0});  // by TPOT: 30 ms, then 40 ms
    CHECK(a.fronts[1].front == std::vector<std::size_t>{1, 0});  // by TTFT: 600 ms, then 800 ms
    CHECK(a.fronts[0].kinds[2] == moesim::report::PointKind::Excluded);
    // 16000 tokens/s per node over 8 GPUs per node.
    CHECK(a.columns[0].metric.key == "output_tokens_per_s_per_gpu");
    CHECK(a.columns[0].values[0] == 2000);
    const Document doc = sweep_document(a, "r.sqlite");
    const std::string html = render_html(doc);
    CHECK_THAT(html, Contains("class=\"point excluded\""));
    CHECK_THAT(html, Contains("excluded: SLO missed or overloaded"));
    CHECK_THAT(render_markdown(doc), Contains("Not candidates (drawn hollow, never on a front): run 3: SLO missed"));
}
