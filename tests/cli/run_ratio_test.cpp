// `moesim run --find-ratio` and the pools' rates alone beside --find-max-load (issue 13 item
// 5), on the Llama 70B scenario made disaggregated (one node per pool: fast to search).
#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

namespace {

const std::string kLlamaServe = "scenarios/llama-3.1-70b-serve-8xh100.json";
const std::vector<std::string> kDisaggregated = {"--set", "/inference/deployment=disaggregated", "--set",
                                                 "/cluster/nodes=2", "--set", "/inference/traffic/duration_s=20"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

}  // namespace

TEST_CASE("run --find-max-load: a disaggregated deployment's pools alone and the ratio they imply", "[cli]") {
    TempDir tmp;
    const auto db = (tmp / "r.sqlite").string();
    const json run = run_json(tmp, with(with({source_path(kLlamaServe)}, kDisaggregated),
                                        {"--find-max-load", "--seeds", "1", "--db", db}))
                         .at("runs")
                         .at(0);
    const json& pools = run.at("max_load").at("pools");
    const double prefill = pools.at("prefill").at("requests_per_s"), decode = pools.at("decode").at("requests_per_s");
    CHECK(pools.at("prefill").at("instances") == 1);
    CHECK(pools.at("decode").at("instances") == 1);
    CHECK(pools.at("prefill_per_decode").get<double>() == Approx(decode / prefill));
    // The whole deployment carries no more than its tighter pool alone (2% search tolerance).
    CHECK(run.at("max_load").at("requests_per_s").get<double>() <= std::min(prefill, decode) * 1.02);
    // A colocated deployment has one pool: none reported.
    const json colocated =
        run_json(tmp, {source_path(kLlamaServe), "--set", "/inference/traffic/duration_s=20", "--find-max-load", "--seeds",
                       "1", "--db", db})
            .at("runs")
            .at(0);
    CHECK_FALSE(colocated.at("max_load").contains("pools"));
    const auto text = run_moesim_args(tmp, with(with({"run", source_path(kLlamaServe)}, kDisaggregated),
                                               {"--find-max-load", "--seeds", "1", "--db", db}));
    CHECK_THAT(text.out, Contains("pools alone   prefill 1 instance meets the TTFT target up to"));
    CHECK_THAT(text.out, Contains("prefill instances per decode instance keep either pool from limiting the other"));
}

TEST_CASE("run --find-ratio: the counts tried, the best, and the run recorded at it", "[cli]") {
    TempDir tmp;
    const auto db = (tmp / "r.sqlite").string();
    const auto args = with(with({source_path(kLlamaServe)}, kDisaggregated), {"--find-ratio", "--db", db});
    const json run = run_json(tmp, args).at("runs").at(0);
    const json& ratio = run.at("ratio");
    const int n = ratio.at("prefill_instances");
    REQUIRE(ratio.at("tried").size() >= 2);
    double best = 0;
    bool found = false;
    for (const auto& p : ratio.at("tried")) {
        best = std::max(best, p.at("output_tokens_per_gpu_hour").get<double>());
        if (p.at("prefill_instances") == n) {
            found = true;
            CHECK(p.at("requests_per_s") == run.at("requests_per_s"));
            CHECK(p.at("gpus") == run.at("gpus"));
        }
    }
    CHECK(found);
    for (const auto& p : ratio.at("tried"))
        if (p.at("prefill_instances") == n) CHECK(p.at("output_tokens_per_gpu_hour").get<double>() == best);
    CHECK(run.at("gpus") == 8 * n + 8);
    const auto overrides = run.at("overrides").get<std::vector<std::string>>();
    CHECK(std::find(overrides.begin(), overrides.end(), "/inference/prefill/instances=" + std::to_string(n)) !=
          overrides.end());
    CHECK(std::find(overrides.begin(), overrides.end(), "/cluster/nodes=" + std::to_string(n + 1)) != overrides.end());
    CHECK(ratio.at("pools").at("prefill_per_decode").is_number());
    // Deterministic: the same search, the same table.
    const json again = run_json(tmp, args).at("runs").at(0);
    CHECK(again.at("ratio") == ratio);
    CHECK(again.at("requests_per_s") == run.at("requests_per_s"));
    const auto text = run_moesim_args(tmp, with({"run"}, args));
    CHECK_THAT(text.out, Contains("find ratio    prefill instances per 1 decode instance, from "));
    CHECK_THAT(text.out, Contains("answer: " + std::to_string(n) + " prefill per 1 decode"));
}

TEST_CASE("run --find-ratio: what it cannot search exits 2 and writes nothing", "[cli]") {
    TempDir tmp;
    const auto llama = source_path(kLlamaServe);
    SECTION("a colocated deployment") {
        expect_rejected(tmp, {llama, "--find-ratio"}, {"--find-ratio", "colocated (one pool)"});
    }
    SECTION("a training scenario") {
        expect_rejected(tmp, {source_path(kV3Scenario), "--find-ratio"}, {"--find-ratio", "a training scenario"});
    }
    SECTION("with --find-max-load") {
        expect_rejected(tmp, with(with({llama}, kDisaggregated), {"--find-ratio", "--find-max-load"}),
                        {"--find-ratio", "drop --find-max-load"});
    }
}
