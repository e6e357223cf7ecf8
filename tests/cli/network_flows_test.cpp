// `moesim run --fidelity full --network flows`: the step's collectives as flows on the topology,
// per traffic class in the summary, --json and SQLite; faults; the errors that write nothing.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_fixtures.h"
#include "run_moesim.h"

using namespace moesim::test;
using nlohmann::json;

namespace {

// A small 1F1B layout of the V3 scenario: 4 nodes, pp 4 x dp 8 = 32 GPUs, EP 8.
std::vector<std::string> small_v3(const TempDir& tmp, std::vector<std::string> more, const std::string& fidelity = "full") {
    std::vector<std::string> a = {"run", source_path("scenarios/deepseek-v3-pretrain.json"), "--db",
                                  (tmp / "r.sqlite").string(), "--set", "/cluster/nodes=4", "--set", "/parallelism/pp=4",
                                  "--set", "/parallelism/dp=8", "--set", "/parallelism/ep=8", "--set",
                                  "/parallelism/schedule=1f1b", "--set", "/training/global_batch_size=32",
                                  "--allow-memory-overflow", "--fidelity", fidelity};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

}  // namespace

TEST_CASE("run --network flows: per traffic class in --json and SQLite, the step as in closed form", "[cli][flows]") {
    TempDir tmp;
    const auto flows = run_moesim_args(tmp, small_v3(tmp, {"--network", "flows", "--json"}));
    INFO(flows.err);
    REQUIRE(flows.exit_status == 0);
    const json run = json::parse(flows.out).at("runs").at(0);
    const auto closed = run_moesim_args(tmp, small_v3(tmp, {"--json"}));
    REQUIRE(closed.exit_status == 0);
    const json base = json::parse(closed.out).at("runs").at(0);
    CHECK_FALSE(base.contains("traffic_classes"));
    // Nothing contends in this layout (EP and DP in a node, PP on its rails).
    CHECK(run.at("step_time_s").get<double>() == Approx(base.at("step_time_s").get<double>()).epsilon(0.02));
    const json& traffic = run.at("traffic_classes");
    REQUIRE(traffic.size() == 6);
    CHECK(traffic.at(0).at("class") == "ep_dispatch");
    CHECK(traffic.at(0).at("instances").get<int>() > 0);
    const auto rows = query(tmp / "r.sqlite",
                            "SELECT class, instances, ideal_s, achieved_s FROM traffic_classes ORDER BY run_id, ordinal");
    REQUIRE(rows.size() == 6);  // the flows run only
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CHECK(rows[i].at("class") == traffic.at(i).at("class").get<std::string>());
        CHECK(std::stod(rows[i].at("achieved_s")) == Approx(traffic.at(i).at("achieved_s").get<double>()));
    }
    // The summary names the classes.
    const auto text = run_moesim_args(tmp, small_v3(tmp, {"--network", "flows"}));
    REQUIRE(text.exit_status == 0);
    CHECK_THAT(text.out, Catch::Matchers::Contains("ep_dispatch") && Catch::Matchers::Contains("achieved"));
}

TEST_CASE("run --network flows: bad flags and fault specs exit 2 and write nothing", "[cli][flows][faults]") {
    TempDir tmp;
    const auto expect_refused = [&](std::vector<std::string> more, const std::string& says) {
        const auto r = run_moesim_args(tmp, small_v3(tmp, std::move(more)));
        INFO(r.err);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Catch::Matchers::Contains(says));
        CHECK_FALSE(std::filesystem::exists(tmp / "r.sqlite"));
    };
    expect_refused({"--network", "packets"}, "--network packets");
    {
        const auto r = run_moesim_args(tmp, small_v3(tmp, {"--network", "flows"}, "event"));
        INFO(r.err);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Catch::Matchers::Contains("--fidelity full"));
        CHECK_FALSE(std::filesystem::exists(tmp / "r.sqlite"));
    }
    const std::string fault = "/cluster/network/faults=[{\"node\": 9, \"nic\": 0, \"rate_fraction\": 0.5}]";
    expect_refused({"--network", "flows", "--set", fault}, "/cluster/network/faults/0/node");
    expect_refused({"--network", "flows", "--set", "/cluster/network/faults=[{\"node\": 0, \"nic\": 0}]"},
                   "/cluster/network/faults/0/rate_fraction");
    // Faults need the flows.
    expect_refused({"--set", "/cluster/network/faults=[{\"node\": 1, \"nic\": 0, \"rate_fraction\": 0.5}]"},
                   "/cluster/network/faults");
}

TEST_CASE("run --network flows: a NIC at half rate slows the pipeline sends", "[cli][flows][faults]") {
    TempDir tmp;
    const auto r = run_moesim_args(
        tmp, small_v3(tmp, {"--network", "flows", "--json", "--set",
                            "/cluster/network/faults=[{\"node\": 1, \"nic\": 0, \"rate_fraction\": 0.5}]"}));
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    const json run = json::parse(r.out).at("runs").at(0);
    double pp_worst = 0;
    for (const auto& c : run.at("traffic_classes"))
        if (c.at("class") == "pp") pp_worst = c.at("worst_slowdown");
    CHECK(pp_worst == Approx(2.0).epsilon(0.01));
}
