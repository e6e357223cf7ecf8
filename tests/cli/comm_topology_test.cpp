// The scenario's /cluster/network/topology takes effect in `moesim run`: an oversubscribed
// fat-tree is slower than rail-optimized at the same oversubscription (cross-rail and
// cross-leaf traffic pays it), the two are equal without oversubscription, and a combination
// the network model does not handle is refused naming its JSON path.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli_fixtures.h"
#include "run_moesim.h"

using namespace moesim::test;

namespace {

json first_run(const TempDir& tmp, const std::string& scenario, const std::string& topology, const std::string& over,
               std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {source_path(scenario), "--db", (tmp / "t.sqlite").string(), "--set",
                                     "/cluster/network/topology=\"" + topology + "\"", "--set",
                                     "/cluster/network/oversubscription=" + over};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_json(tmp, args).at("runs").at(0);
}

}  // namespace

TEST_CASE("run: the V3 step on a 2:1 fat-tree is slower than on a 2:1 rail-optimized cluster", "[cli]") {
    TempDir tmp;
    const std::vector<std::string> analytic = {"--fidelity", "analytic"};
    const double rail = first_run(tmp, kV3Scenario, "rail-optimized", "2", analytic).at("step_time_s");
    const double fat = first_run(tmp, kV3Scenario, "fat-tree", "2", analytic).at("step_time_s");
    CHECK(fat > rail * 1.001);
    // Without oversubscription every topology has full bisection: the same step.
    const json rail1 = first_run(tmp, kV3Scenario, "rail-optimized", "1", analytic);
    const json fat1 = first_run(tmp, kV3Scenario, "fat-tree", "1", analytic);
    const json single1 = first_run(tmp, kV3Scenario, "single-switch", "1", analytic);
    CHECK(double(fat1.at("step_time_s")) == double(rail1.at("step_time_s")));
    CHECK(double(single1.at("step_time_s")) == double(rail1.at("step_time_s")));
    CHECK(rail < double(fat1.at("step_time_s")) * 1.5);
}

TEST_CASE("run: serving slows down where its traffic crosses an oversubscribed core", "[cli]") {
    TempDir tmp;
    // Prefill instances of 8 nodes, EP64: on a fat-tree an EP group spans two leaves, on
    // rail-optimized it stays under one leaf per rail (DeepEP's normal kernels are rail-local).
    // 17 of them and the 40-node decode unit (176 nodes), with the file's load before issue 13
    // (1800 requests/s of 2000 input and 500 output tokens, 50% cache hits, up to 256
    // sequences per decode GPU): decode's exchange is then a large share of its step.
    const std::vector<std::string> shape = {
        "--set", "/inference/traffic/duration_s=20",           "--set", "/inference/prefill/nodes=8",
        "--set", "/inference/prefill/ep=64",                   "--set", "/inference/prefill/instances=17",
        "--set", "/cluster/nodes=176",                         "--set", "/inference/prefill/max_batch_tokens=16384",
        "--set", "/inference/decode/max_batch_per_gpu=256",    "--set", "/inference/traffic/requests_per_s=1800",
        "--set", "/inference/traffic/input_tokens/mean=2000",  "--set", "/inference/traffic/output_tokens/mean=500",
        "--set", "/inference/traffic/prefix_cache_hit_rate=0.5"};
    const json rail1 = first_run(tmp, kServeScenario, "rail-optimized", "1", shape);
    const json fat1 = first_run(tmp, kServeScenario, "fat-tree", "1", shape);
    CHECK(fat1.at("tpot_ms") == rail1.at("tpot_ms"));
    CHECK(fat1.at("ttft_ms") == rail1.at("ttft_ms"));
    const json rail2 = first_run(tmp, kServeScenario, "rail-optimized", "2", shape);
    const json fat2 = first_run(tmp, kServeScenario, "fat-tree", "2", shape);
    CHECK(rail2.at("ttft_ms") == rail1.at("ttft_ms"));
    CHECK(double(fat2.at("ttft_ms").at("p99")) > double(fat1.at("ttft_ms").at("p99")));
    // Decode's low-latency kernels send to every GPU of 40 nodes: across the core on either.
    CHECK(double(rail2.at("tpot_ms").at("p50")) > 1.2 * double(rail1.at("tpot_ms").at("p50")));
    CHECK(double(fat2.at("tpot_ms").at("p50")) > 1.2 * double(fat1.at("tpot_ms").at("p50")));
}

TEST_CASE("run: a single switch with an oversubscribed core is refused, naming the key", "[cli]") {
    TempDir tmp;
    const std::string file = source_path(kV3Scenario);
    expect_rejected(tmp,
                    {file, "--set", "/cluster/network/topology=\"single-switch\"", "--set",
                     "/cluster/network/oversubscription=2"},
                    {at(file, "/cluster/network/oversubscription") + "2: a single switch has no core to oversubscribe"});
}
