// `moesim run --fidelity event --trace out.json`: a Chrome/Perfetto trace of the pipeline.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "run_moesim.h"

using namespace moesim::test;
using nlohmann::json;

namespace {

// A small DualPipe layout of the V3 scenario: pp 4, 8 micro-batches per pipeline (it does not
// fit in memory: --allow-memory-overflow).
const char* const kSmallV3[] = {"--set", "/cluster/nodes=4", "--set", "/parallelism/pp=4", "--set",
                                "/parallelism/dp=8", "--set", "/parallelism/ep=8", "--set",
                                "/training/global_batch_size=64"};

}  // namespace

TEST_CASE("run --trace writes a Chrome trace: one process per rank, compute and communication threads",
          "[cli]") {
    TempDir tmp;
    const std::string trace = (tmp / "trace.json").string();
    const auto r = run_moesim(tmp, "run", source_path("scenarios/deepseek-v3-pretrain.json"), "--db",
                              (tmp / "r.sqlite").string(), "--fidelity", "event", "--trace", trace, kSmallV3[0],
                              kSmallV3[1], kSmallV3[2], kSmallV3[3], kSmallV3[4], kSmallV3[5], kSmallV3[6],
                              kSmallV3[7], kSmallV3[8], kSmallV3[9], "--allow-memory-overflow", "--json");
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    const json out = json::parse(r.out);
    CHECK(out.at("runs").at(0).at("step_time_s").get<double>() > 0);
    REQUIRE(std::filesystem::exists(trace));
    std::ifstream in(trace);
    const json doc = json::parse(in);
    const json& events = doc.at("traceEvents");
    std::set<int> processes;
    std::map<std::pair<int, int>, std::string> threads;
    std::map<std::string, int> kinds;  // first word of compute event names
    int compute = 0;
    for (const auto& e : events) {
        const std::string ph = e.at("ph");
        if (ph == "M" && e.at("name") == "process_name") processes.insert(e.at("pid").get<int>());
        if (ph == "M" && e.at("name") == "thread_name")
            threads[{e.at("pid").get<int>(), e.at("tid").get<int>()}] = e.at("args").at("name");
        if (ph != "X") continue;
        CHECK(e.at("dur").get<double>() >= 0);
        CHECK(e.at("ts").get<double>() >= 0);
        if (e.at("tid").get<int>() == 0) {
            ++compute;
            const std::string name = e.at("name");
            ++kinds[name.substr(0, name.find(' '))];
        }
    }
    CHECK(processes == std::set<int>{0, 1, 2, 3});
    for (int r = 0; r < 4; ++r) {
        CHECK(threads[{r, 0}] == "compute");
        CHECK(threads[{r, 1}] == "communication");
    }
    // DualPipe, 4 ranks × 8 micro-batches: each rank runs 2 stages × 4 micro-batches of forward
    // and backward work, i.e. 8 F and 8 backward chunks, some as overlapped pairs (named
    // "F … & BW …"), with a W after each input-gradient-only B.
    CHECK(kinds["B"] == kinds["W"]);
    CHECK(kinds["F"] + 0 > 0);
    CHECK(compute == kinds["F"] + kinds["B"] + kinds["W"] + kinds["BW"]);
    // forward chunks: plain F plus pairs = pp · micro-batches
    int pairs = 0;
    for (const auto& e : events)
        if (e.at("ph") == "X" && e.at("tid") == 0 && e.at("name").get<std::string>().find(" & ") != std::string::npos)
            ++pairs;
    CHECK(kinds["F"] == 4 * 8);  // every forward chunk starts with "F" (pairs included)
    CHECK(kinds["B"] + kinds["BW"] + pairs == 4 * 8);
}

TEST_CASE("run --trace-ranks picks processes — bad ranks and missing --fidelity event are errors", "[cli]") {
    TempDir tmp;
    const std::string trace = (tmp / "t.json").string();
    const std::string db = (tmp / "r.sqlite").string();
    const std::string v3 = source_path("scenarios/deepseek-v3-pretrain.json");
    const auto r = run_moesim(tmp, "run", v3, "--db", db, "--fidelity", "event", "--trace", trace, "--trace-ranks",
                              "0,3", kSmallV3[0], kSmallV3[1], kSmallV3[2], kSmallV3[3], kSmallV3[4], kSmallV3[5],
                              kSmallV3[6], kSmallV3[7], kSmallV3[8], kSmallV3[9], "--allow-memory-overflow");
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    std::ifstream in(trace);
    const json doc = json::parse(in);
    std::set<int> pids;
    for (const auto& e : doc.at("traceEvents")) pids.insert(e.at("pid").get<int>());
    CHECK(pids == std::set<int>{0, 3});

    const std::string other = (tmp / "u.json").string();
    const auto bad = run_moesim(tmp, "run", v3, "--db", (tmp / "b.sqlite").string(), "--fidelity", "event", "--trace",
                                other, "--trace-ranks", "0,16");
    CHECK(bad.exit_status == 2);
    CHECK(bad.err.find("--trace-ranks") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(other));
    CHECK_FALSE(std::filesystem::exists(tmp / "b.sqlite"));

    const auto analytic = run_moesim(tmp, "run", v3, "--db", (tmp / "c.sqlite").string(), "--trace", other);
    CHECK(analytic.exit_status == 2);
    CHECK(analytic.err.find("--fidelity event") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(other));
}
