// Issue 18, item 4, through the binary: a --set run and a plain run of one scenario are told
// apart in `moesim runs`, the reports and --json; an overloaded serving run records its SLO
// miss and unfinished requests and the report marks it; a layout run over memory with
// --allow-memory-overflow has negative headroom and is marked, a fitting one positive.
#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

namespace {

const std::string kLlamaServe = "scenarios/llama-3.1-70b-serve-8xh100.json";
const std::string kShort = "/inference/traffic/duration_s=20";
// Long enough for every measured request to finish before the stop at 2 x duration_s.
const std::string kLong = "/inference/traffic/duration_s=120";

CommandResult ok(const TempDir& tmp, const std::vector<std::string>& args) {
    auto r = run_moesim_args(tmp, args);
    INFO("moesim " << args.front() << " stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    return r;
}

std::size_t position(const std::string& text, const std::string& needle) {
    const std::size_t at = text.find(needle);
    INFO(needle << " in\n" << text);
    REQUIRE(at != std::string::npos);
    return at;
}

}  // namespace

TEST_CASE("runs: a --set run and a plain run of one scenario are told apart everywhere", "[cli]") {
    TempDir tmp;
    const std::string db = (tmp / "r.sqlite").string();
    const std::string v3 = source_path(kV3Scenario);
    const json plain = run_json(tmp, {v3, "--db", db});
    const json priced = run_json(tmp, {v3, "--set", "/cluster/gpu_hour_usd=3.5", "--db", db});
    const std::string name = plain.at("runs")[0].at("name");
    CHECK(plain.at("runs")[0].at("label") == name);
    CHECK(plain.at("runs")[0].at("overrides") == json::array());
    CHECK(priced.at("runs")[0].at("name") == name);
    CHECK(priced.at("runs")[0].at("label") == name + " [gpu_hour_usd=3.5]");
    CHECK(priced.at("runs")[0].at("overrides") == json::array({"/cluster/gpu_hour_usd=3.5"}));

    const auto rows = query(db, "SELECT id, name, label, overrides_json FROM runs ORDER BY id");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].at("name") == rows[1].at("name"));
    CHECK(rows[1].at("label") == name + " [gpu_hour_usd=3.5]");
    CHECK(json::parse(rows[1].at("overrides_json")) == json::array({"/cluster/gpu_hour_usd=3.5"}));

    const std::string listed = ok(tmp, {"runs", "--db", db}).out;
    CHECK_THAT(listed, Contains(name + " [gpu_hour_usd=3.5]"));
    CHECK_THAT(listed, Contains("GB headroom"));
    const json runs = json::parse(ok(tmp, {"runs", "--db", db, "--json"}).out);
    CHECK(runs.at("runs")[0].at("label") == name + " [gpu_hour_usd=3.5]");
    CHECK(runs.at("runs")[1].at("label") == name);
    // --name still selects both: the name is the scenario's.
    CHECK(json::parse(ok(tmp, {"runs", "--db", db, "--json", "--name", name}).out).at("runs").size() == 2);

    const std::string md = ok(tmp, {"report", "training", "--db", db}).out;
    CHECK_THAT(md, Contains("| 1 | " + name + " |"));
    CHECK_THAT(md, Contains("| 2 | " + name + " [gpu_hour_usd=3.5] |"));
    const std::string csv = ok(tmp, {"report", "training", "--db", db, "--format", "csv"}).out;
    CHECK_THAT(csv, Contains("/cluster/gpu_hour_usd=3.5"));
}

TEST_CASE("run: an overloaded serving run records its SLO miss and unfinished requests, and is marked", "[cli]") {
    TempDir tmp;
    const std::string db = (tmp / "s.sqlite").string();
    const std::string llama = source_path(kLlamaServe);
    const double rate = load_json(llama).at("inference").at("traffic").at("requests_per_s").get<double>();
    // The overloaded run first (run 1): it decodes flat out, so its $ per output token is lower.
    const std::string overload = "/inference/traffic/requests_per_s=" + std::to_string(20 * rate);
    const auto r = ok(tmp, {"run", llama, "--set", kShort, "--set", overload, "--db", db});
    CHECK_THAT(r.out, Contains("  verdict       SLO missed ("));
    CHECK_THAT(r.out, Contains("overloaded: "));
    CHECK_THAT(r.out, Contains("output tokens decoded in it, of any request, finished or not"));
    const json busy = json::parse(ok(tmp, {"runs", "--db", db, "--json"}).out).at("runs")[0];
    CHECK(busy.at("requests_per_s").get<double>() == Approx(20 * rate));
    CHECK(busy.at("slo_met") == false);
    CHECK(busy.at("slo_missed").size() >= 1);
    CHECK(busy.at("requests_unfinished").get<long long>() > 0);
    CHECK(busy.at("label").get<std::string>().find("[duration_s=20 requests_per_s=") != std::string::npos);

    const json honest = run_json(tmp, {llama, "--set", kLong, "--db", db}).at("runs")[0];
    CHECK(honest.at("requests_per_s") == rate);
    REQUIRE(honest.at("slo_met") == true);
    CHECK(honest.at("slo_missed") == json::array());
    CHECK(honest.at("requests_unfinished") == 0);
    CHECK(honest.at("requests_measured").get<long long>() == honest.at("requests_completed").get<long long>());
    CHECK(honest.at("output_tokens_decoded").get<long long>() > 0);

    const auto rows = query(db, "SELECT slo_met, slo_missed, requests_unfinished, requests_per_s FROM inference_results "
                                "ORDER BY run_id");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].at("slo_met") == "0");
    CHECK(rows[1].at("slo_met") == "1");
    CHECK(std::stoll(rows[0].at("requests_unfinished")) == busy.at("requests_unfinished").get<long long>());

    // The report marks the overloaded run and lists it after the one that met its SLO.
    const std::string md = ok(tmp, {"report", "compare", "--db", db}).out;
    const std::size_t honest_row = position(md, "\n| 2 | ");
    const std::size_t busy_row = position(md, "\n| 1 | ");
    CHECK(honest_row < busy_row);
    CHECK_THAT(md, Contains("| SLO met |"));
    CHECK_THAT(md.substr(busy_row), Contains("SLO missed ("));
    CHECK_THAT(md.substr(busy_row), Contains("overloaded: "));
    const std::string listed = ok(tmp, {"runs", "--db", db}).out;
    CHECK_THAT(listed, Contains("overloaded: "));
}

TEST_CASE("run: a layout over memory has negative headroom and is marked — one that fits, positive", "[cli]") {
    TempDir tmp;
    const std::string db = (tmp / "m.sqlite").string();
    const std::string v3 = source_path(kV3Scenario);
    const double hbm_GB = gpu_spec(tmp, "H800").at("hbm_bytes").get<double>() / 1e9;
    const json fits = run_json(tmp, {v3, "--db", db}).at("runs")[0];
    CHECK(fits.at("over_memory") == false);
    CHECK(fits.at("memory_headroom_GB").get<double>() > 0);
    // At most the GPU's memory less the peak (the fit check may keep a reserve).
    CHECK(fits.at("memory_headroom_GB").get<double>() <= hbm_GB - fits.at("peak_memory_GB").get<double>() + 1e-9);
    const auto r = ok(tmp, {"run", v3, "--set", "/parallelism/pp=8", "--set", "/parallelism/dp=256",
                            "--allow-memory-overflow", "--db", db});
    CHECK_THAT(r.out, Contains("  headroom      OVER MEMORY by "));
    const json over = json::parse(ok(tmp, {"runs", "--db", db, "--json", "--limit", "1"}).out).at("runs")[0];
    CHECK(over.at("label") == fits.at("name").get<std::string>() + " [pp=8 dp=256]");
    CHECK(over.at("over_memory") == true);
    CHECK(over.at("memory_headroom_GB").get<double>() < 0);

    const std::string md = ok(tmp, {"report", "training", "--db", db}).out;
    const std::size_t fits_row = position(md, "\n| 1 | ");
    const std::size_t over_row = position(md, "\n| 2 | ");
    CHECK(fits_row < over_row);
    CHECK_THAT(md.substr(over_row), Contains("OVER MEMORY by "));
    CHECK_THAT(md.substr(fits_row, over_row - fits_row), Contains("GB headroom"));
}
