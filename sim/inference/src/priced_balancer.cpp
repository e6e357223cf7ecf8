// The prefill balancer on the simulator's own group prices (priced_balancer.h).
#include "moesim/inference/priced_balancer.h"

#include <algorithm>
#include <cmath>

#include "moesim/common/error.h"

namespace moesim::inference {

namespace {

struct Cut {
    std::vector<PrefillPiece> pieces;
    bool feasible = true;  // every group's price ≤ the bound
};

// One greedy pass: each group but the last takes the longest run of the stream whose price
// stays ≤ bound; the last takes the rest and decides whether the bound is feasible.
Cut greedy_cut(std::span<const PrefillChunk> chunks, std::size_t groups, double bound, const GroupPrice& price) {
    Cut out;
    std::size_t c = 0;
    std::int64_t offset = 0;
    for (std::size_t g = 0; g < groups && c < chunks.size(); ++g) {
        const bool last = g + 1 == groups;
        GroupLoad load;
        while (c < chunks.size()) {
            const std::int64_t start = chunks[c].start + offset, left = chunks[c].tokens - offset;
            std::int64_t k = left;
            if (!last && left > 0) {
                GroupLoad whole = load;
                add_prefill_piece(whole, start, left);
                if (price(whole) > bound) {
                    // The most tokens that fit: lo fits (0 adds nothing), hi does not.
                    std::int64_t lo = 0, hi = left;
                    while (hi - lo > 1) {
                        const std::int64_t mid = lo + (hi - lo) / 2;
                        GroupLoad trial = load;
                        add_prefill_piece(trial, start, mid);
                        (price(trial) <= bound ? lo : hi) = mid;
                    }
                    k = lo;
                }
            }
            if (k > 0) {
                add_prefill_piece(load, start, k);
                out.pieces.push_back({c, g, start, k});
                offset += k;
            }
            if (k < left) break;  // the cut falls inside this chunk
            ++c;
            offset = 0;
        }
        if (last) out.feasible = price(load) <= bound;
    }
    return out;
}

double slowest(std::span<const PrefillPiece> pieces, std::size_t groups, const GroupPrice& price) {
    double most = 0;
    for (const GroupLoad& l : group_loads(pieces, groups))
        if (l.new_tokens > 0) most = std::max(most, price(l));
    return most;
}

}  // namespace

// The linear token cost the attention-cost balancer's first cut uses (priced_balancer.h then
// cuts on the cost model itself): w(p) = λ + p, in units of one (query, key) pair of attention.
// One group's compute at N new tokens of one sequence (N a group's even share of
// max_batch_tokens) with its own N(N+1)/2 causal pairs, t0, and with C·N more pairs, tP, give a
// pair's price b = (tP − t0)/(C·N). A token at position p attends p + 1 keys, so the prompt's N
// tokens already cost N·λ' + N(N+1)/2 pairs' worth under w(p) = λ' + p + 1: the token's own
// price is λ' = t0/b/N − (N+1)/2, and λ = λ' + 1. (λ = t0/b/N alone would count the chunk's
// attention to itself twice, once in λ and once in p: N/2 pairs too many per token.) A model
// whose cost does not grow with context balances token counts: w(p) = 1.
TokenCost linear_token_cost(const IterationCosts& costs, std::int64_t n) {
    constexpr std::int64_t kContext = 8192;
    const std::int64_t own = causal_pairs(n, 0), more = causal_pairs(n, kContext);
    const double t0 = costs.group_compute_s(Pool::Prefill, {1, n, 0, own});
    const double tp = costs.group_compute_s(Pool::Prefill, {1, n, 0, more});
    MOESIM_CHECK(std::isfinite(t0) && std::isfinite(tp) && t0 >= 0, "group compute time");
    if (!(tp > t0)) return {1, 0};
    const double pair_s = (tp - t0) / static_cast<double>(more - own);
    const double lambda = t0 / pair_s / static_cast<double>(n) - static_cast<double>(n - 1) / 2;
    return {std::max(lambda, 0.0), 1};
}

std::vector<GroupLoad> group_loads(std::span<const PrefillPiece> pieces, std::size_t groups) {
    std::vector<GroupLoad> out(groups);
    for (const PrefillPiece& p : pieces) {
        MOESIM_CHECK(p.group < groups, "group_loads: piece of a group out of range");
        add_prefill_piece(out[p.group], p.start, p.tokens);
    }
    return out;
}

std::vector<PrefillPiece> balance_prefill_priced(std::span<const PrefillChunk> chunks, std::size_t groups,
                                                 const TokenCost& seed, const GroupPrice& price) {
    std::vector<PrefillPiece> seeded = balance_prefill(chunks, groups, seed);
    if (groups == 1 || seeded.empty()) return seeded;
    const double seed_s = slowest(seeded, groups, price);
    MOESIM_CHECK(std::isfinite(seed_s) && seed_s >= 0, "balance_prefill_priced: group price");
    if (seed_s == 0) return seeded;
    Cut best = greedy_cut(chunks, groups, seed_s, price);
    if (!best.feasible) return seeded;  // a price that is not monotone: keep the linear cut
    // A bound below the least feasible one: the groups' mean at the linear cut, lowered until
    // it fails (a split adds a piece's own costs, so the mean need not be infeasible).
    std::int64_t tokens = 0;
    double sum_s = 0;
    for (const PrefillChunk& c : chunks) tokens += c.tokens;
    for (const GroupLoad& l : group_loads(seeded, groups)) sum_s += l.new_tokens > 0 ? price(l) : 0;
    double hi = seed_s, lo = sum_s / static_cast<double>(groups);
    while (lo < hi) {
        Cut c = greedy_cut(chunks, groups, lo, price);
        if (!c.feasible) break;
        hi = lo;
        best = std::move(c);
        lo *= 0.9;
    }
    // Down to a tenth of a mean token's price (and no finer than 1e-6 of the bound).
    const double tolerance = std::max(0.1 * hi * static_cast<double>(groups) / static_cast<double>(std::max<std::int64_t>(tokens, 1)),
                                      1e-6 * hi);
    while (hi - lo > tolerance) {
        const double mid = (lo + hi) / 2;
        Cut c = greedy_cut(chunks, groups, mid, price);
        if (c.feasible) {
            hi = mid;
            best = std::move(c);
        } else {
            lo = mid;
        }
    }
    return best.pieces;
}

}  // namespace moesim::inference
