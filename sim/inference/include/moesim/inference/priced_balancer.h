#pragma once
// The prefill balancer on the simulator's own prices (issue 13: "equal attention cost across
// groups within one token's cost"). balance_prefill (prefill_balancer.h) cuts the token stream
// on a linear token cost; a group's real time is not linear in its load (a GEMM's time is not
// proportional to its rows, prefill's kv_b_proj also decompresses each piece's prefix, the LM
// head takes a row per piece), so groups cut equal by that model are not equal when the
// simulation prices them. This cuts the same stream (same pieces, same order, each group one
// contiguous run) so that the slowest group, as `price` charges it, is as fast as contiguous
// cuts allow.
//
// Algorithm. Greedy filling is optimal for contiguous cuts of a stream whose group price only
// grows as tokens are added at either end: with a bound T, each group takes the longest run
// whose price stays ≤ T, the last group takes the rest, and T is feasible when the last fits.
// The linear-model cut gives a feasible T (its slowest group) and about the least one (its
// groups' mean); a root-finding on the last group's residual (its price − T: Newton, secant,
// bisection where the residual jumps) then finds the least feasible T to a tenth of a mean
// token's price, or stops at the first feasible cut whose slowest group is within one mean
// token's price of its groups' mean. Every group but the last is then within one token of T
// (one more would exceed it) and the last is ≤ T, so the groups' prices lie within about one
// token's price of each other where a prompt can be split that finely. Each group's cut is
// searched outward from the previous cut's (moved by the bound's change at its last token's
// price) and then bisected, so a cut costs a few prices a group once the bound settles; the
// linear cut is kept when no greedy cut beats it (a price that is not monotone).
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "moesim/inference/iteration_costs.h"
#include "moesim/inference/prefill_balancer.h"

namespace moesim::inference {

// Seconds of one attention group's compute at a load (IterationCosts::group_compute_s).
using GroupPrice = std::function<double(const GroupLoad&)>;

// Adds positions [start, start + tokens) of one prompt to a group's load, as the serving
// simulation charges it: one more sequence, its tokens, its prefix as context, its causal pairs.
inline void add_prefill_piece(GroupLoad& g, std::int64_t start, std::int64_t tokens) {
    ++g.sequences;
    g.new_tokens += tokens;
    g.context_tokens += start;
    g.attention_pairs += causal_pairs(tokens, start);
}

// The linear cost w(p) = λ + p of balance_prefill fitted to `costs`' prefill group compute at
// `tokens_per_group` new tokens of one prompt (priced_balancer.cpp derives it); the seed of
// balance_prefill_priced.
TokenCost linear_token_cost(const IterationCosts& costs, std::int64_t tokens_per_group);

// Each group's load under these pieces.
std::vector<GroupLoad> group_loads(std::span<const PrefillPiece> pieces, std::size_t groups);

// Cuts the chunks over `groups` ≥ 1 groups (above); `seed` is the linear cost of the first cut.
std::vector<PrefillPiece> balance_prefill_priced(std::span<const PrefillChunk> chunks, std::size_t groups,
                                                 const TokenCost& seed, const GroupPrice& price);

}  // namespace moesim::inference
