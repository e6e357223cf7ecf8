// EP load balancing of a serving pool (expert_balance.h): EPLB's greedy on a hand-built load,
// the slowest rank's load falling with redundant experts, and the slowest rank setting the
// MoE layer's expert time in the operator model.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "moesim/inference/expert_balance.h"
#include "operator_test_helpers.h"

using namespace operator_test;
using moesim::inference::balance_experts;
using moesim::inference::ExpertBalance;
namespace wl = moesim::workload;

namespace {

wl::MoeRoutingShape shape(int experts, int ep, int redundant, int tokens_per_rank) {
    wl::MoeRoutingShape s;
    s.num_experts = experts;
    s.top_k = 4;
    s.ep = ep;
    s.gpus_per_node = 8;
    s.redundant_experts = redundant;
    s.tokens_per_rank = tokens_per_rank;
    return s;
}

// Zipf popularity over `n` experts (n a power of two), the hottest first, the next ones spread
// over the expert ids (rank i at id 37·i mod n) so that no node holds all the hot ones.
std::vector<double> zipf(int n, double alpha) {
    std::vector<double> p(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) p[static_cast<std::size_t>((37 * i) % n)] = 1.0 / std::pow(i + 1.0, alpha);
    const double sum = std::accumulate(p.begin(), p.end(), 0.0);
    for (double& x : p) x /= sum;
    return p;
}

}  // namespace

TEST_CASE("EPLB greedy on a hand-built load: replicas to the most load per copy, onto the lighter GPU", "[inference]") {
    // 4 experts on 2 GPUs of one node, 2 redundant slots (3 per GPU). Load 0.5, 0.2, 0.2, 0.1:
    // GPU 0 holds {0, 1} = 0.7, GPU 1 {2, 3} = 0.3. Replica 1: expert 0 (0.5 per copy) onto
    // GPU 1 (0.3); now 0.25 per copy, still the most: replica 2 onto GPU 0 (0.45 against 0.55).
    const auto s = shape(4, 2, 2, 0);
    const auto pl = wl::place_experts(s, {0.5, 0.2, 0.2, 0.1});
    REQUIRE(pl.slots_per_rank == 3);
    CHECK(pl.rank_slots[0] == std::vector<int>{0, 1, 0});
    CHECK(pl.rank_slots[1] == std::vector<int>{2, 3, 0});
    CHECK(pl.copies[0].size() == 3);
}

TEST_CASE("EPLB: the observed rows of a draw add up to its tokens times top-k", "[inference]") {
    auto s = shape(64, 16, 16, 256);
    const auto pop = zipf(64, 1.0);
    const auto pl = wl::place_experts(s, pop);
    const auto routing = wl::draw_layer_routing(s, pop, pl, 7, 3, 0);
    const auto rows = wl::expert_rows(routing, pl);
    CHECK(std::accumulate(rows.begin(), rows.end(), 0.0) == Approx(16.0 * 256 * 4));
    CHECK(std::max_element(rows.begin(), rows.end()) == rows.begin());  // the hottest expert
}

TEST_CASE("EPLB: the slowest GPU's load over the mean falls with more redundant experts", "[inference]") {
    const auto pop = zipf(64, 1.0);
    double last = 1e300;
    for (int redundant : {0, 16, 48, 112}) {
        const ExpertBalance b = balance_experts(shape(64, 16, redundant, 512), pop, 1, 3);
        INFO("redundant " << redundant << ": max/mean " << b.rows_imbalance);
        REQUIRE(b.drawn);
        CHECK(b.rank_rows.size() == 16);
        CHECK(b.rows_imbalance >= 1.0);
        CHECK(b.min_rows_share <= 1.0);
        CHECK(b.rows_imbalance < last);
        last = b.rows_imbalance;
    }
    CHECK(last < 1.3);  // 176 slots for 64 experts: the hot ones spread thin
}

TEST_CASE("EPLB: deterministic from the seed, and the imbalance shrinks with tokens", "[inference]") {
    const auto pop = zipf(64, 0.5);
    const auto a = balance_experts(shape(64, 16, 16, 128), pop, 5, 3);
    const auto b = balance_experts(shape(64, 16, 16, 128), pop, 5, 3);
    const auto c = balance_experts(shape(64, 16, 16, 128), pop, 6, 3);
    CHECK(a.rank_rows == b.rank_rows);
    CHECK(a.rank_rows != c.rank_rows);
    CHECK(a.at(128) == Approx(a.rows_imbalance));
    CHECK(a.at(4 * 128) - 1 == Approx((a.rows_imbalance - 1) / 2));
    CHECK(a.at(1e-6) == 16.0);  // never more than every row on one GPU
    CHECK(ExpertBalance{}.at(100) == 1.0);
}

TEST_CASE("EPLB in serving: the slowest EP rank sets the MoE layer's expert time", "[inference]") {
    Priced even(v3_doc());
    Priced skewed(v3_doc());
    for (auto* p : {&skewed.setup->prefill, &skewed.setup->decode}) {
        p->experts.drawn = true;
        p->experts.rows_imbalance = 2.0;
        p->experts.tokens_per_rank = 1024;  // the factor 2 at 4096 tokens per group of 4 GPUs
    }
    for (auto* p : {&even.setup->prefill, &even.setup->decode}) p->experts = ExpertBalance{};
    const auto loads = uniform(*even.costs, Pool::Prefill, GroupLoad{2, 4096, 0});
    const auto e = even.costs->iteration_breakdown(Pool::Prefill, loads);
    const auto s = skewed.costs->iteration_breakdown(Pool::Prefill, loads);
    CHECK(s.attention_s == Approx(e.attention_s));
    CHECK(s.dispatch_s == Approx(e.dispatch_s));
    // Prefill's expert GEMMs are compute-bound at 4096 tokens per group: twice the rows, about
    // twice the time.
    CHECK(s.moe_gemm_s / e.moe_gemm_s == Approx(2.0).epsilon(0.1));
    // The drawn figure of the real V3 pools: a few percent above the mean, deterministic.
    const Priced v3(v3_doc());
    for (const auto* p : {&v3.setup->prefill, &v3.setup->decode}) {
        INFO(p->experts.describe(p->json_path));
        CHECK(p->experts.drawn);
        CHECK(p->experts.rows_imbalance > 1.0);
        CHECK(p->experts.rows_imbalance < 1.5);
        CHECK(p->experts.rank_rows.size() == static_cast<std::size_t>(p->ep));
    }
    CHECK(Priced(v3_doc()).setup->decode.experts.rank_rows == v3.setup->decode.experts.rank_rows);
}
