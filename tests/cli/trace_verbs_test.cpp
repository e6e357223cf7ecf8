// `moesim calibrate --from-trace` and `moesim trace compare` as a user meets them, on the
// fixture cut from DeepSeek's released training profile and a scenario whose stage 1 is the
// one MoE layer the fixture shows (tests/calibrate/fixtures/README.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_fixtures.h"
#include "moesim/hw/calibration_profile.h"
#include "run_moesim.h"

using namespace moesim::test;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

const std::string kFixture = source_path("tests/calibrate/fixtures/deepseek-v3-pair-1layer.json");
const std::string kScenario = source_path("tests/calibrate/fixtures/deepseek-v3-trace-1layer.json");

CommandResult calibrate(const TempDir& tmp, const std::string& trace, const std::string& scenario, const fs::path& out,
                        std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"calibrate", "--from-trace", trace, "--scenario", scenario, "--out", out.string(),
                                     "--db", (tmp / "results.sqlite").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_moesim_args(tmp, args);
}

// Refused: exit 2, the error names `says`, no profile and no database written.
void expect_refused(const TempDir& tmp, const std::string& trace, const std::string& scenario,
                    std::initializer_list<std::string> says) {
    const auto out = tmp / "refused.json";
    const auto r = calibrate(tmp, trace, scenario, out);
    INFO("stderr: " << r.err);
    CHECK(r.exit_status == 2);
    CHECK(r.err.rfind("moesim calibrate: error: ", 0) == 0);
    for (const auto& s : says) CHECK_THAT(r.err, Contains(s));
    CHECK_FALSE(fs::exists(out));
    CHECK_FALSE(fs::exists(tmp / "results.sqlite"));
}

}  // namespace

TEST_CASE("calibrate --from-trace fits a profile that loads, citing the trace and its kernels", "[calibrate]") {
    TempDir tmp;
    const auto out = tmp / "p.json";
    const auto r = calibrate(tmp, kFixture, kScenario, out, {"--json"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    const json j = json::parse(r.out);
    const auto profile = moesim::hw::CalibrationProfile::from_json(load_json(out), out.string());
    CHECK(profile.kind() == "measured");
    CHECK_THAT(profile.source(), Contains(j.at("trace").at("sha256").get<std::string>()));
    // Every fitted class: an efficiency in (0, 1] equal to its work over its time.
    int fitted = 0;
    for (const auto& f : j.at("fitted")) {
        if (!f.at("fitted").get<bool>()) continue;
        ++fitted;
        if (f.at("model") == "deepep_notify") {  // a latency per DeepEP call: the pair's one MoE layer per chunk makes 4
            CHECK(f.at("efficiency") == 0.0);
            CHECK(f.at("latency_us").get<double>() == Approx(f.at("time_us").get<double>() / 4.0).epsilon(1e-12));
            continue;
        }
        const double e = f.at("efficiency");
        CHECK(e > 0);
        CHECK(e <= 1);
        const bool deepep = f.at("model").get<std::string>().rfind("deepep", 0) == 0;
        const double share = deepep ? 1.0 : j.at("compute_sm_share").get<double>();
        CHECK(e == Approx(f.at("ideal_us").get<double>() / (f.at("time_us").get<double>() * share)).epsilon(1e-12));
    }
    CHECK(fitted == 12);
    // The trace sets each GEMM class's level, the base profile its shape dependence: a decode-
    // shaped FP8 GEMM the pair never ran (M = 64) is at the base's efficiency there times the
    // forward GEMMs' ratio, not at the pair's average.
    const auto base = moesim::hw::CalibrationProfile::from_json(load_json(source_path("calibrations/h800-published.json")),
                                                                "h800-published.json");
    double fp8_ratio = 0, wgrad_ratio = 0;
    for (const auto& f : j.at("fitted")) {
        if (f.at("model") == "gemm_fp8") fp8_ratio = f.at("base_ratio");
        if (f.at("model") == "gemm_wgrad") wgrad_ratio = f.at("base_ratio");
        if (f.at("model") == "attention_fwd") CHECK(f.at("base_ratio") == 0.0);
    }
    REQUIRE(fp8_ratio > 0);
    REQUIRE(wgrad_ratio > 0);
    CHECK(fp8_ratio != Approx(wgrad_ratio));
    const moesim::hw::GemmShape decode{64, 7168, 16384, 1};
    CHECK(profile.gemm_efficiency(decode, moesim::hw::Dtype::FP8) ==
          Approx(std::min(1.0, base.gemm_efficiency(decode, moesim::hw::Dtype::FP8) * fp8_ratio)).epsilon(1e-4));
    const moesim::hw::GemmShape big{4096, 7168, 16384, 1};
    CHECK(profile.gemm_efficiency(big, moesim::hw::Dtype::FP8) > 2 * profile.gemm_efficiency(decode, moesim::hw::Dtype::FP8));
    CHECK(profile.latency_s("deepep_notify") > 0);
    CHECK(profile.memory_op_efficiency("rotary", 1e6) != profile.memory_efficiency(1e6));
    CHECK(profile.memory_op_efficiency("elementwise", 1e6) != profile.memory_efficiency(1e6));
    // The written points carry those efficiencies and name the kernels that made them.
    const std::string text = read_file(out);
    for (const auto& c : j.at("classes"))
        if (c.at("model") != "none")
            for (const auto& k : c.at("kernels")) {
                const std::string escaped = json(k.get<std::string>()).dump();  // as the file writes it, quoted
                CHECK_THAT(text, Contains(escaped.substr(1, std::min<std::size_t>(40, escaped.size() - 2))));
            }
    // Nothing dropped: the classes and the unclassified kernels add up to the trace's events.
    double sum = j.at("unclassified_us");
    for (const auto& c : j.at("classes")) sum += c.at("time_us").get<double>();
    double events = 0;
    const json fixture = load_json(kFixture);
    for (const auto& e : fixture.at("traceEvents"))
        if (e.value("cat", "") != "cpu_op") events += e.at("dur").get<double>();
    CHECK(sum == Approx(events).epsilon(1e-12));
}

TEST_CASE("calibrate --from-trace lists kernels no rule names with their time, in text and JSON", "[calibrate]") {
    TempDir tmp;
    // The fixture with two kernels no bundled rule knows, on the compute stream.
    json doc = load_json(kFixture);
    const json first = doc.at("traceEvents").back();
    for (double dur : {17.5, 4.5}) {
        json e = first;
        e["name"] = "my_custom_fused_kernel<128>";
        e["dur"] = dur;
        doc["traceEvents"].push_back(e);
    }
    const auto trace = write_json(tmp, "custom.json", doc);
    const auto r = calibrate(tmp, trace, kScenario, tmp / "p.json");
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    CHECK_THAT(r.out, Contains("grouped_gemm_fp8"));
    CHECK_THAT(r.out, Contains("efficiency"));
    CHECK_THAT(r.out, Contains("unclassified (no rule): 0.022 ms in 1 kernel names"));
    CHECK_THAT(r.out, Contains("\"my_custom_fused_kernel<128>\""));
    CHECK_THAT(r.out, Contains("written: "));
    const auto j = calibrate(tmp, trace, kScenario, tmp / "q.json", {"--json"});
    REQUIRE(j.exit_status == 0);
    const json u = json::parse(j.out).at("unclassified");
    REQUIRE(u.size() == 1);
    CHECK(u[0].at("name") == "my_custom_fused_kernel<128>");
    CHECK(u[0].at("count") == 2);
    CHECK(u[0].at("time_us").get<double>() == Approx(22.0));
}

TEST_CASE("the fit is deterministic: the same trace and scenario give the same profile bytes", "[calibrate]") {
    TempDir tmp;
    const auto a = calibrate(tmp, kFixture, kScenario, tmp / "a.json");
    const auto b = calibrate(tmp, kFixture, kScenario, tmp / "b.json");
    REQUIRE(a.exit_status == 0);
    REQUIRE(b.exit_status == 0);
    CHECK(read_file(tmp / "a.json") == read_file(tmp / "b.json"));
}

TEST_CASE("a user rules file given to calibrate overrides the bundled rule", "[calibrate]") {
    TempDir tmp;
    const auto rules = write_json(tmp, "rules.json",
                                  json{{"format", 1}, {"kind", "moesim-trace-rules"},
                                       {"rules", json::array({{{"class", "rotary_mine"}, {"contains", "rotary"}, {"model", "memory_bound"}}})}});
    const auto r = calibrate(tmp, kFixture, kScenario, tmp / "p.json", {"--rules", rules, "--json"});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    const json j = json::parse(r.out);
    bool found = false;
    for (const auto& c : j.at("classes"))
        if (c.at("class") == "rotary_mine") {
            found = true;
            CHECK(c.at("model") == "memory_bound");
            CHECK(c.at("rule_from") == rules);
        } else {
            CHECK(c.at("class") != "rotary");
        }
    CHECK(found);
}

TEST_CASE("a truncated trace is refused with exit 2 and nothing written", "[calibrate]") {
    TempDir tmp;
    const std::string text = read_file(kFixture);
    const auto cut = write_text(tmp, "cut.json", text.substr(0, text.size() * 2 / 3));
    expect_refused(tmp, cut, kScenario, {cut, "not valid JSON"});
}

TEST_CASE("a trace of another configuration is refused with exit 2 and nothing written", "[calibrate]") {
    TempDir tmp;
    // Another GPU.
    const auto h100 = scenario_variant(tmp, "h100.json", "tests/calibrate/fixtures/deepseek-v3-trace-1layer.json",
                                       [](json& s) { s["cluster"]["gpu"] = "H100"; });
    expect_refused(tmp, kFixture, h100, {kFixture, "/deviceProperties/0/name", "H100"});
    // Chunks of 4 layers: the one-layer fixture has no stage to match.
    expect_refused(tmp, kFixture, source_path("scenarios/deepseek-v3-trace-pair.json"), {kFixture, "no pipeline stage", "1 MoE layers"});
    // A configuration with less work per kernel (e.g. a smaller hidden size): every kernel ten
    // times faster would need efficiencies above 1 for this scenario's work.
    json fast = load_json(kFixture);
    for (auto& e : fast["traceEvents"]) e["dur"] = e.at("dur").get<double>() / 10.0;
    const auto fast_trace = write_json(tmp, "fast.json", fast);
    expect_refused(tmp, fast_trace, kScenario, {fast_trace, "another configuration"});
    // One MoE layer per chunk but one DeepEP dispatch missing: not this scenario's EP layout.
    json cut = load_json(kFixture);
    json kept = json::array();
    bool dropped = false;
    for (const auto& e : cut.at("traceEvents")) {
        if (!dropped && e.at("name").get<std::string>().find("internode::dispatch") != std::string::npos) {
            dropped = true;
            continue;
        }
        kept.push_back(e);
    }
    REQUIRE(dropped);
    cut["traceEvents"] = kept;
    const auto cut_trace = write_json(tmp, "one-dispatch.json", cut);
    expect_refused(tmp, cut_trace, kScenario, {cut_trace, "DeepEP dispatch kernels"});
}

TEST_CASE("trace compare prints real and simulated time per class, the span and busy fraction", "[report]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "trace", "compare", kFixture, kScenario);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    CHECK_THAT(r.out, Contains("real_ms"));
    CHECK_THAT(r.out, Contains("sim_ms"));
    CHECK_THAT(r.out, Contains("pair GPU span: real "));
    CHECK_THAT(r.out, Contains("compute busy fraction: real "));

    const auto j = run_moesim(tmp, "trace", "compare", kFixture, kScenario, "--json");
    REQUIRE(j.exit_status == 0);
    const json c = json::parse(j.out);
    double real_total = 0;
    for (const auto& row : c.at("classes")) {
        real_total += row.at("real_s").get<double>();
        // The published profile has no DeepEP notify latency.
        if (row.at("class") == "not modelled" || row.at("class") == "unclassified" || row.at("class") == "deepep_notify")
            CHECK(row.at("simulated_s") == 0.0);
        else CHECK(row.at("simulated_s").get<double>() > 0);
    }
    double events = 0;
    const json fixture = load_json(kFixture);
    for (const auto& e : fixture.at("traceEvents"))
        if (e.value("cat", "") != "cpu_op") events += e.at("dur").get<double>();
    CHECK(real_total == Approx(events * 1e-6).epsilon(1e-9));
    CHECK(c.at("span").at("simulated_s").get<double>() > 0);
    const double busy = c.at("compute_busy_fraction").at("real");
    CHECK(busy > 0);
    CHECK(busy <= 1);
}

TEST_CASE("trace compare with the profile fitted from the same trace moves each class to its traced time", "[report]") {
    TempDir tmp;
    const auto out = tmp / "p.json";
    REQUIRE(calibrate(tmp, kFixture, kScenario, out).exit_status == 0);
    const auto before = run_moesim(tmp, "trace", "compare", kFixture, kScenario, "--json");
    const auto after = run_moesim(tmp, "trace", "compare", kFixture, kScenario, "--json", "--profile", out.string());
    INFO("stderr: " << after.err);
    REQUIRE(before.exit_status == 0);
    REQUIRE(after.exit_status == 0);
    const json a = json::parse(after.out), b = json::parse(before.out);
    CHECK(a.at("profile") != b.at("profile"));
    // Attention has one kernel per pass and one shape, rotary and elementwise one efficiency
    // each, the notify one latency per call: the fit reproduces them.
    for (const auto& row : a.at("classes"))
        if (row.at("class") == "attention_fwd" || row.at("class") == "attention_bwd" || row.at("class") == "rotary" ||
            row.at("class") == "elementwise" || row.at("class") == "deepep_notify")
            CHECK(row.at("simulated_s").get<double>() == Approx(row.at("real_s").get<double>()).epsilon(0.01));
    // GEMM classes have a point at each shape the pair runs, at its class's ratio to the base:
    // they cost their traced time too (within the overlap slow-down's rounding).
    for (const auto& row : a.at("classes"))
        if (row.at("class") == "grouped_gemm_fp8" || row.at("class") == "gemm_wgrad") {
            INFO(row.at("class"));
            CHECK(row.at("simulated_s").get<double>() == Approx(row.at("real_s").get<double>()).epsilon(0.03));
        }
}
