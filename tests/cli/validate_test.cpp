// `moesim validate`: the bundled validation cases (scenarios/validation/), their JSON
// (DESIGN.md §6), the exactness of the bubble cases, consistency with `moesim run`, and the
// errors a user can make.
#include <catch2/catch.hpp>

#include <set>

#include "cli_fixtures.h"

using namespace moesim::test;

namespace {

// `moesim validate --json` over the named bundled cases (all of them when none is named).
// Each test runs only the cases it reads: the whole set simulates several deployments.
json cases_of(const std::vector<std::string>& names = {}) {
    TempDir tmp;
    std::vector<std::string> args = {"validate", "--json"};
    for (const auto& n : names) args.insert(args.end(), {"--case", n});
    const auto r = run_moesim_args(tmp, args);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    return json::parse(r.out).at("cases");
}

json case_named(const json& cases, const std::string& name) {
    for (const auto& c : cases)
        if (c.at("name") == name) return c;
    FAIL("moesim validate --json has no case " << name);
    return {};
}

const std::vector<std::string> kBubbleCases = {"bubble-1f1b", "bubble-zb1p", "bubble-dualpipe", "bubble-dualpipev"};

}  // namespace

TEST_CASE("validate --json: every case has the keys of DESIGN §6", "[cli]") {
    const json cases = cases_of();
    REQUIRE(cases.is_array());
    std::set<std::string> names;
    for (const auto& c : cases) {
        INFO(c.dump());
        for (const char* key : {"name", "metric", "source", "fidelity"}) CHECK(c.at(key).is_string());
        for (const char* key : {"published", "simulated", "error"}) CHECK(c.at(key).is_number());
        CHECK(c.at("published").get<double>() > 0);
        CHECK(c.at("error").get<double>() ==
              Approx((c.at("simulated").get<double>() - c.at("published").get<double>()) / c.at("published").get<double>()));
        CHECK_FALSE(c.at("source").get<std::string>().empty());
        names.insert(c.at("name").get<std::string>());
    }
    CHECK(names.size() == cases.size());
    // The cases issue 4 asks for.
    for (const char* n : {"deepseek-v3-pretrain-gpu-hours-per-trillion-tokens", "deepseek-v3-pretrain-total-gpu-hours",
                          "llama-3.1-405b-pretrain-mfu", "bubble-1f1b", "bubble-zb1p", "bubble-dualpipe", "bubble-dualpipev"})
        CHECK(names.count(n) == 1);
    const json v3 = case_named(cases, "deepseek-v3-pretrain-gpu-hours-per-trillion-tokens");
    CHECK(v3.at("published") == 180000);
    CHECK(v3.at("metric") == "gpu_hours_per_trillion_tokens");
    CHECK(case_named(cases, "deepseek-v3-pretrain-total-gpu-hours").at("published") == 2664000);
    CHECK(case_named(cases, "llama-3.1-405b-pretrain-mfu").at("published") == Approx(0.41));
    // Serving cases (issue 13 item 8): DAY6's production throughput per node.
    CHECK(case_named(cases, "deepseek-v3-serve-feb2025-prefill-tokens-per-node").at("published") == 73700);
    CHECK(case_named(cases, "deepseek-v3-serve-feb2025-decode-tokens-per-node").at("published") == 14800);
    CHECK(case_named(cases, "deepseek-v2-8xh800-decode-tokens-per-node").at("published") == 50000);
    CHECK(case_named(cases, "deepseek-v2-8xh800-prefill-tokens-per-node").at("published") == 100000);
}

TEST_CASE("validate: the bubble cases reproduce PUBLISHED.md F exactly", "[cli]") {
    int bubbles = 0;
    const json cases = cases_of(kBubbleCases);
    for (const auto& c : cases) {
        if (c.at("metric") != "pipeline_bubble_ms") continue;
        INFO(c.dump());
        ++bubbles;
        CHECK(c.at("published").get<double>() > 0);
        CHECK(c.at("simulated").get<double>() == c.at("published").get<double>());
        CHECK(c.at("error").get<double>() == 0.0);
    }
    CHECK(bubbles == 4);
    // 1F1B at PP 16 with F = b = 1 ms, W = 0.5 ms: (16 - 1)(1 + 1.5) = 37.5 ms.
    CHECK(case_named(cases, "bubble-1f1b").at("published").get<double>() == 37.5);
}

TEST_CASE("validate: the DeepSeek-V3 case is what `moesim run` gives, per trillion tokens", "[cli]") {
    TempDir tmp;
    const json cases = cases_of({"deepseek-v3-pretrain-gpu-hours-per-trillion-tokens", "deepseek-v3-pretrain-total-gpu-hours"});
    const json v3 = case_named(cases, "deepseek-v3-pretrain-gpu-hours-per-trillion-tokens");
    const std::string fidelity = v3.at("fidelity");
    const json run = run_json(tmp, {source_path(kV3Scenario), "--fidelity", fidelity, "--db", (tmp / "r.sqlite").string()});
    const double gpu_hours = run.at("runs").at(0).at("gpu_hours");
    CHECK(v3.at("simulated").get<double>() == gpu_hours / 14.8);
    CHECK(case_named(cases, "deepseek-v3-pretrain-total-gpu-hours").at("simulated").get<double>() == gpu_hours);
}

TEST_CASE("validate --case runs only the named cases — the table shows them", "[cli]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "validate", "--json", "--case", "bubble-zb1p", "--case", "bubble-1f1b");
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    const json cases = json::parse(r.out).at("cases");
    REQUIRE(cases.size() == 2);
    CHECK(cases.at(0).at("name") == "bubble-1f1b");  // bundled order, not the order asked
    CHECK(cases.at(1).at("name") == "bubble-zb1p");

    const auto table = run_moesim(tmp, "validate", "--case", "bubble-dualpipe");
    REQUIRE(table.exit_status == 0);
    CHECK_THAT(table.out, Catch::Matchers::StartsWith("case"));
    CHECK_THAT(table.out, Catch::Matchers::Contains("published"));
    CHECK_THAT(table.out, Catch::Matchers::Contains("bubble-dualpipe"));
    CHECK_THAT(table.out, Catch::Matchers::Contains("0.0%"));
    CHECK_THAT(table.out, Catch::Matchers::Contains("PUBLISHED.md F"));
    CHECK_FALSE(std::filesystem::exists(tmp / "results.sqlite"));
}

TEST_CASE("validate --case with an unknown name: exit 2 and a did-you-mean", "[cli]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "validate", "--case", "bubble-zblp");
    CHECK(r.exit_status == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Matchers::StartsWith("moesim validate: error: --case bubble-zblp"));
    CHECK_THAT(r.err, Catch::Matchers::Contains("did you mean \"bubble-zb1p\""));
}

TEST_CASE("validate --help says it reports, not judges", "[cli]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "validate", "--help");
    CHECK(r.exit_status == 0);
    CHECK_THAT(r.out, Catch::Matchers::Contains("it does not judge"));
    CHECK_THAT(r.out, Catch::Matchers::Contains("--case"));
}

TEST_CASE("validate --file: a user's case file, resolved next to it — bad files exit 2 naming the path", "[cli]") {
    TempDir tmp;
    // A scenario case next to the case file (analytic, so it is quick) and a bubble case.
    scenario_variant(tmp, "mixtral.json", kMixtralScenario, [](json&) {});
    const json good = {{"schema", 1},
                       {"cases",
                        {{{"name", "mixtral-mfu"},
                          {"metric", "mfu"},
                          {"scenario", "mixtral.json"},
                          {"fidelity", "analytic"},
                          {"published", 0.5},
                          {"source", "made up for the test"}},
                         {{"name", "zb"},
                          {"metric", "pipeline_bubble_ms"},
                          {"schedule", "zb1p"},
                          {"pp", 4},
                          {"micro_batches", 8},
                          {"f_ms", 3},
                          {"b_ms", 4},
                          {"w_ms", 2},
                          {"source", "PUBLISHED.md F"}}}}};
    const auto ok = run_moesim(tmp, "validate", "--json", "--file", write_json(tmp, "cases.json", good));
    INFO("stderr: " << ok.err);
    REQUIRE(ok.exit_status == 0);
    const json cases = json::parse(ok.out).at("cases");
    REQUIRE(cases.size() == 2);
    const json run = run_json(tmp, {(tmp / "mixtral.json").string(), "--db", (tmp / "r.sqlite").string()});
    CHECK(cases.at(0).at("simulated").get<double>() == run.at("runs").at(0).at("mfu").get<double>());
    CHECK(cases.at(1).at("published").get<double>() == 3 * (3 + 6 - 4));  // (PP-1)(F+B-2W)
    CHECK(cases.at(1).at("error").get<double>() == 0.0);

    const auto rejected = [&](const std::function<void(json&)>& edit, std::initializer_list<std::string> says) {
        json bad = good;
        edit(bad);
        const auto path = write_json(tmp, "bad.json", bad);
        const auto r = run_moesim(tmp, "validate", "--file", path);
        INFO("stderr: " << r.err);
        CHECK(r.exit_status == 2);
        CHECK(r.out.empty());
        for (const auto& s : says) CHECK_THAT(r.err, Catch::Matchers::Contains(s));
    };
    rejected([](json& j) { j["cases"][0]["publihsed"] = 1; },
             {"/cases/0/publihsed", "unknown key \"publihsed\"", "did you mean \"published\""});
    rejected([](json& j) { j["cases"][0]["fidelity"] = "exact"; }, {"/cases/0/fidelity", "\"analytic\", \"event\" or \"full\""});
    rejected([](json& j) { j["cases"][0]["metric"] = "mfuu"; }, {"/cases/0/metric", "did you mean \"mfu\""});
    rejected([](json& j) { j["cases"][0].erase("published"); }, {"/cases/0", "missing required key \"published\""});
    rejected([](json& j) { j["cases"][0]["scenario"] = "nowhere.json"; }, {"/cases/0/scenario", "not a bundled scenario"});
    rejected([](json& j) { j["cases"][1]["w_ms"] = 4; }, {"/cases/1/w_ms", "W <= F"});
    rejected([](json& j) { j["cases"][1]["published"] = 5; }, {"/cases/1/published", "unknown key"});
    rejected([](json& j) { j["cases"][1]["name"] = "mixtral-mfu"; }, {"/cases/1/name", "comes earlier"});
    rejected([](json& j) { j["case"] = j["cases"]; }, {"unknown key \"case\"", "did you mean \"cases\""});
}

TEST_CASE("validate: serving cases compare what `moesim run` gives, and --find-max-load's rate", "[cli]") {
    TempDir tmp;
    scenario_variant(tmp, "llama.json", "scenarios/llama-3.1-70b-serve-8xh100.json",
                     [](json& j) { j["inference"]["traffic"]["duration_s"] = 20; });
    const json cases = {{"schema", 1},
                        {"cases",
                         {{{"name", "decode"},
                           {"metric", "decode_output_tokens_per_s_per_node"},
                           {"scenario", "llama.json"},
                           {"published", 4000},
                           {"source", "made up for the test"}},
                          {{"name", "ttft"},
                           {"metric", "ttft_p99_ms"},
                           {"scenario", "llama.json"},
                           {"published", 500},
                           {"source", "made up for the test"}},
                          {{"name", "load"},
                           {"metric", "max_requests_per_s"},
                           {"scenario", "llama.json"},
                           {"published", 8},
                           {"source", "made up for the test"}}}}};
    const auto path = write_json(tmp, "cases.json", cases);
    const auto r = run_moesim(tmp, "validate", "--json", "--file", path);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    const json got = json::parse(r.out).at("cases");
    REQUIRE(got.size() == 3);
    const auto db = (tmp / "r.sqlite").string();
    const json run = run_json(tmp, {(tmp / "llama.json").string(), "--db", db}).at("runs").at(0);
    CHECK(got.at(0).at("simulated").get<double>() == run.at("decode_output_tokens_per_s_per_node").get<double>());
    CHECK(got.at(1).at("simulated").get<double>() == run.at("ttft_ms").at("p99").get<double>());
    const json searched =
        run_json(tmp, {(tmp / "llama.json").string(), "--find-max-load", "--seeds", "1", "--db", db}).at("runs").at(0);
    CHECK(got.at(2).at("simulated").get<double>() == searched.at("max_load").at("requests_per_s").get<double>());

    // A serving metric of a training scenario, and the reverse, and a serving case at another fidelity.
    const auto refused = [&](json bad, const std::string& says) {
        const auto r2 = run_moesim(tmp, "validate", "--file", write_json(tmp, "bad.json", bad));
        INFO("stderr: " << r2.err);
        CHECK(r2.exit_status == 2);
        CHECK_THAT(r2.err, Catch::Matchers::Contains(says));
    };
    scenario_variant(tmp, "mixtral.json", kMixtralScenario, [](json&) {});
    json wrong = cases;
    wrong["cases"][0]["scenario"] = "mixtral.json";
    refused(wrong, "/cases/0/metric: \"decode_output_tokens_per_s_per_node\" is a serving metric and \"mixtral.json\" is a training scenario");
    wrong = cases;
    wrong["cases"][1]["metric"] = "mfu";
    refused(wrong, "/cases/1/metric: \"mfu\" is a training metric and \"llama.json\" is a serving scenario");
    wrong = cases;
    wrong["cases"][2]["fidelity"] = "full";
    refused(wrong, "/cases/2/fidelity");
}
