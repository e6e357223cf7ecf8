// `moesim comm`: DeepEP's published H800 numbers from the binary's --json (PUBLISHED.md E),
// nccl-tests columns, and bad input.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "run_moesim.h"

using moesim::test::run_moesim;
using moesim::test::TempDir;

namespace {

struct Published {
    int ep;
    double dispatch, combine;
};

// Runs `moesim comm ARGS… --json` and parses its output.
template <typename... Args>
nlohmann::json comm_json(const TempDir& tmp, const Args&... args) {
    const auto r = run_moesim(tmp, "comm", args..., "--json");
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("comm reproduces DeepEP's normal-kernel bottleneck bandwidths within 10%", "[cli]") {
    TempDir tmp;
    const Published published[] = {{8, 153, 158}, {16, 43, 43}, {32, 58, 57}, {64, 51, 50}};
    for (const std::string model : {"closed-form", "flows"})
        for (const auto& p : published)
            for (const std::string op : {"dispatch", "combine"}) {
                INFO(model << " EP" << p.ep << " " << op);
                const auto j = comm_json(tmp, op, "--ep", std::to_string(p.ep), "--model", model);
                CHECK(j.at("ep") == p.ep);
                CHECK(j.at("tokens") == 4096);
                const double got = j.at("rows").at(0).at("bottleneck_GBps");
                // Model-error band: the model against a published measurement (PUBLISHED.md E).
                CHECK(got == Approx(op == "dispatch" ? p.dispatch : p.combine).epsilon(0.10));
            }
}

TEST_CASE("comm reproduces DeepEP's low-latency times within 10%", "[cli]") {
    TempDir tmp;
    const Published published[] = {{8, 77, 114}, {16, 118, 195}, {32, 155, 273}, {64, 173, 314}};
    for (const std::string model : {"closed-form", "flows"})
        for (const auto& p : published)
            for (const std::string op : {"dispatch", "combine"}) {
                INFO(model << " EP" << p.ep << " " << op);
                const auto j = comm_json(tmp, op, "--ep", std::to_string(p.ep), "--mode", "low-latency", "--tokens", "128",
                                         "--model", model);
                const double us = j.at("rows").at(0).at("time_us");
                // Model-error band: the model against a published measurement (PUBLISHED.md E).
                CHECK(us == Approx(op == "dispatch" ? p.dispatch : p.combine).epsilon(0.10));
            }
}

TEST_CASE("comm prints nccl-tests columns and sweeps sizes like -b/-e/-f", "[cli]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "comm", "all_reduce", "--group", "8", "-b", "1K", "-e", "1M", "-f", "4");
    REQUIRE(r.exit_status == 0);
    CHECK(r.out.find("size") != std::string::npos);
    CHECK(r.out.find("busbw_GBps") != std::string::npos);
    const auto j = comm_json(tmp, "all_reduce", "--group", "8", "--size", "1G", "--model", "flows");
    const auto& row = j.at("rows").at(0);
    CHECK(row.at("size_bytes") == Approx(1073741824.0));
    CHECK(row.at("count") == Approx(536870912.0));
    // busbw = algbw · 2(n−1)/n, close to NVLink's 160 GB/s for a large buffer.
    CHECK(double(row.at("busbw_GBps")) == Approx(double(row.at("algbw_GBps")) * 1.75));
    CHECK(double(row.at("busbw_GBps")) == Approx(160).epsilon(0.02));
    const auto sweep = comm_json(tmp, "all_gather", "--nodes", "2", "--size", "1K..1M", "-f", "2");
    CHECK(sweep.at("rows").size() == 11);
    CHECK(sweep.at("group") == 16);
}

TEST_CASE("comm rejects bad input with exit status 2", "[cli]") {
    TempDir tmp;
    auto r = run_moesim(tmp, "comm", "all_reduse");
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("unknown collective 'all_reduse' (did you mean \"all_reduce\"?)") != std::string::npos);
    r = run_moesim(tmp, "comm", "all_reduce", "--nodes", "1", "--group", "16");
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("larger than the cluster") != std::string::npos);
    r = run_moesim(tmp, "comm", "all_reduce", "--size", "0");
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("size must be positive") != std::string::npos);
    r = run_moesim(tmp, "comm", "dispatch", "--ep", "16", "--nodes", "1");
    CHECK(r.exit_status == 2);
    r = run_moesim(tmp, "comm", "all_to_all", "--nodes", "6", "--topology", "fat-tree");
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("/cluster/nodes: 6 nodes cannot be divided into leaves") != std::string::npos);
}

TEST_CASE("comm --model flows reports the no-sharing time and what sharing links cost", "[cli]") {
    TempDir tmp;
    // One node: every pair has its own NVLink path, nothing shared beyond the GPU's own links.
    const auto alone = comm_json(tmp, "all_to_all", "--group", "8", "--size", "256M", "--model", "flows");
    const auto& a = alone.at("rows").at(0);
    CHECK(double(a.at("sharing_slowdown")) == Approx(double(a.at("time_us")) / double(a.at("ideal_us"))));
    CHECK(double(a.at("sharing_slowdown")) == Approx(1.0).epsilon(0.02));
    // A 2:1 oversubscribed fat-tree of two leaves: half of the all-to-all crosses the core at
    // half the leaves' down capacity, so the flows are slower than with no link shared.
    const auto shared = comm_json(tmp, "all_to_all", "--nodes", "8", "--topology", "fat-tree", "--oversubscription", "2",
                                  "--size", "256M", "--model", "flows");
    const auto& s = shared.at("rows").at(0);
    CHECK(double(s.at("sharing_slowdown")) == Approx(double(s.at("time_us")) / double(s.at("ideal_us"))));
    CHECK(double(s.at("sharing_slowdown")) > 1.1);
    // The same cluster in closed form: no flows, so no slowdown column.
    const auto closed = comm_json(tmp, "all_to_all", "--nodes", "8", "--topology", "fat-tree", "--oversubscription", "2",
                                  "--size", "256M");
    CHECK_FALSE(closed.at("rows").at(0).contains("sharing_slowdown"));
}
