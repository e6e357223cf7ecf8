// The prefill balancer on the simulator's own group prices (priced_balancer.h).
#include "moesim/inference/priced_balancer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "moesim/common/error.h"

namespace moesim::inference {

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

// The token stream as positions [0, total): the load of a contiguous run [a, b) in O(log
// chunks), from prefix sums of whole chunks' loads (integer sums: the very load that adding the
// run's pieces one by one gives).
class Stream {
public:
    Stream(std::span<const PrefillChunk> chunks, const GroupPrice& price)
        : chunks_(chunks), price_(price), first_(chunks.size() + 1), whole_(chunks.size() + 1) {
        for (std::size_t c = 0; c < chunks.size(); ++c) {
            first_[c + 1] = first_[c] + chunks[c].tokens;
            whole_[c + 1] = whole_[c];
            if (chunks[c].tokens > 0) add_prefill_piece(whole_[c + 1], chunks[c].start, chunks[c].tokens);
        }
    }
    std::int64_t total() const { return first_.back(); }

    // The price of run [a, b).
    double price(std::int64_t a, std::int64_t b) const {
        if (b <= a) return 0;
        const double t = price_(load(a, b));
        MOESIM_CHECK(std::isfinite(t) && t >= 0, "balance_prefill_priced: group price");
        return t;
    }

    // The pieces of group `group`'s run [a, b), in stream order.
    void pieces(std::int64_t a, std::int64_t b, std::size_t group, std::vector<PrefillPiece>& out) const {
        while (a < b) {
            const std::size_t c = chunk_of(a);
            const std::int64_t end = std::min(b, first_[c + 1]);
            out.push_back({c, group, chunks_[c].start + a - first_[c], end - a});
            a = end;
        }
    }

private:
    GroupLoad load(std::int64_t a, std::int64_t b) const {
        const std::size_t ca = chunk_of(a), cb = chunk_of(b - 1);
        GroupLoad g;
        if (ca == cb) {
            add_prefill_piece(g, chunks_[ca].start + a - first_[ca], b - a);
            return g;
        }
        g = whole_[cb];
        g.sequences -= whole_[ca + 1].sequences;
        g.new_tokens -= whole_[ca + 1].new_tokens;
        g.context_tokens -= whole_[ca + 1].context_tokens;
        g.attention_pairs -= whole_[ca + 1].attention_pairs;
        add_prefill_piece(g, chunks_[ca].start + a - first_[ca], first_[ca + 1] - a);
        add_prefill_piece(g, chunks_[cb].start, b - first_[cb]);
        return g;
    }
    // The chunk holding position p (chunks of no tokens hold none).
    std::size_t chunk_of(std::int64_t p) const {
        return static_cast<std::size_t>(std::upper_bound(first_.begin(), first_.end(), p) - first_.begin()) - 1;
    }

    std::span<const PrefillChunk> chunks_;
    const GroupPrice& price_;
    std::vector<std::int64_t> first_;  // first_[c]: stream position of chunk c's first token
    std::vector<GroupLoad> whole_;     // whole_[c]: chunks [0, c) whole
};

// A group's run under a bound: its length, its price, and its price with one more token.
struct Run {
    std::int64_t start = -1;  // stream position (-1: no run)
    std::int64_t tokens = 0;
    double price_s = 0, next_s = kNever;  // kNever: the run reaches the stream's end
};

// The longest run from `a` whose price stays ≤ bound, from `guess` tokens: each next try is
// where the price's secant through the last two tries (at first `token_s` a token) reaches the
// bound, one token past the last try at least, in the bracket [longest fitting, shortest not]
// (a bisection when two tries have not halved it), so a guess off by a few tokens costs about
// three prices; the shortest run that does not fit is one token longer when it returns.
// `fits`, `over_by_one`: runs from `a` known to fit this bound, and one token shorter than a
// run known not to (earlier cuts'), or null. [least, most]: the tokens the run ends within
// (from cuts at a lower and a higher bound: a greedy cut's ends only move right as its bound
// rises, for a price that grows with its run); when `most` decides it, the longer run's price
// is not computed (next_s NaN).
Run longest_run(const Stream& s, std::int64_t a, std::int64_t guess, double bound, double token_s,
                const Run* fits, const Run* over_by_one, std::int64_t least, std::int64_t most) {
    const std::int64_t room = s.total() - a;
    Run fit;                       // fits (0 tokens add nothing)
    fit.start = a;
    std::int64_t over = room + 1;  // does not fit (past the stream: never priced)
    double over_s = kNever;
    if (fits) {
        fit.tokens = fits->tokens;
        fit.price_s = fits->price_s;
    }
    if (over_by_one && over_by_one->tokens < room) {
        over = over_by_one->tokens + 1;
        over_s = over_by_one->next_s;
    }
    if (most + 1 < over && most >= fit.tokens) {
        over = most + 1;
        over_s = std::numeric_limits<double>::quiet_NaN();
    }
    if (over - fit.tokens <= 1) {
        fit.next_s = over_s;
        return fit;
    }
    std::int64_t x = std::clamp(guess, std::min(std::max(fit.tokens + 1, least), over - 1), over - 1), before = fit.tokens;
    double before_s = fit.price_s, width_before = static_cast<double>(over - fit.tokens);
    for (int n = 0;; ++n) {
        const double t = s.price(a, a + x);
        if (t <= bound) {
            fit.tokens = x;
            fit.price_s = t;
        } else {
            over = x;
            over_s = t;
        }
        if (over - fit.tokens <= 1) break;
        const double secant_s = (t - before_s) / static_cast<double>(x - before);
        const double slope_s = secant_s > 0 ? secant_s : token_s;
        std::int64_t next = fit.tokens + (over - fit.tokens) / 2;
        if (slope_s > 0) {
            const double reach = std::floor(static_cast<double>(x) + (bound - t) / slope_s);
            const double least_step = over > room && t <= bound && x > before ? static_cast<double>(x - before) : 1.0;
            next = t <= bound ? static_cast<std::int64_t>(std::min(std::max(reach, static_cast<double>(x) + least_step), 9e15))
                              : static_cast<std::int64_t>(std::max(std::min(reach, static_cast<double>(x - 1)), 0.0));
        }
        const double width = static_cast<double>(over - fit.tokens);
        if (over <= room && n % 2 == 1) {
            if (2 * width > width_before) next = fit.tokens + (over - fit.tokens) / 2;
            width_before = width;
        }
        before = x;
        before_s = t;
        x = std::clamp(next, fit.tokens + 1, over - 1);
    }
    fit.next_s = over_s;
    return fit;
}

// One greedy cut: each group but the last takes the longest run whose price stays ≤ the bound,
// the last takes the rest. The same cut comes out of any bound in [slowest of the first groups,
// fastest of their one-token-longer runs): `steady_s` is the top of that range.
struct Cut {
    double bound = 0;
    std::vector<Run> runs;  // one a group
    double last_s = 0;      // the last group's price
    double first_slowest_s = 0, steady_s = kNever;
    bool feasible() const { return last_s <= bound; }
    double slowest_s() const { return std::max(first_slowest_s, last_s); }
};

// The greedy cut at `bound`, each group's search starting from `prior`'s run length moved by
// the bound's change at that run's last token's price. `below`, `above`: cuts at bounds below
// and above this one, or null; a group starting where it started in one of them knows that
// its run there fits (below) or that one token more does not (above), so a group whose run
// is the same in both costs no price.
Cut greedy_cut(const Stream& s, std::size_t groups, double bound, const Cut& prior, const Cut* below, const Cut* above) {
    Cut out;
    out.bound = bound;
    out.runs.resize(groups);
    const auto same_start = [&](const Cut* c, std::size_t g, std::int64_t a) {
        return c && c->runs[g].start == a ? &c->runs[g] : nullptr;
    };
    std::int64_t a = 0;
    for (std::size_t g = 0; g + 1 < groups && a < s.total(); ++g) {
        const Run& before = prior.runs[g];
        double guess = static_cast<double>(before.tokens);
        double token_s = before.next_s - before.price_s;
        if (!std::isfinite(token_s) && before.tokens > 0) token_s = before.price_s / static_cast<double>(before.tokens);
        if (std::isfinite(token_s) && token_s > 0) guess += (bound - prior.bound) / token_s;
        guess = std::clamp(std::round(guess), 1.0, static_cast<double>(s.total() - a));
        const auto end = [&](const Cut* c) { return c && c->runs[g].start >= 0 ? c->runs[g].start + c->runs[g].tokens - a : -1; };
        const std::int64_t least = end(below), above_end = end(above);
        const std::int64_t most = above_end >= 0 ? above_end : s.total() - a;
        out.runs[g] = longest_run(s, a, static_cast<std::int64_t>(guess), bound, token_s, same_start(below, g, a),
                                  same_start(above, g, a), least, most);
        a += out.runs[g].tokens;
        out.first_slowest_s = std::max(out.first_slowest_s, out.runs[g].price_s);
        // a run whose longer price was not computed settles only this bound
        out.steady_s = std::min(out.steady_s, std::isnan(out.runs[g].next_s) ? bound : out.runs[g].next_s);
    }
    Run& last = out.runs[groups - 1];
    last.start = a;
    last.tokens = s.total() - a;
    if (const Run* known = same_start(below, groups - 1, a))
        out.last_s = below->last_s;
    else if ((known = same_start(above, groups - 1, a)))
        out.last_s = above->last_s;
    else
        out.last_s = s.price(a, s.total());
    return out;
}

std::vector<PrefillPiece> pieces_of(const Stream& s, const Cut& cut) {
    std::vector<PrefillPiece> out;
    std::int64_t a = 0;
    for (std::size_t g = 0; g < cut.runs.size(); ++g) {
        s.pieces(a, a + cut.runs[g].tokens, g, out);
        a += cut.runs[g].tokens;
    }
    return out;
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
    const Stream stream(chunks, price);
    // The linear cut: its slowest group (a bound the greedy cut meets when the price is
    // monotone), its groups' mean (about the least bound: the groups' prices sum to about the
    // same at any cut), and its runs, scaled to the mean at their mean token's price, as the
    // first guesses.
    Cut prior;
    prior.runs.resize(groups);
    double seed_s = 0, sum_s = 0;
    const std::vector<GroupLoad> loads = group_loads(seeded, groups);
    std::vector<double> seed_prices(groups, 0.0);
    {
        std::int64_t a = 0;
        for (std::size_t g = 0; g < groups; ++g) {
            seed_prices[g] = stream.price(a, a + loads[g].new_tokens);
            a += loads[g].new_tokens;
            seed_s = std::max(seed_s, seed_prices[g]);
            sum_s += seed_prices[g];
        }
    }
    if (seed_s == 0) return seeded;
    const double mean_s = sum_s / static_cast<double>(groups);
    prior.bound = mean_s;
    for (std::size_t g = 0; g < groups; ++g)
        if (seed_prices[g] > 0) {
            prior.runs[g].tokens = std::llround(static_cast<double>(loads[g].new_tokens) * mean_s / seed_prices[g]);
            prior.runs[g].price_s = mean_s;  // at the seed's mean token price (next_s: unknown)
        }
    // The least feasible bound T* to a tenth of a mean token's price (no finer than 1e-6 of it).
    const double tolerance = std::max(0.1 * sum_s / static_cast<double>(stream.total()), 1e-6 * seed_s);
    // Feasibility only grows with the bound. A cut checked at T settles more than T: it is the
    // cut of every bound up to its steady_s, so when feasible its slowest group is a feasible
    // bound (hi), and when not every bound below min(steady_s, last group's price) fails (lo),
    // and the last group's price itself is feasible if below steady_s. Between, root-finding on
    // the last group's residual r(T) = its price − T, which falls about groups·ΔT as T rises
    // by ΔT (each other group takes ΔT of price more, all from the last): a Newton step on that
    // slope, then secant steps on the bracket, each pushed half a tolerance past its estimate
    // so that the bracket closes from both sides, and a bisection when the bracket has not
    // halved in two steps. seed_s is feasible for a monotone price but not yet checked.
    // Done early when a feasible cut's slowest group is within a mean token's price of its
    // groups' mean: what the issue asks, reached before T* is pinned down.
    const double token_s = sum_s / static_cast<double>(stream.total());
    const auto good_enough = [&](const Cut& c) {
        double total_s = c.last_s;
        for (std::size_t g = 0; g + 1 < groups; ++g) total_s += c.runs[g].price_s;
        return c.slowest_s() - total_s / static_cast<double>(groups) <= token_s;
    };
    double lo = 0, hi = seed_s, lo_r = 0, hi_r = 0, last_t = 0, last_r = 0;
    bool have_lo = false, have_hi = false;
    std::optional<Cut> best, below;  // the last cuts checked feasible and infeasible
    double t = std::min(mean_s, seed_s), width_at_secant = 0;
    int secant_steps = 0;
    for (int step = 0; step < 100 && hi - lo > tolerance; ++step) {
        Cut cut = greedy_cut(stream, groups, t, prior, below ? &*below : nullptr, best ? &*best : nullptr);
        const double r = cut.last_s - t;
        if (cut.feasible()) {
            hi = cut.slowest_s();
            hi_r = r;
            have_hi = true;
        } else {
            lo = std::max(lo, std::min(cut.steady_s, cut.last_s));
            lo_r = r;
            have_lo = true;
            if (cut.last_s < cut.steady_s && cut.last_s < hi) {
                // the same cut is feasible at its last group's price: the bracket closes
                cut.bound = cut.last_s;
                hi = lo = cut.last_s;
            }
        }
        (cut.feasible() ? best : below) = cut;
        prior = std::move(cut);
        if (hi - lo <= tolerance || (best && good_enough(*best))) break;
        double next;
        if (have_lo && have_hi) {
            next = lo + lo_r * (hi - lo) / (lo_r - hi_r);  // secant
            if (secant_steps++ % 2 == 0) {
                width_at_secant = hi - lo;
            } else if (hi - lo > 0.5 * width_at_secant) {
                next = (lo + hi) / 2;
                width_at_secant = hi - lo;
            }
        } else if (step > 0 && (last_r - r) * (t - last_t) > 0) {
            next = t + r * (t - last_t) / (last_r - r);  // secant through the last two, one side
        } else {
            next = t + r / static_cast<double>(groups);  // Newton's
        }
        last_t = t;
        last_r = r;
        next += prior.feasible() ? -tolerance / 2 : tolerance / 2;
        t = std::clamp(next, lo + tolerance / 4, hi - tolerance / 4);
    }
    if (!best) {
        // No bound below the linear cut's slowest group checked feasible: check that one.
        Cut cut = greedy_cut(stream, groups, seed_s, prior, below ? &*below : nullptr, nullptr);
        if (!cut.feasible()) return seeded;  // a price that is not monotone: keep the linear cut
        best = std::move(cut);
    }
    return pieces_of(stream, *best);
}

}  // namespace moesim::inference
