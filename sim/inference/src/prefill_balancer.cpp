// The prefill load balancer: equal-cost contiguous cuts of an iteration's token stream
// (prefill_balancer.h).
#include "moesim/inference/prefill_balancer.h"

#include <algorithm>
#include <cmath>

#include "moesim/common/error.h"

namespace moesim::inference {

namespace {

// The fewest tokens k ≤ limit from position `start` whose cost reaches `need` (limit when even
// all of them fall short).
std::int64_t tokens_reaching(const TokenCost& w, std::int64_t start, std::int64_t limit, double need) {
    if (need <= 0) return 0;
    if (w.of(start, limit) < need) return limit;
    // k·(per_token + per_position·(start − ½)) + per_position·k²/2 = need.
    const double b = w.per_token + w.per_position * (static_cast<double>(start) - 0.5);
    const double a = w.per_position / 2;
    const double root = a > 0 ? (-b + std::sqrt(b * b + 4 * a * need)) / (2 * a) : need / b;
    auto k = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(root)), 0, limit);
    while (k > 0 && w.of(start, k - 1) >= need) --k;
    while (k < limit && w.of(start, k) < need) ++k;
    return k;
}

}  // namespace

double TokenCost::of(std::int64_t start, std::int64_t tokens) const {
    const double n = static_cast<double>(tokens);
    return n * per_token + per_position * n * (static_cast<double>(start) + (n - 1) / 2);
}

std::vector<PrefillPiece> balance_prefill(std::span<const PrefillChunk> chunks, std::size_t groups,
                                          const TokenCost& cost) {
    MOESIM_CHECK(groups >= 1, "balance_prefill: no groups");
    MOESIM_CHECK(cost.per_token >= 0 && cost.per_position >= 0 && cost.per_token + cost.per_position > 0 &&
                     std::isfinite(cost.per_token) && std::isfinite(cost.per_position),
                 "balance_prefill: token cost");
    double total = 0;
    for (const PrefillChunk& c : chunks) {
        MOESIM_CHECK(c.start >= 0 && c.tokens >= 0, "balance_prefill: negative chunk");
        total += cost.of(c.start, c.tokens);
    }
    std::vector<PrefillPiece> out;
    double done = 0;         // cost of the stream before the cursor
    std::size_t c = 0;       // cursor: chunk c, `offset` tokens into it
    std::int64_t offset = 0;
    for (std::size_t g = 0; g < groups && c < chunks.size(); ++g) {
        const bool last = g + 1 == groups;
        const double target = total * static_cast<double>(g + 1) / static_cast<double>(groups);
        while (c < chunks.size()) {
            const PrefillChunk& ch = chunks[c];
            const std::int64_t start = ch.start + offset, left = ch.tokens - offset;
            const std::int64_t k = last ? left : tokens_reaching(cost, start, left, target - done);
            if (k > 0) out.push_back({c, g, start, k});
            done += cost.of(start, k);
            offset += k;
            if (offset == ch.tokens) {
                ++c;
                offset = 0;
            }
            if (k < left) break;  // the cut falls inside this chunk
            if (!last && done >= target) break;
        }
    }
    return out;
}

}  // namespace moesim::inference
