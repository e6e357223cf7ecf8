#include "moesim/kernels/moe_permute.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "moesim/common/error.h"
#include "moesim/kernels/fp8.h"
#include "moesim/kernels/test_data.h"

namespace moesim::kernels {

PermutePlan permute_plan(std::span<const int> topk_ids, int tokens, int top_k, int experts, int alignment) {
    MOESIM_CHECK(tokens > 0 && top_k > 0 && experts > 0, "permute_plan: tokens, top_k and experts must be positive");
    MOESIM_CHECK(topk_ids.size() == static_cast<std::size_t>(tokens) * top_k, "permute_plan: topk_ids must be tokens × top_k");
    std::vector<int> count(static_cast<std::size_t>(experts), 0), rank(topk_ids.size());
    for (int t = 0; t < tokens; ++t)
        for (int j = 0; j < top_k; ++j) {
            const std::size_t a = static_cast<std::size_t>(t) * top_k + j;
            const int e = topk_ids[a];
            MOESIM_CHECK(e >= 0 && e < experts, "permute_plan: expert id " + std::to_string(e) + " out of range");
            for (int jj = 0; jj < j; ++jj)
                MOESIM_CHECK(topk_ids[static_cast<std::size_t>(t) * top_k + jj] != e,
                             "permute_plan: token " + std::to_string(t) + " names expert " + std::to_string(e) + " twice");
            rank[a] = count[static_cast<std::size_t>(e)]++;  // assignment order = token, then choice
        }
    PermutePlan plan;
    plan.layout = contiguous_layout(count, alignment);
    plan.row_of.resize(topk_ids.size());
    for (std::size_t a = 0; a < topk_ids.size(); ++a)
        plan.row_of[a] = plan.layout.groups[static_cast<std::size_t>(topk_ids[a])].first_row + rank[a];
    return plan;
}

void permute_reference(std::span<const std::uint8_t> x, int row_bytes, const PermutePlan& plan, int top_k,
                       std::span<std::uint8_t> out) {
    MOESIM_CHECK(row_bytes > 0 && top_k > 0, "permute: row_bytes and top_k must be positive");
    const auto rb = static_cast<std::size_t>(row_bytes);
    MOESIM_CHECK(x.size() * top_k == plan.row_of.size() * rb, "permute: x must be tokens × row_bytes");
    MOESIM_CHECK(out.size() == static_cast<std::size_t>(plan.layout.total_rows) * rb, "permute: out must be total_rows × row_bytes");
    for (std::size_t a = 0; a < plan.row_of.size(); ++a)
        std::memcpy(out.data() + static_cast<std::size_t>(plan.row_of[a]) * rb, x.data() + (a / top_k) * rb, rb);
}

namespace {

void check_unpermute(std::span<const std::uint16_t> y, int hidden, std::span<const float> weights,
                     const PermutePlan& plan, int top_k) {
    MOESIM_CHECK(hidden > 0 && top_k > 0, "unpermute: hidden and top_k must be positive");
    MOESIM_CHECK(weights.size() == plan.row_of.size(), "unpermute: one weight per assignment");
    MOESIM_CHECK(y.size() == static_cast<std::size_t>(plan.layout.total_rows) * static_cast<std::size_t>(hidden),
                 "unpermute: y must be total_rows × hidden");
}

void combine_token(std::span<const std::uint16_t> y, std::size_t h, std::span<const float> weights,
                   const PermutePlan& plan, int top_k, std::size_t t, std::vector<float>& acc, std::uint16_t* out) {
    acc.assign(h, 0.0f);
    for (int j = 0; j < top_k; ++j) {
        const std::size_t a = t * static_cast<std::size_t>(top_k) + static_cast<std::size_t>(j);
        const std::uint16_t* row = y.data() + static_cast<std::size_t>(plan.row_of[a]) * h;
        const float w = weights[a];
        for (std::size_t d = 0; d < h; ++d) {
            const float product = w * bf16_to_float(row[d]);
            acc[d] = acc[d] + product;
        }
    }
    for (std::size_t d = 0; d < h; ++d) out[d] = bf16_from_float(acc[d]);
}

}  // namespace

void unpermute_reference(std::span<const std::uint16_t> y, int hidden, std::span<const float> weights,
                         const PermutePlan& plan, int top_k, std::span<std::uint16_t> out) {
    check_unpermute(y, hidden, weights, plan, top_k);
    const auto h = static_cast<std::size_t>(hidden);
    const std::size_t tokens = plan.row_of.size() / static_cast<std::size_t>(top_k);
    MOESIM_CHECK(out.size() == tokens * h, "unpermute: out must be tokens × hidden");
    std::vector<float> acc;
    for (std::size_t t = 0; t < tokens; ++t) combine_token(y, h, weights, plan, top_k, t, acc, out.data() + t * h);
}

std::vector<std::uint16_t> unpermute_reference_token(std::span<const std::uint16_t> y, int hidden,
                                                     std::span<const float> weights, const PermutePlan& plan,
                                                     int top_k, int token) {
    check_unpermute(y, hidden, weights, plan, top_k);
    MOESIM_CHECK(token >= 0 && static_cast<std::size_t>(token) < plan.row_of.size() / static_cast<std::size_t>(top_k),
                 "unpermute: token out of range");
    std::vector<std::uint16_t> out(static_cast<std::size_t>(hidden));
    std::vector<float> acc;
    combine_token(y, static_cast<std::size_t>(hidden), weights, plan, top_k, static_cast<std::size_t>(token), acc, out.data());
    return out;
}

Routing random_routing(int tokens, int top_k, int experts, std::uint64_t seed) {
    MOESIM_CHECK(tokens > 0 && top_k > 0 && top_k <= experts, "random_routing: need 0 < top_k ≤ experts");
    SplitMix64 rng(seed);
    Routing r;
    r.topk_ids.reserve(static_cast<std::size_t>(tokens) * top_k);
    r.weights.reserve(r.topk_ids.capacity());
    std::vector<int> chosen;
    std::vector<float> w;
    for (int t = 0; t < tokens; ++t) {
        chosen.clear();
        w.clear();
        float sum = 0.0f;
        while (static_cast<int>(chosen.size()) < top_k) {
            const int e = static_cast<int>(rng.next() % static_cast<std::uint64_t>(experts));
            if (std::find(chosen.begin(), chosen.end(), e) != chosen.end()) continue;
            chosen.push_back(e);
            w.push_back(static_cast<float>(0.1 + rng.uniform()));
            sum += w.back();
        }
        for (int j = 0; j < top_k; ++j) {
            r.topk_ids.push_back(chosen[static_cast<std::size_t>(j)]);
            r.weights.push_back(w[static_cast<std::size_t>(j)] / sum);
        }
    }
    return r;
}

double permute_bytes(const PermuteShape& s, double bytes_per_value) {
    return (static_cast<double>(s.tokens) + static_cast<double>(s.tokens) * s.top_k) * s.hidden * bytes_per_value;
}

double unpermute_bytes(const PermuteShape& s) {
    const double copies = static_cast<double>(s.tokens) * s.top_k;
    return (copies + s.tokens) * s.hidden * 2.0 + copies * 4.0;
}

double unpermute_flops(const PermuteShape& s) { return 2.0 * s.tokens * s.top_k * static_cast<double>(s.hidden); }

}  // namespace moesim::kernels
