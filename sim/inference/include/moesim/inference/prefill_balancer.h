#pragma once
// The prefill load balancer (scenario key inference.prefill.balancer = "attention-cost"; issue
// 13): how one prefill iteration's new tokens are shared over an instance's attention (DP)
// groups so that no group's attention stalls the others. DeepSeek's production prefill load
// balancer balances core-attention computation and input token counts across DP groups
// (PUBLISHED.md D, DAY6); this is a model of that goal, not of their code.
//
// Algorithm. The iteration's chunks, in the order the simulation took them (FIFO), form one
// stream of tokens; chunk c computes positions [a_c, a_c + n_c) of its prompt, a_c the tokens
// already in its KV cache (prefix-cache hits and earlier chunks). The token at position p costs
//     w(p) = per_token + per_position · p
// (per_token: the GEMM-side work of a token, per_position: its attention to each earlier token,
// both in the same unit; linear_token_cost in priced_balancer.h derives their ratio from the
// cost model). With W the stream's total cost, the stream is cut at the first token boundaries where the cost so
// far reaches W·g/G, g = 1 … G−1, giving group g the contiguous piece between its cuts. So each
// group's cost is within one token's cost (the costliest token, w at the largest position) of
// W/G; a chunk crossing a cut is split, the groups computing its later pieces needing the KV
// of its earlier positions (the simulation prices that gather). A group may get no piece when
// one token costs more than W/G. Cost: O(chunks + groups), each cut found by solving the
// quadratic cost of a prefix of a chunk in closed form (then corrected by whole tokens).
// The serving simulation takes this cut as the first guess of balance_prefill_priced
// (priced_balancer.h), which cuts again on the cost model's own group prices.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace moesim::inference {

// Positions [start, start + tokens) of one prompt, computed this iteration.
struct PrefillChunk {
    std::int64_t start = 0;
    std::int64_t tokens = 0;
};

// The part of chunk `chunk` (an index into the balancer's input) that group `group` computes.
struct PrefillPiece {
    std::size_t chunk = 0;
    std::size_t group = 0;
    std::int64_t start = 0;   // position of its first token in the prompt
    std::int64_t tokens = 0;  // ≥ 1
};

// w(p) = per_token + per_position · p; both ≥ 0, not both 0.
struct TokenCost {
    double per_token = 1;
    double per_position = 0;
    // Σ w(p) over positions [start, start + tokens).
    double of(std::int64_t start, std::int64_t tokens) const;
};

// Cuts the chunks into `groups` ≥ 1 contiguous pieces of equal cost (above). Pieces come in
// stream order, so a group's pieces are adjacent and groups are non-decreasing.
std::vector<PrefillPiece> balance_prefill(std::span<const PrefillChunk> chunks, std::size_t groups,
                                          const TokenCost& cost);

}  // namespace moesim::inference
