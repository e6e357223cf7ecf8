// `moesim comm all_reduce --algorithm tree`: NCCL's double binary tree from the binary's
// --json, closed form against flows, and against the ring.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "run_moesim.h"

using moesim::test::run_moesim;
using moesim::test::TempDir;

// The binary pipelines each tree in 64 chunks (hw::kTreeChunks), as NCCL splits large buffers.
constexpr double kChunks = 64;

namespace {

template <typename... Args>
nlohmann::json comm_json(const TempDir& tmp, const Args&... args) {
    const auto r = run_moesim(tmp, "comm", "all_reduce", args..., "--json");
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("comm all_reduce --algorithm tree: closed form and flows on 8 nodes x 1 GPU", "[cli]") {
    TempDir tmp;
    const auto closed = comm_json(tmp, "--algorithm", "tree", "--nodes", "8", "--gpus-per-node", "1", "--size", "1G");
    CHECK(closed.at("algorithm") == "tree");
    CHECK(closed.at("group") == 8);
    const auto& row = closed.at("rows").at(0);
    // H800: one 400 Gb/s NIC per GPU at 0.8 = 40 GB/s, 3.7 µs per hop (h800-published);
    // d = 3: 6·3.7 µs + 2S/B + (2·3 − 1)·S/(2C)/B.
    const double S = 1073741824.0;
    const double t_us = (6 * 3.7e-6 + 2 * S / 40e9 + 5 * (S / (2 * kChunks)) / 40e9) * 1e6;
    CHECK(double(row.at("time_us")) == Approx(t_us));
    CHECK(double(row.at("busbw_GBps")) == Approx(S / (t_us * 1e-6) / 1e9 * 1.75));
    const auto flows = comm_json(tmp, "--algorithm", "tree", "--nodes", "8", "--gpus-per-node", "1", "--size", "1G", "--model", "flows");
    CHECK(flows.at("rows").at(0).at("flows") == 2 * 7 * 2 * kChunks);  // 2 trees x 7 edges x up+down x C
    CHECK(double(flows.at("rows").at(0).at("time_us")) == Approx(t_us).epsilon(0.02));
}

TEST_CASE("comm: the tree beats the ring on small buffers, the ring has the higher busbw on large", "[cli]") {
    TempDir tmp;
    const auto time_us = [&](const std::string& algorithm, const std::string& size) {
        const auto j = comm_json(tmp, "--algorithm", algorithm, "--nodes", "32", "--gpus-per-node", "1", "--size", size);
        return j.at("rows").at(0);
    };
    CHECK(double(time_us("tree", "64K").at("time_us")) < 0.5 * double(time_us("ring", "64K").at("time_us")));
    CHECK(double(time_us("ring", "4G").at("busbw_GBps")) > double(time_us("tree", "4G").at("busbw_GBps")));
}

TEST_CASE("comm --algorithm tree is for all_reduce only", "[cli]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "comm", "all_gather", "--algorithm", "tree");
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("only all_reduce has a tree algorithm") != std::string::npos);
    const auto bad = run_moesim(tmp, "comm", "all_reduce", "--algorithm", "trie");
    CHECK(bad.exit_status == 2);
    CHECK(bad.err.find("auto, ring, hierarchical, tree or pxn") != std::string::npos);
}
