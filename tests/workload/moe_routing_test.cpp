// MoE routing draws: conservation, node-limited routing, the imbalance of each expert_load
// kind, EPLB-style replicas, determinism, and the trace file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "moesim/common/error.h"
#include "moesim/workload/moe_routing.h"

using namespace moesim::workload;
using moesim::ScenarioError;

namespace {

// DeepSeek-V3's EP group: 256 experts, top-8, EP64 over 8 nodes, at most 4 nodes per token.
MoeRoutingShape v3_shape(std::int64_t tokens_per_rank, int redundant = 0, int max_nodes = 4) {
    MoeRoutingShape s;
    s.num_experts = 256;
    s.top_k = 8;
    s.ep = 64;
    s.gpus_per_node = 8;
    s.max_nodes_per_token = max_nodes;
    s.redundant_experts = redundant;
    s.tokens_per_rank = tokens_per_rank;
    return s;
}

ExpertLoad load_of(ExpertLoadKind kind, double param = 1.0) {
    ExpertLoad l;
    l.kind = kind;
    l.alpha = param;
    l.concentration = param;
    return l;
}

LayerRouting draw(const MoeRoutingShape& s, const ExpertLoad& load, int layer = 3, std::int64_t mb = 0,
                  std::uint64_t seed = 42, bool keep = false) {
    const ExpertPopularity pop(load, s.num_experts, seed);
    const auto p = pop.of_layer(layer);
    const auto pl = place_experts(s, p);
    RoutingDrawOptions o;
    o.keep_token_experts = keep;
    return draw_layer_routing(s, p, pl, seed, layer, mb, o);
}

std::int64_t total_rows(const LayerRouting& r) {
    std::int64_t sum = 0;
    for (const auto& rank : r.ranks) {
        REQUIRE(std::accumulate(rank.slot_rows.begin(), rank.slot_rows.end(), std::int64_t{0}) == rank.rows);
        sum += rank.rows;
    }
    return sum;
}

}  // namespace

TEST_CASE("every token gets exactly k distinct experts — rows sum to tokens x k", "[workload]") {
    for (auto kind : {ExpertLoadKind::Uniform, ExpertLoadKind::Zipf, ExpertLoadKind::Dirichlet}) {
        const auto s = v3_shape(64);
        const auto r = draw(s, load_of(kind, kind == ExpertLoadKind::Dirichlet ? 0.3 : 1.2), 5, 0, 7, true);
        REQUIRE(r.tokens == 64 * 64);
        REQUIRE(total_rows(r) == r.tokens * s.top_k);
        REQUIRE(r.token_experts.size() == static_cast<std::size_t>(r.tokens * s.top_k));
        for (std::int64_t t = 0; t < r.tokens; ++t) {
            std::set<int> experts(r.token_experts.begin() + t * 8, r.token_experts.begin() + (t + 1) * 8);
            REQUIRE(experts.size() == 8u);
            REQUIRE(*experts.rbegin() < 256);
        }
    }
}

TEST_CASE("node-limited routing: no token on more than max_nodes_per_token nodes", "[workload]") {
    for (int m : {1, 2, 4}) {
        const auto s = v3_shape(128, 0, m);
        const auto r = draw(s, load_of(ExpertLoadKind::Zipf, 1.0), 3, 0, 1, true);
        CHECK(r.max_nodes_per_token_seen == m);  // min(M, k) nodes, each with ≥ 1 expert
        for (std::int64_t t = 0; t < r.tokens; ++t) {
            std::set<int> nodes;
            for (int i = 0; i < 8; ++i) nodes.insert(r.token_experts[static_cast<std::size_t>(t * 8 + i)] / 32);
            REQUIRE(static_cast<int>(nodes.size()) <= m);
        }
    }
    // Unlimited routing reaches more nodes.
    const auto free = draw(v3_shape(128, 0, 0), load_of(ExpertLoadKind::Uniform));
    CHECK(free.max_nodes_per_token_seen > 4);
}

TEST_CASE("dispatch volumes: IB copies per token = remote nodes, NVLink copies = target ranks", "[workload]") {
    const auto s = v3_shape(512);
    const auto r = draw(s, load_of(ExpertLoadKind::Uniform));
    std::int64_t ib_send = 0, ib_recv = 0, nvl_send = 0, nvl_recv = 0;
    for (const auto& rank : r.ranks) {
        ib_send += rank.ib_send, ib_recv += rank.ib_recv, nvl_send += rank.nvlink_send, nvl_recv += rank.nvlink_recv;
    }
    CHECK(ib_send == ib_recv);
    CHECK(nvl_send == nvl_recv);
    // M = 4 of N = 8 nodes, each token on exactly 4 nodes: 4 − 4/8 remote nodes on average.
    CHECK(static_cast<double>(ib_send) / r.tokens == Approx(3.5).epsilon(0.02));
    CHECK(nvl_recv > 4 * r.tokens);
    CHECK(nvl_recv <= 8 * r.tokens);
}

TEST_CASE("a uniform draw is nearly balanced at V3 counts", "[workload]") {
    const auto s = v3_shape(4096);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = draw(s, load_of(ExpertLoadKind::Uniform));
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("V3 EP64 group, 262,144 tokens x top-8, one layer: " << secs * 1e3 << " ms; rows max/mean "
                                                              << r.rows_imbalance() << ", IB " << r.ib_imbalance()
                                                              << ", NVLink " << r.nvlink_imbalance());
    CHECK(r.rows_imbalance() > 1.0);
    CHECK(r.rows_imbalance() < 1.02);
    CHECK(r.ib_imbalance() < 1.02);
    CHECK(r.nvlink_imbalance() < 1.02);
}

TEST_CASE("zipf grows more imbalanced with alpha, dirichlet as concentration shrinks", "[workload]") {
    const auto s = v3_shape(512);
    const double z0 = draw(s, load_of(ExpertLoadKind::Zipf, 0.0)).rows_imbalance();
    const double z05 = draw(s, load_of(ExpertLoadKind::Zipf, 0.5)).rows_imbalance();
    const double z1 = draw(s, load_of(ExpertLoadKind::Zipf, 1.0)).rows_imbalance();
    const double z15 = draw(s, load_of(ExpertLoadKind::Zipf, 1.5)).rows_imbalance();
    CHECK(z0 < z05);
    CHECK(z05 < z1);
    CHECK(z1 < z15);
    const double d10 = draw(s, load_of(ExpertLoadKind::Dirichlet, 10.0)).rows_imbalance();
    const double d1 = draw(s, load_of(ExpertLoadKind::Dirichlet, 1.0)).rows_imbalance();
    const double d01 = draw(s, load_of(ExpertLoadKind::Dirichlet, 0.1)).rows_imbalance();
    CHECK(d10 < d1);
    CHECK(d1 < d01);
    CHECK(d10 > 1.0);
}

TEST_CASE("zipf permutes its popularity ranking per layer, deterministically", "[workload]") {
    const ExpertPopularity pop(load_of(ExpertLoadKind::Zipf, 1.0), 256, 9);
    const auto a = pop.of_layer(3), b = pop.of_layer(4);
    CHECK(a == pop.of_layer(3));
    CHECK(a != b);
    CHECK(std::accumulate(a.begin(), a.end(), 0.0) == Approx(1.0));
    CHECK(*std::max_element(a.begin(), a.end()) == Approx(*std::max_element(b.begin(), b.end())));
}

TEST_CASE("dirichlet popularity: gamma draws average to the concentration", "[workload]") {
    // Dirichlet(c) marginals have mean 1/E and variance (E−1)/(E²(E·c+1)).
    for (double c : {0.3, 1.0, 5.0}) {
        const ExpertPopularity pop(load_of(ExpertLoadKind::Dirichlet, c), 256, 11);
        double sum_sq = 0;
        int n = 0;
        for (int layer = 0; layer < 40; ++layer)
            for (double x : pop.of_layer(layer)) sum_sq += (x - 1.0 / 256) * (x - 1.0 / 256), ++n;
        const double expected = 255.0 / (256.0 * 256.0 * (256 * c + 1));
        CHECK(sum_sq / n == Approx(expected).epsilon(0.15));
    }
}

TEST_CASE("redundant experts reduce the max load", "[workload]") {
    for (auto load : {load_of(ExpertLoadKind::Zipf, 1.0), load_of(ExpertLoadKind::Dirichlet, 1.0)}) {
        const double plain = draw(v3_shape(512, 0), load).rows_imbalance();
        const double eplb = draw(v3_shape(512, 64), load).rows_imbalance();
        const double more = draw(v3_shape(512, 128), load).rows_imbalance();
        CHECK(eplb < plain);
        CHECK(more <= eplb * 1.02);
    }
    // Replicas stay on their expert's node and every slot is filled.
    const ExpertPopularity pop(load_of(ExpertLoadKind::Zipf, 1.0), 256, 1);
    const auto p = pop.of_layer(3);
    const auto pl = place_experts(v3_shape(1, 64), p);
    CHECK(pl.slots_per_rank == 5);
    int copies = 0;
    for (int e = 0; e < 256; ++e) {
        for (int id : pl.copies[static_cast<std::size_t>(e)]) CHECK(id / pl.slots_per_rank / 8 == pl.home_node[static_cast<std::size_t>(e)]);
        copies += static_cast<int>(pl.copies[static_cast<std::size_t>(e)].size());
    }
    CHECK(copies == 320);
    for (const auto& slots : pl.rank_slots) CHECK(slots.size() == 5u);
    // The hottest expert has a replica.
    const auto hot = static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
    CHECK(pl.copies[hot].size() >= 2u);
}

TEST_CASE("the same seed draws the same routing, bit for bit", "[workload]") {
    const auto s = v3_shape(256, 64);
    const auto load = load_of(ExpertLoadKind::Dirichlet, 0.5);
    const auto a = draw(s, load, 7, 3, 99, true), b = draw(s, load, 7, 3, 99, true);
    CHECK(a.token_experts == b.token_experts);
    for (std::size_t r = 0; r < a.ranks.size(); ++r) {
        CHECK(a.ranks[r].slot_rows == b.ranks[r].slot_rows);
        CHECK(a.ranks[r].ib_send == b.ranks[r].ib_send);
        CHECK(a.ranks[r].nvlink_recv == b.ranks[r].nvlink_recv);
    }
    CHECK(draw(s, load, 7, 4, 99, true).token_experts != a.token_experts);  // another micro-batch
    CHECK(draw(s, load, 7, 3, 98, true).token_experts != a.token_experts);  // another seed
}

TEST_CASE("expert trace: read correctly — a wrong expert count names the JSON path", "[workload]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "moesim_moe_routing_test";
    fs::create_directories(dir);
    {
        std::ofstream f(dir / "trace.csv");
        f << "# two layers of 4 experts\nlayer,expert,tokens\n";
        for (int e = 0; e < 4; ++e) f << "1," << e << "," << (e == 2 ? 700 : 100) << "\n";
        for (int e = 0; e < 4; ++e) f << "2," << e << ",250\n";
    }
    ExpertLoad load;
    load.kind = ExpertLoadKind::Trace;
    load.file = "trace.csv";
    const ExpertPopularity pop(load, 4, 1, "s.json", dir.string());
    CHECK(pop.of_layer(1) == std::vector<double>{0.1, 0.1, 0.7, 0.1});
    CHECK(pop.of_layer(2) == std::vector<double>{0.25, 0.25, 0.25, 0.25});
    const auto other = pop.of_layer(5);  // not in the trace: the sum of its layers
    CHECK(other[2] == Approx(950.0 / 2000));

    try {
        ExpertPopularity wrong(load, 8, 1, "s.json", dir.string());
        FAIL("no error");
    } catch (const ScenarioError& e) {
        CHECK(e.file() == "s.json");
        CHECK(e.json_path() == "/training/moe/expert_load/file");
        CHECK_THAT(e.message(), Catch::Contains("4 experts") && Catch::Contains("8 routed experts"));
    }
    load.file = "missing.csv";
    CHECK_THROWS_AS(ExpertPopularity(load, 4, 1, "s.json", dir.string()), ScenarioError);
    std::vector<int> layers;
    std::vector<std::vector<double>> counts;
    CHECK_THROWS_AS(parse_expert_trace("layer,expert,tokens\n1,0,5\n1,0,6\n", 1, "f", "/p", layers, counts), ScenarioError);
    CHECK_THROWS_AS(parse_expert_trace("a,b,c\n", 1, "f", "/p", layers, counts), ScenarioError);
    CHECK_THROWS_AS(parse_expert_trace("layer,expert,tokens\n1,x,5\n", 1, "f", "/p", layers, counts), ScenarioError);
    fs::remove_all(dir);
}
