// The token permute plan (stable, 128-aligned segments), the permute and combine references,
// the benchmark routing and the counts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "moesim/common/error.h"
#include "moesim/kernels/fp8.h"
#include "moesim/kernels/moe_permute.h"
#include "moesim/kernels/suite_shapes.h"

using namespace moesim::kernels;

TEST_CASE("permute plan: expert segments at multiples of 128, token order inside", "[kernels]") {
    // 4 tokens, top-2, 3 experts: expert 0 gets tokens 0, 2 (choice 1), 3; expert 2 gets 0, 1, 2.
    const std::vector<int> ids{0, 2, 2, 1, 2, 0, 0, 1};
    const PermutePlan p = permute_plan(ids, 4, 2, 3);
    REQUIRE(p.layout.groups.size() == 3u);
    CHECK(p.layout.groups[0].rows == 3);
    CHECK(p.layout.groups[1].rows == 2);
    CHECK(p.layout.groups[2].rows == 3);
    CHECK(p.layout.groups[1].first_row == 128);
    CHECK(p.layout.groups[2].first_row == 256);
    CHECK(p.layout.total_rows == 384);
    CHECK(p.row_of == std::vector<int>{0, 256, 257, 128, 258, 1, 2, 129});
    CHECK(p.layout.m_indices[3] == -1);
    CHECK_THROWS_AS(permute_plan(std::vector<int>{0, 0}, 1, 2, 3), moesim::InternalError);  // same expert twice
    CHECK_THROWS_AS(permute_plan(std::vector<int>{0, 3}, 1, 2, 3), moesim::InternalError);  // out of range
}

TEST_CASE("permute and unpermute references", "[kernels]") {
    const int tokens = 5, top_k = 2, experts = 4, hidden = 8;
    const Routing r = random_routing(tokens, top_k, experts, 3);
    const PermutePlan p = permute_plan(r.topk_ids, tokens, top_k, experts);
    const int rb = hidden * 2;
    std::vector<std::uint8_t> x(static_cast<std::size_t>(tokens) * rb);
    std::iota(x.begin(), x.end(), 0);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(p.layout.total_rows) * rb, 0xEE);
    permute_reference(x, rb, p, top_k, out);
    for (std::size_t a = 0; a < p.row_of.size(); ++a)
        CHECK(std::equal(x.begin() + static_cast<std::ptrdiff_t>((a / top_k) * rb), x.begin() + static_cast<std::ptrdiff_t>((a / top_k + 1) * rb),
                         out.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(p.row_of[a]) * rb)));
    CHECK(std::count(out.begin(), out.end(), 0xEE) == static_cast<std::ptrdiff_t>((p.layout.total_rows - tokens * top_k) * rb));

    // Unpermute of permuted copies multiplied by nothing: Σ_j w_j · x = x (weights sum to 1),
    // within BF16 rounding; and each token matches the single-token reference exactly.
    std::vector<std::uint16_t> y(static_cast<std::size_t>(p.layout.total_rows) * hidden, 0);
    for (std::size_t a = 0; a < p.row_of.size(); ++a)
        for (int d = 0; d < hidden; ++d)
            y[static_cast<std::size_t>(p.row_of[a]) * hidden + d] = bf16_from_float(static_cast<float>(a / top_k) + 0.25f * d);
    std::vector<std::uint16_t> combined(static_cast<std::size_t>(tokens) * hidden);
    unpermute_reference(y, hidden, r.weights, p, top_k, combined);
    for (int t = 0; t < tokens; ++t) {
        for (int d = 0; d < hidden; ++d)
            CHECK(bf16_to_float(combined[static_cast<std::size_t>(t) * hidden + d]) ==
                  Approx(t + 0.25 * d).epsilon(1.0 / 128));
        const auto one = unpermute_reference_token(y, hidden, r.weights, p, top_k, t);
        CHECK(std::equal(one.begin(), one.end(), combined.begin() + t * hidden));
    }
}

TEST_CASE("random routing: distinct experts per token, weights summing to 1", "[kernels]") {
    const Routing r = random_routing(100, 8, 256, 1);
    REQUIRE(r.topk_ids.size() == 800u);
    for (int t = 0; t < 100; ++t) {
        std::vector<int> ids(r.topk_ids.begin() + t * 8, r.topk_ids.begin() + t * 8 + 8);
        std::sort(ids.begin(), ids.end());
        CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
        CHECK(std::accumulate(r.weights.begin() + t * 8, r.weights.begin() + t * 8 + 8, 0.0) == Approx(1.0));
    }
    CHECK(r.topk_ids == random_routing(100, 8, 256, 1).topk_ids);
}

TEST_CASE("permute counts and suite shapes", "[kernels]") {
    const PermuteShape s{4096, 7168, 8, 256};
    CHECK(permute_bytes(s, 2.0) == (4096.0 + 4096.0 * 8) * 7168 * 2);
    CHECK(unpermute_bytes(s) == (4096.0 * 8 + 4096.0) * 7168 * 2 + 4096.0 * 8 * 4);
    CHECK(unpermute_flops(s) == 2.0 * 4096 * 8 * 7168);
    for (const bool quick : {false, true})
        for (const PermuteShape& p : suite_shapes(quick).permute) {
            CHECK(p.hidden == 7168);
            CHECK(p.top_k == 8);
            CHECK(p.experts == 256);
        }
}
