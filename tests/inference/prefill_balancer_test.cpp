// The prefill load balancer (prefill_balancer.h) on small hand-built chunk lists, and the
// serving simulation with balancer "attention-cost" against "none" on the fake costs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "run_moesim.h"
#include "fake_costs.h"
#include "moesim/inference/prefill_balancer.h"
#include "moesim/inference/serving_sim.h"

using namespace moesim;
using inference::balance_prefill;
using inference::PrefillChunk;
using inference::PrefillPiece;
using inference::TokenCost;
using inference::GroupLoad;
using inference::simulate_serving;

using test::same;

namespace {

std::vector<double> group_costs(const std::vector<PrefillPiece>& pieces, std::size_t groups, const TokenCost& w) {
    std::vector<double> out(groups, 0);
    for (const PrefillPiece& p : pieces) out[p.group] += w.of(p.start, p.tokens);
    return out;
}

// The costliest token of the stream: the one at the largest position.
double costliest_token(const std::vector<PrefillChunk>& chunks, const TokenCost& w) {
    double most = 0;
    for (const PrefillChunk& c : chunks)
        if (c.tokens > 0) most = std::max(most, w.of(c.start + c.tokens - 1, 1));
    return most;
}

}  // namespace

TEST_CASE("prefill balancer: every group's cost is within one token's cost of an equal share", "[inference]") {
    const std::vector<std::vector<PrefillChunk>> cases{
        {{0, 3000}, {5000, 200}, {100, 50}},
        {{0, 16384}},
        {{60000, 1024}, {0, 900}, {0, 900}, {0, 900}, {2000, 7}},
        {{10, 1}, {0, 2}, {7, 3}},
    };
    for (const TokenCost w : {TokenCost{1, 0}, TokenCost{100, 1}, TokenCost{4000, 1}, TokenCost{0, 1}})
        for (const auto& chunks : cases)
            for (std::size_t groups : {1u, 2u, 3u, 8u, 32u}) {
                const auto pieces = balance_prefill(chunks, groups, w);
                const auto cost = group_costs(pieces, groups, w);
                double total = 0;
                for (const PrefillChunk& c : chunks) total += w.of(c.start, c.tokens);
                const double share = total / static_cast<double>(groups);
                const double token = costliest_token(chunks, w);
                INFO("groups " << groups << ", w = " << w.per_token << " + " << w.per_position << " p");
                for (const double c : cost) CHECK(std::abs(c - share) <= token * (1 + 1e-9));
            }
}

TEST_CASE("prefill balancer: a prompt is split into contiguous pieces, each with its own context", "[inference]") {
    const std::vector<PrefillChunk> chunks{{1000, 4000}};
    SECTION("cost per token: equal token counts, contexts 1000, 2000, 3000, 4000") {
        const auto pieces = balance_prefill(chunks, 4, TokenCost{1, 0});
        REQUIRE(pieces.size() == 4);
        for (std::size_t g = 0; g < 4; ++g) {
            CHECK(pieces[g].chunk == 0);
            CHECK(pieces[g].group == g);
            CHECK(pieces[g].start == 1000 + 1000 * static_cast<std::int64_t>(g));
            CHECK(pieces[g].tokens == 1000);
        }
    }
    SECTION("cost per position: later pieces are shorter, and each starts where the last ended") {
        const auto pieces = balance_prefill(chunks, 4, TokenCost{0, 1});
        REQUIRE(pieces.size() == 4);
        CHECK(pieces.front().start == 1000);
        for (std::size_t g = 1; g < 4; ++g) {
            CHECK(pieces[g].start == pieces[g - 1].start + pieces[g - 1].tokens);
            CHECK(pieces[g].tokens < pieces[g - 1].tokens);
        }
        CHECK(pieces.back().start + pieces.back().tokens == 5000);
    }
}

TEST_CASE("prefill balancer: every chunk's tokens are computed once, in order", "[inference]") {
    const std::vector<PrefillChunk> chunks{{0, 3000}, {5000, 200}, {0, 0}, {100, 50}, {64000, 9000}};
    for (std::size_t groups : {1u, 5u, 32u, 100u}) {
        const auto pieces = balance_prefill(chunks, groups, TokenCost{2000, 1});
        std::vector<std::int64_t> next(chunks.size());
        for (std::size_t c = 0; c < chunks.size(); ++c) next[c] = chunks[c].start;
        std::size_t last_group = 0;
        for (const PrefillPiece& p : pieces) {
            CHECK(p.tokens >= 1);
            CHECK(p.group < groups);
            CHECK(p.group >= last_group);
            last_group = p.group;
            CHECK(p.start == next[p.chunk]);
            next[p.chunk] += p.tokens;
        }
        for (std::size_t c = 0; c < chunks.size(); ++c) CHECK(next[c] == chunks[c].start + chunks[c].tokens);
    }
}

TEST_CASE("serving: a lone prompt split over the groups with its KV gathered, or whole with none", "[inference]") {
    test::TempDir tmp;
    auto s = test::trace_scenario(tmp.path(), "0,1000,2,0\n", 10);
    test::FakeCosts costs;
    costs.groups[0] = 2;
    costs.batch_tokens = 4000;
    costs.gather_s_per_token = 1e-3;
    SECTION("attention-cost") {
        s.inference.prefill.balancer = workload::PrefillBalancer::AttentionCost;
        const auto run = simulate_serving(s, costs);
        // The fake's context costs nothing, so tokens are balanced: 500 at position 0 on group 0
        // (the prompt's home: the first of the two equal pieces) and 500 at 500 on group 1.
        const auto prefill = costs.prefill_loads();
        REQUIRE(prefill.size() == 1);
        CHECK(same(prefill[0][0], {1, 500, 0}));
        CHECK(same(prefill[0][1], {1, 500, 500}));
        // Each group's attention is its piece's: 500 new tokens after 500 on group 1.
        CHECK(prefill[0][0].attention_pairs == inference::causal_pairs(500, 0));
        CHECK(prefill[0][1].attention_pairs == inference::causal_pairs(500, 500));
        // Group 1 receives positions [0, 500) and sends its 500 home; the home sends 500 and
        // receives 500: 1000 tokens on each link, 1 s, longer than the 0.02 s of compute.
        CHECK(run.stats.prefill_gather_bound_iterations == 1);
        CHECK(run.result.ttft_ms.p99 == Approx(1000).margin(1e-6));
    }
    SECTION("none") {
        s.inference.prefill.balancer = workload::PrefillBalancer::None;
        const auto run = simulate_serving(s, costs);
        // 2000 per group: the prompt whole on group 0, nothing moved: 0.010 + 1000 x 1e-5 s.
        const auto prefill = costs.prefill_loads();
        REQUIRE(prefill.size() == 1);
        CHECK(same(prefill[0][0], {1, 1000, 0}));
        CHECK(prefill[0][0].attention_pairs == inference::causal_pairs(1000, 0));
        CHECK(same(prefill[0][1], {0, 0, 0}));
        CHECK(run.stats.prefill_gather_bound_iterations == 0);
        CHECK(run.result.ttft_ms.p99 == Approx(20).margin(1e-6));
    }
}

TEST_CASE("serving: with attention-cost a long prompt no longer stalls the short ones behind it", "[inference]") {
    // One 20000-token prompt, then eight of 500. Under "none" the long prompt gets its group's
    // 1000-token share per iteration while the other groups run out of work; attention-cost
    // fills every iteration, so all prompts are through prefill sooner.
    test::TempDir tmp;
    std::string rows = "0,20000,2,0\n";
    for (int i = 0; i < 8; ++i) rows += "0.001,500,2,0\n";
    const auto last_first_token = [&](workload::PrefillBalancer b) {
        auto s = test::serving_scenario();
        s.inference.prefill.balancer = b;
        test::use_trace(s, tmp.path(), rows, 10);
        test::FakeCosts costs;
        costs.groups[0] = 4;
        costs.batch_tokens = 4000;
        costs.cost[0].per_context_s = 1e-9;
        const auto keep = test::keep_requests();
        const auto run = simulate_serving(s, costs, keep);
        double last = 0;
        for (const auto& r : run.requests) last = std::max(last, r.first_token_s);
        CHECK(run.stats.total_tokens_computed == 24000);
        return last;
    };
    const double none = last_first_token(workload::PrefillBalancer::None);
    const double balanced = last_first_token(workload::PrefillBalancer::AttentionCost);
    // 24000 tokens: 6 full iterations balanced, against the long prompt's 20 of 1000 tokens.
    CHECK(balanced < 0.7 * none);
}

TEST_CASE("scenario: an unknown prefill balancer exits 2 naming its path", "[inference]") {
    test::TempDir tmp;
    const auto r = test::run_moesim(tmp, "run", test::source_path("scenarios/deepseek-v3-serve-feb2025.json"), "--db",
                                    (tmp / "r.sqlite").string(), "--set", "/inference/prefill/balancer=\"fastest\"");
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Contains("/inference/prefill/balancer"));
    CHECK_FALSE(std::filesystem::exists(tmp / "r.sqlite"));
}
