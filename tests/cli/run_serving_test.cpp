// `moesim run` on serving scenarios (issue 5): the bundled ones run, --json carries the
// DESIGN.md §6 inference fields and the database row holds them, runs are deterministic,
// --find-max-load reports and records the rate it found, and what is wrong exits 2 writing
// nothing. Durations are cut with --set so that each run takes a fraction of a second.
#include <set>

#include <catch2/catch.hpp>

#include <algorithm>

#include "cli_fixtures.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

namespace {

const std::string kLlamaServe = "scenarios/llama-3.1-70b-serve-8xh100.json";
const std::string kShort = "/inference/traffic/duration_s=20";

const std::set<std::string> kInferenceKeys = {
    // every run
    "run_id", "name", "mode", "model", "gpu", "gpus", "seed", "sim_wall_s",
    // inference
    "prefill_input_tokens_per_s_per_node", "decode_output_tokens_per_s_per_node", "ttft_ms", "tpot_ms",
    "requests_completed", "kv_cache_utilization", "usd_per_million_input_tokens_cache_miss",
    "usd_per_million_input_tokens_cache_hit", "usd_per_million_output_tokens",
    // beside them
    "fidelity", "assumptions",
    // schema 3 (issue 18): what tells runs apart
    "label", "overrides", "requests_per_s", "requests_measured", "requests_unfinished", "requests_rejected",
    "output_tokens_decoded", "slo_met", "slo_missed",
    // issue 13: where the iterations' time went (not stored in the database)
    "breakdown",
    // schema 5 (issue 13): measured requests that waited for decode KV room
    "decode_holds"};

std::set<std::string> keys_of(const json& j) {
    std::set<std::string> keys;
    for (const auto& [k, v] : j.items()) keys.insert(k);
    return keys;
}

std::vector<std::string> serving_scenarios() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(source_path("scenarios")))
        if (e.path().extension() == ".json" && load_json(e.path()).at("mode") == "inference")
            out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("run: every bundled serving scenario runs and prints its summary", "[cli]") {
    TempDir tmp;
    const auto files = serving_scenarios();
    REQUIRE(files.size() >= 5);
    const auto db = (tmp / "s.sqlite").string();
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), files.begin(), files.end());
    args.insert(args.end(), {"--set", kShort, "--db", db});
    const auto r = run_moesim_args(tmp, args);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    for (const auto& f : files) CHECK_THAT(r.out, Contains(load_json(f).at("name").get<std::string>() + ": serving "));
    for (const char* line : {"  prefill ", "  decode ", "  TTFT ", "  TPOT ", "  throughput ", "  KV cache ", "  cost ",
                             "per 1M output tokens", "  assumptions:"})
        CHECK_THAT(r.out, Contains(line));
    // The V3 report's prefill: 256 routed experts and 32 redundant ones over EP32, 9 per GPU.
    CHECK_THAT(r.out, Contains("EP32 (9 experts per GPU, 32 redundant)"));
    CHECK(count_runs(db) == static_cast<long long>(files.size()));
    CHECK(query(db, "SELECT count(*) AS n FROM inference_results").at(0).at("n") == std::to_string(files.size()));
}

TEST_CASE("run --json: a serving scenario gives the DESIGN §6 inference fields, as stored", "[cli]") {
    TempDir tmp;
    const auto db = (tmp / "s.sqlite").string();
    const json runs = run_json(tmp, {source_path(kServeScenario), "--set", kShort, "--db", db}).at("runs");
    REQUIRE(runs.size() == 1);
    const json& run = runs[0];
    CHECK(keys_of(run) == kInferenceKeys);
    CHECK(run["mode"] == "inference");
    CHECK(run["fidelity"] == "event");
    // Every GPU of both pools: (prefill instances x nodes + decode instances x nodes) x GPUs per node.
    const json scenario = load_json(source_path(kServeScenario));
    const json& inf = scenario.at("inference");
    const auto pool_nodes = [&](const char* pool) {
        return inf.at(pool).at("instances").get<int>() * inf.at(pool).at("nodes").get<int>();
    };
    CHECK(run["gpus"] == (pool_nodes("prefill") + pool_nodes("decode")) * scenario.at("cluster").at("gpus_per_node").get<int>());
    CHECK(run["requests_completed"].is_number_integer());
    CHECK(run["requests_completed"].get<long long>() > 0);
    for (const char* p : {"ttft_ms", "tpot_ms"}) {
        INFO(p);
        CHECK(keys_of(run[p]) == std::set<std::string>{"p50", "p90", "p99"});
        CHECK(run[p]["p50"].get<double>() > 0);
        CHECK(run[p]["p50"].get<double>() <= run[p]["p90"].get<double>());
        CHECK(run[p]["p90"].get<double>() <= run[p]["p99"].get<double>());
    }
    for (const char* k : {"prefill_input_tokens_per_s_per_node", "decode_output_tokens_per_s_per_node",
                          "usd_per_million_input_tokens_cache_miss", "usd_per_million_input_tokens_cache_hit",
                          "usd_per_million_output_tokens"}) {
        INFO(k);
        CHECK(run[k].get<double>() > 0);
    }
    CHECK(run["kv_cache_utilization"].get<double>() > 0);
    CHECK(run["kv_cache_utilization"].get<double>() < 1);
    const Row row = query(db, "SELECT * FROM inference_results WHERE run_id = " + run["run_id"].dump()).at(0);
    CHECK(std::stod(row.at("ttft_p99_ms")) == run["ttft_ms"]["p99"].get<double>());
    CHECK(std::stod(row.at("usd_per_million_output_tokens")) == run["usd_per_million_output_tokens"].get<double>());
    CHECK(row.at("requests_completed") == run["requests_completed"].dump());
    const Row r = query(db, "SELECT mode, fidelity FROM runs WHERE id = " + run["run_id"].dump()).at(0);
    CHECK(r.at("mode") == "inference");
    CHECK(r.at("fidelity") == "event");
}

TEST_CASE("run: a serving scenario twice gives the same numbers", "[cli]") {
    TempDir tmp;
    const auto db = (tmp / "s.sqlite").string();
    json a = run_json(tmp, {source_path(kLlamaServe), "--set", kShort, "--db", db}).at("runs").at(0);
    json b = run_json(tmp, {source_path(kLlamaServe), "--set", kShort, "--db", db}).at("runs").at(0);
    for (json* j : {&a, &b}) {
        j->erase("run_id");
        j->erase("sim_wall_s");
    }
    CHECK(a == b);
}

TEST_CASE("run --find-max-load: prints the rate found and records the run at that rate", "[cli]") {
    TempDir tmp;
    const auto db = (tmp / "s.sqlite").string();
    const json run =
        run_json(tmp, {source_path(kLlamaServe), "--set", kShort, "--find-max-load", "--db", db}).at("runs").at(0);
    const double rate = run.at("max_load").at("requests_per_s").get<double>();
    CHECK(rate > 0);
    bool found_in_probes = false;
    for (const auto& p : run["max_load"]["probes"]) {
        if (p["requests_per_s"] == rate) found_in_probes = p["meets_slo"] == true;
        if (p["requests_per_s"].get<double>() > rate) CHECK(p["meets_slo"] == false);
    }
    CHECK(found_in_probes);
    CHECK(run["ttft_ms"]["p99"].get<double>() <= 2000);
    CHECK(run["tpot_ms"]["p99"].get<double>() <= 50);
    // The stored scenario is the one simulated: at the rate found.
    const json stored = json::parse(query(db, "SELECT scenario_json FROM runs").at(0).at("scenario_json"));
    CHECK(stored["inference"]["traffic"]["requests_per_s"].get<double>() == rate);
    CHECK(count_runs(db) == 1);

    const auto text = run_moesim(tmp, "run", source_path(kLlamaServe), "--set", kShort, "--find-max-load", "--db", db);
    REQUIRE(text.exit_status == 0);
    CHECK_THAT(text.out, Contains("  max load ") && Contains("is the highest rate found that meets the SLO"));
}

TEST_CASE("run --find-max-load --seeds: the search over more seeds, their spread, the run at the scenario's seed", "[cli]") {
    TempDir tmp;
    const auto db = (tmp / "s.sqlite").string();
    const json run = run_json(tmp, {source_path(kLlamaServe), "--set", kShort, "--find-max-load", "--seeds", "3", "--db", db})
                         .at("runs")
                         .at(0);
    const json& m = run.at("max_load");
    const json& over = m.at("over_seeds");
    REQUIRE(over.at("seeds").size() == 3);
    CHECK(over.at("seeds").at(0).at("seed") == 1);  // the scenario's seed, then the next ones
    CHECK(over.at("seeds").at(2).at("seed") == 3);
    CHECK(over.at("seeds").at(0).at("requests_per_s") == m.at("requests_per_s"));
    std::vector<double> rates;
    for (const auto& r : over.at("seeds")) rates.push_back(r.at("requests_per_s").get<double>());
    std::sort(rates.begin(), rates.end());
    CHECK(over.at("min_requests_per_s").get<double>() == rates.front());
    CHECK(over.at("median_requests_per_s").get<double>() == rates[1]);
    CHECK(over.at("max_requests_per_s").get<double>() == rates.back());
    // Another seed's answer is that seed's own search, whatever the threads did.
    const json seed3 = run_json(tmp, {source_path(kLlamaServe), "--set", kShort, "--set", "/seed=3", "--find-max-load", "--seeds",
                                      "1", "--db", db})
                           .at("runs")
                           .at(0);
    CHECK(seed3.at("max_load").at("requests_per_s") == over.at("seeds").at(2).at("requests_per_s"));
    CHECK_FALSE(seed3.at("max_load").contains("over_seeds"));
    const auto text = run_moesim(tmp, "run", source_path(kLlamaServe), "--set", kShort, "--find-max-load", "--seeds", "2", "--db", db);
    REQUIRE(text.exit_status == 0);
    CHECK_THAT(text.out, Contains("  over seeds    seed 1: ") && Contains(", seed 2: ") && Contains("of the median"));

    const auto zero = run_moesim(tmp, "run", source_path(kLlamaServe), "--find-max-load", "--seeds", "0", "--db", db);
    CHECK(zero.exit_status == 2);
    CHECK_THAT(zero.err, Contains("--seeds: must be in [1, 64], got 0"));
    const auto alone = run_moesim(tmp, "run", source_path(kLlamaServe), "--seeds", "2", "--db", db);
    CHECK(alone.exit_status == 2);
    CHECK_THAT(alone.err, Contains("add --find-max-load"));
    CHECK(count_runs(db) == 3);  // the refused ones wrote nothing
}

TEST_CASE("run: serving scenarios that are wrong exit 2 and write nothing", "[cli]") {
    TempDir tmp;
    const auto llama = source_path(kLlamaServe);
    SECTION("an SLO no load can meet, with --find-max-load") {
        const auto f = scenario_variant(tmp, "fast.json", kLlamaServe,
                                        [](json& j) { j["inference"]["slo"]["tpot_p99_ms"] = 1; });
        expect_rejected(tmp, {f, "--find-max-load"},
                        {at(f, "/inference/slo/tpot_p99_ms"), "cannot be met at any request rate", "per output token"});
    }
    SECTION("a trace with an arrival before the one above it") {
        write_text(tmp, "trace.csv", "arrival_s,input_tokens,output_tokens,cached_tokens\n0.5,100,10,0\n0.25,100,10,0\n");
        const auto f = scenario_variant(tmp, "traced.json", kLlamaServe, [](json& j) {
            auto& t = j["inference"]["traffic"];
            t = {{"arrival", "trace"}, {"trace_file", "trace.csv"}, {"duration_s", 10}};
        });
        expect_rejected(tmp, {f}, {at(f, "/inference/traffic/trace_file"), "trace.csv\" line 3", "earlier"});
    }
    SECTION("a deployment whose weights do not fit") {
        const auto f = scenario_variant(tmp, "small.json", kServeScenario, [](json& j) {
            j["inference"]["decode"]["nodes"] = 1;
            j["inference"]["decode"]["ep"] = 8;
        });
        expect_rejected(tmp, {llama, f}, {at(f, "/inference/decode"), " GB"});
    }
    SECTION("--find-max-load on a training scenario") {
        expect_rejected(tmp, {llama, source_path(kV3Scenario), "--find-max-load"},
                        {"--find-max-load", "training scenario"});
    }
    SECTION("--trace on a serving scenario") {
        expect_rejected(tmp, {llama, "--fidelity", "event", "--trace", (tmp / "t.json").string()},
                        {"--trace", "serving scenario"});
    }
}
