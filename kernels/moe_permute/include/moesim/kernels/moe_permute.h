#pragma once
// The token permutation around the MoE grouped GEMM (contiguous layout). Each token's top-k
// routing choices send a copy of its hidden row to its experts: rows are grouped by expert, in
// token order within an expert (then by choice index), and each expert's segment starts at a
// multiple of 128 rows (DeepGEMM's contiguous layout, kernels/grouped_gemm). Unpermute
// (combine) brings the k expert outputs of each token back and sums them, weighted by the
// routing weights, in FP32 in choice order, rounded once to BF16.
#include <cstdint>
#include <span>
#include <vector>

#include "moesim/kernels/grouped_gemm.h"

namespace moesim::kernels {

struct PermuteShape {
    int tokens = 0, hidden = 0, top_k = 0, experts = 0;
};

// Where every (token, choice) goes: the grouped layout and, for assignment a = token·top_k + j,
// row_of[a], the row its copy occupies.
struct PermutePlan {
    ContiguousLayout layout;
    std::vector<int> row_of;
};

// topk_ids: tokens × top_k expert ids in [0, experts); a token may not name an expert twice.
PermutePlan permute_plan(std::span<const int> topk_ids, int tokens, int top_k, int experts,
                         int alignment = kContiguousAlignment);

// Copies row t of x (row_bytes each) to row row_of[t·top_k + j] of out, for every choice j;
// rows of out that no assignment names are left as they were. Any element type: rows are bytes
// (BF16 hidden states, or E4M3 codes and, separately, their 1×128 scales).
void permute_reference(std::span<const std::uint8_t> x, int row_bytes, const PermutePlan& plan, int top_k,
                       std::span<std::uint8_t> out);

// out[t] = BF16(Σ_j weights[t·top_k + j] · y[row_of[t·top_k + j]]), FP32 products and sums in
// j order (each rounded: no fused multiply-add), y and out BF16 rows of `hidden` values.
void unpermute_reference(std::span<const std::uint16_t> y, int hidden, std::span<const float> weights,
                         const PermutePlan& plan, int top_k, std::span<std::uint16_t> out);
// The same for one token (its `hidden` BF16 values).
std::vector<std::uint16_t> unpermute_reference_token(std::span<const std::uint16_t> y, int hidden,
                                                     std::span<const float> weights, const PermutePlan& plan,
                                                     int top_k, int token);

// Routing for benchmarks: each token picks top_k distinct experts uniformly at random, with
// weights summing to 1; deterministic in the seed.
struct Routing {
    std::vector<int> topk_ids;
    std::vector<float> weights;
};
Routing random_routing(int tokens, int top_k, int experts, std::uint64_t seed);

// Analytic counts (the least traffic each needs): permute reads every token row once and writes
// every copy; unpermute reads every copy, the weights, and writes every token row; its FLOPs are
// a multiply and an add per copied value.
double permute_bytes(const PermuteShape& s, double bytes_per_value);
double unpermute_bytes(const PermuteShape& s);
double unpermute_flops(const PermuteShape& s);

}  // namespace moesim::kernels
