// Issue 18, item 4: runs of one scenario are told apart (a label built from their overrides),
// serving runs carry their rate, SLO verdict and request counts, training runs their memory
// headroom; reports mark and rank the runs that are not what their price suggests; and a
// database written by schema 2 migrates with its rows kept.
#include <catch2/catch.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "moesim/reports/json_output.h"
#include "moesim/reports/migrations.h"
#include "moesim/reports/render.h"
#include "moesim/reports/run_label.h"
#include "moesim/reports/run_status.h"
#include "moesim/reports/serving_compare.h"
#include "moesim/reports/training_report.h"
#include "report_db_fixtures.h"

using namespace moesim::report;
namespace training = moesim::training;
namespace inference = moesim::inference;
using Catch::Matchers::Contains;

namespace {

inference::InferenceResult with_traffic(inference::InferenceResult r, double rate, long long measured,
                                        long long unfinished, bool slo_met, const std::string& missed) {
    r.requests_per_s = rate;
    r.requests_measured = measured;
    r.requests_unfinished = unfinished;
    r.requests_rejected = 0;
    r.output_tokens_decoded = 1000000;
    r.slo_met = slo_met;
    r.slo_missed = missed;
    return r;
}

training::TrainingResult with_memory(training::TrainingResult r, double headroom_GB) {
    r.memory_headroom_GB = headroom_GB;
    r.over_memory = headroom_GB < 0;
    r.peak_memory_GB = 80 - headroom_GB;
    return r;
}

// Position of `needle` in `text`, REQUIREd to be there.
std::size_t position(const std::string& text, const std::string& needle) {
    const std::size_t at = text.find(needle);
    INFO(needle);
    REQUIRE(at != std::string::npos);
    return at;
}

}  // namespace

TEST_CASE("a run's label is its name tagged with the keys its overrides set", "[report]") {
    CHECK(run_label("v3", {}) == "v3");
    CHECK(run_label("deepseek-v3-pretrain", {"/parallelism/pp=8", "/parallelism/dp=256"}) ==
          "deepseek-v3-pretrain [pp=8 dp=256]");
    // Two pointers ending in the same key keep as much of their path as tells them apart.
    CHECK(run_label("s", {"/inference/prefill/instances=2", "/inference/decode/instances=4"}) ==
          "s [prefill/instances=2 decode/instances=4]");
    // An array index keeps its parent; a later value for the same pointer replaces the earlier.
    CHECK(run_label("s", {"/a/stages/3=4", "/b=1", "/b=2"}) == "s [stages/3=4 b=2]");
    // A JSON string loses its quotes; a rate found by --find-max-load shows 6 digits.
    CHECK(run_label("s", {"/cluster/gpu=\"H100\""}) == "s [gpu=H100]");
    CHECK(run_label("s", {max_load_override(12.345678901234)}) == "s [requests_per_s=12.3457]");
    CHECK(max_load_override(0.1) == "/inference/traffic/requests_per_s=0.10000000000000001");
}

TEST_CASE("label, overrides, serving verdict and memory headroom round-trip through the store", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    RunRecord record = test::training_record("v3");
    record.overrides = {"/parallelism/pp=8", "/parallelism/dp=256"};
    record.label = run_label(record.name, record.overrides);
    const training::TrainingResult over = with_memory(test::sample_training(), -12.5);
    const std::int64_t t = db.record_training_run(record, over);
    const inference::InferenceResult busy =
        with_traffic(test::sample_inference(), 40, 1000, 890, false, "ttft_p99_ms,tpot_p99_ms");
    const std::int64_t s = db.record_inference_run(test::serving_record("serve", "deepseek-v3"), busy);

    const StoredRun tr = *db.load_run(t);
    CHECK(tr.record.name == "v3");  // the scenario's name stays what --name selects
    CHECK(tr.record.label == "v3 [pp=8 dp=256]");
    CHECK(tr.record.overrides == record.overrides);
    CHECK(std::get<training::TrainingResult>(tr.result) == over);
    const StoredRun sr = *db.load_run(s);
    const auto& got = std::get<inference::InferenceResult>(sr.result);
    CHECK(got.requests_per_s == busy.requests_per_s);
    CHECK(got.requests_unfinished == busy.requests_unfinished);
    CHECK(got.output_tokens_decoded == busy.output_tokens_decoded);
    CHECK(got.slo_met == std::optional<bool>(false));
    CHECK(got.slo_missed == "ttft_p99_ms,tpot_p99_ms");
    CHECK(sr.record.label == "serve");  // no overrides: the name

    const auto json = run_to_json(sr);
    CHECK(json.at("slo_met") == false);
    CHECK(json.at("slo_missed") == nlohmann::json::array({"ttft_p99_ms", "tpot_p99_ms"}));
    CHECK(json.at("requests_unfinished") == 890);
    CHECK(run_to_json(tr).at("label") == "v3 [pp=8 dp=256]");
    CHECK(run_to_json(tr).at("over_memory") == true);

    const auto listed = db.list_runs();
    REQUIRE(listed.size() == 2);
    CHECK(listed[1].label == "v3 [pp=8 dp=256]");
    CHECK(describe(memory_verdict(listed[1])) == "OVER MEMORY by 12.5 GB");
    CHECK(describe(serving_verdict(listed[0])) == "SLO missed (TTFT p99, TPOT p99); overloaded: 89.0% unfinished");
    CHECK(run_summary_to_json(listed[0]).at("requests_per_s") == 40.0);
}

TEST_CASE("report compare marks an overloaded run and lists it after the one that met its SLO", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    // The overloaded run is recorded first and is cheaper per output token.
    RunRecord busy_record = test::serving_record("v3-serve", "deepseek-v3");
    busy_record.overrides = {"/inference/traffic/requests_per_s=40"};
    busy_record.label = run_label(busy_record.name, busy_record.overrides);
    const std::int64_t busy = db.record_inference_run(
        busy_record, with_traffic(test::serving_result(0.01, 0.1, 0.5), 40, 1000, 890, false, "ttft_p99_ms"));
    const std::int64_t honest = db.record_inference_run(
        test::serving_record("v3-serve", "deepseek-v3"),
        with_traffic(test::serving_result(0.02, 0.2, 0.9), 8, 200, 0, true, ""));
    const Document doc = serving_compare_document({*db.load_run(busy), *db.load_run(honest)}, db.prices(), {},
                                                  "r.sqlite");
    const std::string md = render_markdown(doc);
    INFO(md);
    const std::string mark = "SLO missed (TTFT p99); overloaded: 89.0% unfinished";
    CHECK_THAT(md, Contains("| v3-serve [requests_per_s=40] |"));
    CHECK_THAT(md, Contains("| 40.00 | 1,000 | 890 | 0 | " + mark + " |"));
    CHECK_THAT(md, Contains("| 8.00 | 200 | 0 | 0 | SLO met |"));
    CHECK(position(md, "| " + std::to_string(honest) + " | v3-serve |") <
          position(md, "| " + std::to_string(busy) + " | v3-serve [requests_per_s=40] |"));
    // In the price comparison the cheap run carries its mark in its name.
    CHECK_THAT(md, Contains("| " + std::to_string(busy) + " | v3-serve [requests_per_s=40] (" + mark + ") | output |"));
    CHECK_THAT(md, Contains("output tokens decoded in that window, of any request, finished or not"));

    const auto rows = test::parse_csv(render_csv(doc.csv));
    const auto& header = rows.at(0);
    auto column = [&](const std::string& name) {
        const auto it = std::find(header.begin(), header.end(), name);
        REQUIRE(it != header.end());
        return static_cast<std::size_t>(it - header.begin());
    };
    bool saw_busy = false;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        if (rows[i][column("run_id")] != std::to_string(busy)) continue;
        saw_busy = true;
        CHECK(rows[i][column("label")] == "v3-serve [requests_per_s=40]");
        CHECK(rows[i][column("overrides")] == "/inference/traffic/requests_per_s=40");
        CHECK(rows[i][column("requests_unfinished")] == "890");
        CHECK(rows[i][column("slo_met")] == "0");
        CHECK(rows[i][column("slo_missed")] == "ttft_p99_ms");
    }
    CHECK(saw_busy);
}

TEST_CASE("report training shows memory headroom and lists a layout over memory last, marked", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    training::TrainingResult cheap = with_memory(test::sample_training(), -20.5);
    cheap.usd_per_million_tokens = 0.2;  // cheaper than the layout that fits
    RunRecord over_record = test::training_record("v3");
    over_record.overrides = {"/parallelism/pp=8", "/parallelism/dp=256"};
    over_record.label = run_label(over_record.name, over_record.overrides);
    const std::int64_t over = db.record_training_run(over_record, cheap);
    const std::int64_t fits = db.record_training_run(test::training_record("v3"), with_memory(test::sample_training(), 7.5));
    const Document doc = training_document({*db.load_run(over), *db.load_run(fits)}, "r.sqlite");
    const std::string md = render_markdown(doc);
    INFO(md);
    CHECK_THAT(md, Contains("| 72.5 | 7.5 | fits, 7.5 GB headroom |"));
    CHECK_THAT(md, Contains("| 100.5 | -20.5 | OVER MEMORY by 20.5 GB |"));
    CHECK(position(md, "| " + std::to_string(fits) + " | v3 |") <
          position(md, "| " + std::to_string(over) + " | v3 [pp=8 dp=256] |"));
    const std::string html = render_html(doc);
    CHECK_THAT(html, Contains("v3 [pp=8 dp=256] (OVER MEMORY)"));
    const auto rows = test::parse_csv(render_csv(doc.csv));
    const auto& header = rows.at(0);
    const auto over_col = static_cast<std::size_t>(std::find(header.begin(), header.end(), "over_memory") - header.begin());
    const auto headroom_col =
        static_cast<std::size_t>(std::find(header.begin(), header.end(), "memory_headroom_GB") - header.begin());
    REQUIRE(over_col < header.size());
    REQUIRE(headroom_col < header.size());
    CHECK(rows.at(1)[over_col] == "0");  // the fitting layout first
    CHECK(rows.at(1)[headroom_col] == "7.5");
    CHECK(rows.at(2)[over_col] == "1");
    CHECK(rows.at(2)[headroom_col] == "-20.5");
}

TEST_CASE("a database written by schema 2 migrates to the latest and keeps its rows", "[report]") {
    test::TempDir dir;
    const auto path = dir / "old.sqlite";
    {
        // What the schema-2 binary wrote: migrations 1 and 2, recorded in schema_version, and a
        // run of each kind inserted with the columns schema 2 had.
        Connection old(path.string(), /*create=*/true);
        old.exec(R"sql(
            CREATE TABLE schema_version (
                version     INTEGER PRIMARY KEY,
                description TEXT NOT NULL,
                applied_utc TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))))sql");
        for (const Migration& m : migrations()) {
            if (m.version > 2) break;
            old.exec(m.sql);
            old.exec("INSERT INTO schema_version (version, description) VALUES (" + std::to_string(m.version) +
                     ", 'v" + std::to_string(m.version) + "')");
        }
        const nlohmann::json serve = {{"name", "old-serve"},
                                      {"inference", {{"traffic", {{"arrival", "poisson"}, {"requests_per_s", 8.5}}}}}};
        const std::string sha(64, 'a');
        old.exec(R"sql(
            INSERT INTO runs (name, mode, model, gpu, gpus, scenario_json, scenario_sha256, tool_version, git_revision,
                              seed, sim_wall_s, fidelity)
            VALUES ('old-train', 'training', 'deepseek-v3', 'H800', 2048, '{}', ')sql" + sha + R"sql(', '0.1', 'abc', 1,
                    0.5, 'analytic'),
                   ('old-serve', 'inference', 'deepseek-v3', 'H800', 352, ')sql" + serve.dump() + "', '" + sha +
                 R"sql(', '0.1', 'abc', 1, 0.5, 'event');
            INSERT INTO training_results VALUES (1, 1.5, 6e7, 4e7, 2e4, 2.5e11, 0.4, 0.2, 0.07, 0, 0, 0, 0, 61.5, 1000,
                                                 2000, 0.36, 50);
            INSERT INTO inference_results VALUES (2, 7e4, 1.4e4, 300, 800, 1900, 20, 30, 45, 1234, 0.8, 0.2, 0.02,
                                                  0.9);)sql");
    }
    ResultsDb db(path);
    CHECK(db.schema_version() == ResultsDb::latest_schema_version());
    const StoredRun train = *db.load_run(1);
    CHECK(train.record.name == "old-train");
    CHECK(train.record.label == "old-train");
    CHECK(train.record.overrides.empty());
    const auto& t = std::get<training::TrainingResult>(train.result);
    CHECK(t.peak_memory_GB == 61.5);
    CHECK(t.cost_usd == 2000);
    CHECK(!t.memory_headroom_GB);
    CHECK(!t.over_memory);
    const StoredRun serve = *db.load_run(2);
    const auto& s = std::get<inference::InferenceResult>(serve.result);
    CHECK(s.requests_completed == 1234);
    CHECK(s.usd_per_million_output_tokens == 0.9);
    CHECK(s.requests_per_s == std::optional<double>(8.5));  // read from the stored scenario
    CHECK(!s.slo_met);
    CHECK(!s.requests_unfinished);
    CHECK(describe(serving_verdict(s)) == "SLO not recorded");
    CHECK(run_to_json(serve).at("slo_met").is_null());
    CHECK(describe(memory_verdict(t)) == "memory not recorded");
    // The migrated database takes new runs, with the new columns.
    RunRecord record = test::training_record("new");
    record.overrides = {"/parallelism/pp=8"};
    const std::int64_t id = db.record_training_run(record, with_memory(test::sample_training(), 3));
    CHECK(id == 3);
    CHECK(db.load_run(id)->record.label == "new");  // an empty label is stored as the name
    CHECK(std::get<training::TrainingResult>(db.load_run(id)->result).memory_headroom_GB == std::optional<double>(3));
}

TEST_CASE("a serving verdict names what is wrong, and any flaw ranks a run after the clean ones", "[report]") {
    const ServingVerdict clean{true, "", 100, 0, 0};
    const ServingVerdict tail{true, "", 100, 5, 0};
    const ServingVerdict overloaded{false, "ttft_p99_ms", 1000, 890, 2};
    const ServingVerdict unknown{};
    CHECK(describe(clean) == "SLO met");
    CHECK(describe(tail) == "SLO met; 5.0% unfinished at the stop");
    CHECK(describe(overloaded) == "SLO missed (TTFT p99); overloaded: 89.0% unfinished; 2 rejected");
    CHECK(describe(ServingVerdict{false, "requests_completed", 10, 0, 0}) == "SLO missed (no request completed)");
    CHECK(describe(unknown) == "SLO not recorded");
    CHECK(serving_rank(clean) == 0);
    CHECK(serving_rank(unknown) == 1);
    CHECK(serving_rank(tail) == 2);
    CHECK(serving_rank(overloaded) == 2);
    CHECK(serving_rank(ServingVerdict{true, "", 100, 0, 1}) == 2);  // a rejected request
    CHECK(describe(MemoryVerdict{4.3, false}) == "fits, 4.3 GB headroom");
    CHECK(memory_rank(MemoryVerdict{-1, true}) == 2);
    CHECK(memory_rank(MemoryVerdict{}) == 1);
}
