// `moesim run --fidelity full`: every GPU simulated; its run as stored, its summary, its trace of
// chosen GPUs, and the errors that write nothing.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_fixtures.h"
#include "run_moesim.h"

using namespace moesim::test;
using nlohmann::json;

namespace {

// A small DualPipe layout of the V3 scenario: 4 nodes, pp 4 x dp 8 = 32 GPUs, EP 8, 8
// micro-batches per pipeline (it does not fit in memory: --allow-memory-overflow).
std::vector<std::string> small_v3(const TempDir& tmp, std::vector<std::string> more) {
    std::vector<std::string> a = {"run", source_path("scenarios/deepseek-v3-pretrain.json"), "--db",
                                  (tmp / "r.sqlite").string(), "--set", "/cluster/nodes=4", "--set", "/parallelism/pp=4",
                                  "--set", "/parallelism/dp=8", "--set", "/parallelism/ep=8", "--set",
                                  "/training/global_batch_size=64", "--allow-memory-overflow"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

}  // namespace

TEST_CASE("run --fidelity full: every GPU simulated, the run stored as full, close to the one-replica event step",
          "[cli]") {
    TempDir tmp;
    const auto full = run_moesim_args(tmp, small_v3(tmp, {"--fidelity", "full", "--json"}));
    INFO(full.err);
    REQUIRE(full.exit_status == 0);
    const json run = json::parse(full.out).at("runs").at(0);
    CHECK(run.at("fidelity") == "full");
    CHECK(run.at("gpus") == 32);
    const auto event = run_moesim_args(tmp, small_v3(tmp, {"--fidelity", "event", "--json"}));
    REQUIRE(event.exit_status == 0);
    const double ev = json::parse(event.out).at("runs").at(0).at("step_time_s");
    const double fu = run.at("step_time_s");
    // Each GPU at its own load of the routing draw, the one-replica mode every rank at the
    // slowest: a little faster, never slower; by at most the draw's imbalance (max/mean - 1:
    // 1.0% expert rows) on the load-bound share of the step (~37%): 0.5%. Measured -0.032%.
    CHECK(fu <= ev * (1 + 1e-12));
    CHECK(fu == Approx(ev).epsilon(0.005));
    double sum = 0;
    for (const auto& b : run.at("breakdown")) sum += b.at("seconds").get<double>();
    CHECK(sum == Approx(fu).epsilon(1e-9));
    const auto rows = query(tmp / "r.sqlite", "SELECT fidelity FROM runs ORDER BY id");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].at("fidelity") == "full");
    CHECK(rows[1].at("fidelity") == "event");

    const auto summary = run_moesim_args(tmp, small_v3(tmp, {"--fidelity", "full"}));
    REQUIRE(summary.exit_status == 0);
    CHECK(summary.out.find("fidelity full") != std::string::npos);
    CHECK(summary.out.find("where a step goes (the busiest GPU)") != std::string::npos);
    CHECK(summary.out.find("full simulation (--fidelity full): all 32 GPUs") != std::string::npos);
}

TEST_CASE("run --fidelity full --trace: one process per chosen GPU, four threads", "[cli]") {
    TempDir tmp;
    const std::string trace = (tmp / "trace.json").string();
    const auto r = run_moesim_args(tmp, small_v3(tmp, {"--fidelity", "full", "--trace", trace, "--trace-ranks", "9,0"}));
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    std::ifstream in(trace);
    const json doc = json::parse(in);
    std::map<int, std::string> processes;
    std::map<std::pair<int, int>, std::string> threads;
    std::map<int, int> events_per_thread;
    for (const auto& e : doc.at("traceEvents")) {
        const std::string ph = e.at("ph");
        if (ph == "M" && e.at("name") == "process_name") processes[e.at("pid")] = e.at("args").at("name");
        if (ph == "M" && e.at("name") == "thread_name") threads[{e.at("pid"), e.at("tid")}] = e.at("args").at("name");
        if (ph == "X") ++events_per_thread[e.at("tid").get<int>()];
    }
    REQUIRE(processes.size() == 2);
    CHECK(processes.at(0).find("GPU 0 (pipeline rank 0, data-parallel rank 0, EP group 0 rank 0)") != std::string::npos);
    CHECK(processes.at(9).find("GPU 9 (pipeline rank 1, data-parallel rank 1, EP group 0 rank 1)") != std::string::npos);
    CHECK(threads[{9, 0}] == "compute");
    CHECK(threads[{9, 1}] == "communication");
    CHECK(threads[{9, 2}] == "pipeline sends");
    CHECK(threads[{9, 3}] == "data parallel");
    for (int t = 0; t < 4; ++t) CHECK(events_per_thread[t] > 0);

    // By default: data-parallel rank 0's GPU of each pipeline rank.
    const std::string plain = (tmp / "plain.json").string();
    REQUIRE(run_moesim_args(tmp, small_v3(tmp, {"--fidelity", "full", "--trace", plain})).exit_status == 0);
    std::ifstream in2(plain);
    const json doc2 = json::parse(in2);
    std::set<int> pids;
    for (const auto& e : doc2.at("traceEvents")) pids.insert(e.at("pid").get<int>());
    CHECK(pids == std::set<int>{0, 8, 16, 24});
}

TEST_CASE("run --fidelity full: a GPU that does not exist, or an unknown fidelity, writes nothing", "[cli]") {
    TempDir tmp;
    const std::string trace = (tmp / "t.json").string();
    const auto bad = run_moesim_args(tmp, small_v3(tmp, {"--fidelity", "full", "--trace", trace, "--trace-ranks", "32"}));
    CHECK(bad.exit_status == 2);
    CHECK(bad.err.find("--trace-ranks 32: GPU 32 does not exist (there are 32, 0 to 31)") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(trace));
    CHECK_FALSE(std::filesystem::exists(tmp / "r.sqlite"));
    const auto v3 = source_path("scenarios/deepseek-v3-pretrain.json");
    expect_rejected(tmp, {v3, "--fidelity", "fulll"}, {"--fidelity fulll", "\"full\""});
}
