// MoE routing draws (moe_routing.h): expert popularity, EPLB-style placement, per-token
// node-limited top-k routing and the per-rank rows and DeepEP volumes that follow.
#include "moesim/workload/moe_routing.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include "moesim/common/error.h"
#include "moesim/common/input_file.h"

namespace moesim::workload {

namespace {

constexpr const char* kTracePath = "/training/moe/expert_load/file";

// splitmix64 (Steele, Lea, Flood 2014): seeds the generator and mixes stream ids.
std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
    std::uint64_t x = a ^ (b * 0xD1B54A32D192ED03ull);
    return splitmix64(x);
}

// xoshiro256** (Blackman, Vigna 2018).
class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& w : s_) w = splitmix64(seed);
    }
    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
    double uniform_open() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }  // (0, 1)
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 32) * n >> 32); }
    double normal() {  // Marsaglia polar method
        for (;;) {
            const double u = 2 * uniform() - 1, v = 2 * uniform() - 1, s = u * u + v * v;
            if (s > 0 && s < 1) return u * std::sqrt(-2 * std::log(s) / s);
        }
    }
    // Gamma(shape, 1), Marsaglia & Tsang (2000); shape < 1 via Gamma(shape + 1)·U^(1/shape).
    double gamma(double shape) {
        if (shape < 1) return gamma(shape + 1) * std::pow(uniform_open(), 1.0 / shape);
        const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9 * d);
        for (;;) {
            double x, v;
            do {
                x = normal();
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            const double u = uniform_open();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v;
        }
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

std::vector<double> normalized(std::vector<double> w) {
    const double sum = std::accumulate(w.begin(), w.end(), 0.0);
    MOESIM_CHECK(sum > 0, "expert popularity sums to zero");
    for (auto& x : w) x /= sum;
    return w;
}

std::string str(long long v) { return std::to_string(v); }

// Vose's alias table over a few weights (one node's experts).
struct Alias {
    std::vector<double> prob;
    std::vector<int> alias;
    explicit Alias(const std::vector<double>& w) : prob(w.size()), alias(w.size(), 0) {
        const std::size_t n = w.size();
        const double sum = std::accumulate(w.begin(), w.end(), 0.0);
        std::vector<double> scaled(n);
        std::vector<int> small, large;
        for (std::size_t i = 0; i < n; ++i) {
            scaled[i] = sum > 0 ? w[i] * static_cast<double>(n) / sum : 1.0;
            (scaled[i] < 1 ? small : large).push_back(static_cast<int>(i));
        }
        while (!small.empty() && !large.empty()) {
            const int s = small.back(), l = large.back();
            small.pop_back();
            prob[static_cast<std::size_t>(s)] = scaled[static_cast<std::size_t>(s)];
            alias[static_cast<std::size_t>(s)] = l;
            scaled[static_cast<std::size_t>(l)] -= 1 - scaled[static_cast<std::size_t>(s)];
            if (scaled[static_cast<std::size_t>(l)] < 1) {
                large.pop_back();
                small.push_back(l);
            }
        }
        for (int i : small) prob[static_cast<std::size_t>(i)] = 1;
        for (int i : large) prob[static_cast<std::size_t>(i)] = 1;
    }
    int draw(Rng& rng) const {
        const std::uint32_t i = rng.below(static_cast<std::uint32_t>(prob.size()));
        return rng.uniform() < prob[i] ? static_cast<int>(i) : alias[i];
    }
};

}  // namespace

// ---------------------------------------------------------------------------------------
// Popularity
// ---------------------------------------------------------------------------------------

void parse_expert_trace(const std::string& text, int num_experts, const std::string& file, const std::string& json_path,
                        std::vector<int>& layers, std::vector<std::vector<double>>& counts) {
    std::map<int, std::vector<double>> by_layer;
    std::map<int, int> seen;
    std::istringstream in(text);
    std::string line;
    int line_no = 0;
    bool header = false;
    const auto fail = [&](const std::string& why) {
        throw ScenarioError(file, json_path, "expert trace line " + str(line_no) + ": " + why);
    };
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        std::string cleaned;
        for (char ch : line)
            if (ch != ' ' && ch != '\t') cleaned += ch;
        if (!header) {
            if (cleaned != "layer,expert,tokens") fail("the header must be \"layer,expert,tokens\", got \"" + line + "\"");
            header = true;
            continue;
        }
        std::istringstream fields(cleaned);
        std::string a, b, c, extra;
        if (!std::getline(fields, a, ',') || !std::getline(fields, b, ',') || !std::getline(fields, c, ',') ||
            std::getline(fields, extra, ','))
            fail("expected 3 fields layer,expert,tokens, got \"" + line + "\"");
        long long layer = 0, expert = 0;
        double tokens = 0;
        try {
            std::size_t pa = 0, pb = 0, pc = 0;
            layer = std::stoll(a, &pa);
            expert = std::stoll(b, &pb);
            tokens = std::stod(c, &pc);
            if (pa != a.size() || pb != b.size() || pc != c.size()) throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
            fail("not numbers: \"" + line + "\"");
        }
        if (layer < 0 || layer > 1000000) fail("layer " + str(layer) + " out of range");
        if (expert < 0) fail("negative expert " + str(expert));
        // Before anything is sized by it (a fuzzed id of 2^40 asked for terabytes).
        if (expert >= num_experts)
            fail("expert " + str(expert) + " out of range: the model has " + str(num_experts) +
                 " routed experts (ids 0.." + str(num_experts - 1) + ")");
        if (!(tokens >= 0) || !std::isfinite(tokens)) fail("tokens must be a finite number >= 0, got " + c);
        auto& v = by_layer[static_cast<int>(layer)];
        if (expert >= static_cast<long long>(v.size())) v.resize(static_cast<std::size_t>(expert) + 1, -1.0);
        if (v[static_cast<std::size_t>(expert)] >= 0)
            fail("layer " + str(layer) + " lists expert " + str(expert) + " twice");
        v[static_cast<std::size_t>(expert)] = tokens;
        ++seen[static_cast<int>(layer)];
    }
    if (!header) throw ScenarioError(file, json_path, "expert trace is empty (expected the header \"layer,expert,tokens\")");
    if (by_layer.empty()) throw ScenarioError(file, json_path, "expert trace has no rows");
    layers.clear();
    counts.clear();
    for (auto& [layer, v] : by_layer) {
        const int listed = seen[layer];
        if (static_cast<int>(v.size()) != num_experts || listed != num_experts)
            throw ScenarioError(file, json_path,
                                "expert trace layer " + str(layer) + " has " + str(listed) + " experts (ids 0.." +
                                    str(static_cast<long long>(v.size()) - 1) + "), the model has " + str(num_experts) +
                                    " routed experts");
        if (std::accumulate(v.begin(), v.end(), 0.0) <= 0)
            throw ScenarioError(file, json_path, "expert trace layer " + str(layer) + " routes no tokens");
        layers.push_back(layer);
        counts.push_back(v);
    }
}

ExpertPopularity::ExpertPopularity(const ExpertLoad& load, int num_experts, std::uint64_t seed,
                                   const std::string& source_file, const std::string& source_dir)
    : load_(load), num_experts_(num_experts), seed_(seed) {
    MOESIM_CHECK(num_experts > 0 && num_experts <= 65535, "expert count");
    if (load.kind != ExpertLoadKind::Trace) return;
    const ScenarioInput trace =
        read_scenario_input(load.file, source_dir, source_file, kTracePath, "expert trace", kMaxTraceBytes);
    parse_expert_trace(trace.text, num_experts, source_file, kTracePath, trace_layers_, trace_counts_);
}

std::vector<double> ExpertPopularity::of_layer(int layer) const {
    const auto E = static_cast<std::size_t>(num_experts_);
    Rng rng(mix(mix(seed_, 0x706F70756C6172ull /* "popular" */), static_cast<std::uint64_t>(layer)));
    switch (load_.kind) {
        case ExpertLoadKind::Uniform:
            return std::vector<double>(E, 1.0 / static_cast<double>(E));
        case ExpertLoadKind::Zipf: {
            std::vector<int> order(E);
            std::iota(order.begin(), order.end(), 0);
            for (std::size_t i = E - 1; i > 0; --i) std::swap(order[i], order[rng.below(static_cast<std::uint32_t>(i + 1))]);
            std::vector<double> w(E);
            for (std::size_t r = 0; r < E; ++r)
                w[static_cast<std::size_t>(order[r])] = std::pow(static_cast<double>(r + 1), -load_.alpha);
            return normalized(std::move(w));
        }
        case ExpertLoadKind::Dirichlet: {
            std::vector<double> w(E);
            for (auto& x : w) x = rng.gamma(load_.concentration);
            // Tiny concentrations can underflow every draw; fall back to one hot expert.
            if (std::accumulate(w.begin(), w.end(), 0.0) <= 0) w[rng.below(static_cast<std::uint32_t>(E))] = 1;
            return normalized(std::move(w));
        }
        case ExpertLoadKind::Trace: {
            const auto it = std::lower_bound(trace_layers_.begin(), trace_layers_.end(), layer);
            if (it != trace_layers_.end() && *it == layer)
                return normalized(trace_counts_[static_cast<std::size_t>(it - trace_layers_.begin())]);
            std::vector<double> sum(E, 0.0);
            for (const auto& c : trace_counts_)
                for (std::size_t e = 0; e < E; ++e) sum[e] += c[e];
            return normalized(std::move(sum));
        }
        default:
            MOESIM_CHECK(false, "expert load kind");
            return {};
    }
}

// ---------------------------------------------------------------------------------------
// Placement
// ---------------------------------------------------------------------------------------

ExpertPlacement place_experts(const MoeRoutingShape& sh, const std::vector<double>& p) {
    const int E = sh.num_experts, ep = sh.ep, g = sh.ranks_per_node(), N = sh.nodes();
    MOESIM_CHECK(E > 0 && ep >= 1 && ep % g == 0 && sh.redundant_experts >= 0, "MoE routing shape");
    MOESIM_CHECK((E + sh.redundant_experts) % ep == 0, "experts plus replicas must fill the EP ranks evenly");
    MOESIM_CHECK(static_cast<int>(p.size()) == E, "popularity size");
    ExpertPlacement pl;
    pl.slots_per_rank = (E + sh.redundant_experts) / ep;
    pl.rank_slots.assign(static_cast<std::size_t>(ep), {});
    pl.copies.assign(static_cast<std::size_t>(E), {});
    pl.home_node.assign(static_cast<std::size_t>(E), 0);
    // Originals, contiguous: rank r holds experts [E·r/ep, E·(r+1)/ep).
    for (int r = 0; r < ep; ++r) {
        const int lo = static_cast<int>(static_cast<long long>(E) * r / ep), hi = static_cast<int>(static_cast<long long>(E) * (r + 1) / ep);
        MOESIM_CHECK(hi - lo <= pl.slots_per_rank, "too few slots for the experts");
        for (int e = lo; e < hi; ++e) {
            pl.copies[static_cast<std::size_t>(e)].push_back(r * pl.slots_per_rank + static_cast<int>(pl.rank_slots[static_cast<std::size_t>(r)].size()));
            pl.rank_slots[static_cast<std::size_t>(r)].push_back(e);
            pl.home_node[static_cast<std::size_t>(e)] = r / g;
        }
    }
    // Replicas, per node (deepseek-ai/EPLB, eplb.py: replicate_experts adds each replica to
    // the expert with the largest load per copy; balanced_packing then fills the least
    // loaded GPU). Hierarchical: a node's free slots replicate that node's own experts.
    for (int n = 0; n < N; ++n) {
        std::vector<int> experts;
        int free_slots = 0;
        for (int r = n * g; r < (n + 1) * g; ++r) {
            for (int e : pl.rank_slots[static_cast<std::size_t>(r)]) experts.push_back(e);
            free_slots += pl.slots_per_rank - static_cast<int>(pl.rank_slots[static_cast<std::size_t>(r)].size());
        }
        std::vector<double> rank_load(static_cast<std::size_t>(g), 0.0);
        const auto per_copy = [&](int e) { return p[static_cast<std::size_t>(e)] / static_cast<double>(pl.copies[static_cast<std::size_t>(e)].size()); };
        for (int i = 0; i < free_slots; ++i) {
            int hot = experts.front();
            for (int e : experts)
                if (per_copy(e) > per_copy(hot)) hot = e;
            int best = -1;
            for (int j = 0; j < g; ++j) {
                const int r = n * g + j;
                if (static_cast<int>(pl.rank_slots[static_cast<std::size_t>(r)].size()) >= pl.slots_per_rank) continue;
                if (best < 0 || rank_load[static_cast<std::size_t>(j)] < rank_load[static_cast<std::size_t>(best)]) best = j;
            }
            MOESIM_CHECK(best >= 0, "no free slot for a replica");
            const int r = n * g + best;
            pl.copies[static_cast<std::size_t>(hot)].push_back(r * pl.slots_per_rank + static_cast<int>(pl.rank_slots[static_cast<std::size_t>(r)].size()));
            pl.rank_slots[static_cast<std::size_t>(r)].push_back(hot);
            // Rank loads with the current copy counts (for the next replica's destination).
            std::fill(rank_load.begin(), rank_load.end(), 0.0);
            for (int j = 0; j < g; ++j)
                for (int e : pl.rank_slots[static_cast<std::size_t>(n * g + j)]) rank_load[static_cast<std::size_t>(j)] += per_copy(e);
        }
    }
    return pl;
}

// ---------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------

namespace {

double max_over_mean(const std::vector<RankRouting>& ranks, std::int64_t RankRouting::*a, std::int64_t RankRouting::*b) {
    double mx = 0, sum = 0;
    for (const auto& r : ranks) {
        const auto v = static_cast<double>(std::max(r.*a, r.*b));
        mx = std::max(mx, v);
        sum += static_cast<double>(r.*a);
    }
    if (sum <= 0) return 1.0;
    return mx / (sum / static_cast<double>(ranks.size()));
}

}  // namespace

double LayerRouting::rows_imbalance() const { return max_over_mean(ranks, &RankRouting::rows, &RankRouting::rows); }
double LayerRouting::ib_imbalance() const { return max_over_mean(ranks, &RankRouting::ib_send, &RankRouting::ib_recv); }
double LayerRouting::nvlink_imbalance() const {
    return max_over_mean(ranks, &RankRouting::nvlink_recv, &RankRouting::nvlink_send);
}

std::vector<double> expert_rows(const LayerRouting& routing, const ExpertPlacement& placement) {
    std::vector<double> rows(placement.copies.size(), 0.0);
    MOESIM_CHECK(routing.ranks.size() == placement.rank_slots.size(), "a routing and its placement");
    for (std::size_t r = 0; r < routing.ranks.size(); ++r) {
        const auto& slots = placement.rank_slots[r];
        for (std::size_t s = 0; s < slots.size(); ++s)
            rows[static_cast<std::size_t>(slots[s])] += static_cast<double>(routing.ranks[r].slot_rows[s]);
    }
    return rows;
}

LayerRouting draw_layer_routing(const MoeRoutingShape& sh, const std::vector<double>& popularity,
                                const ExpertPlacement& pl, std::uint64_t seed, int layer, std::int64_t micro_batch,
                                const RoutingDrawOptions& options) {
    const int E = sh.num_experts, ep = sh.ep, g = sh.ranks_per_node(), N = sh.nodes(), k = sh.top_k;
    MOESIM_CHECK(k >= 1 && k <= E && k <= 64, "top-k must be in 1..min(E, 64)");
    MOESIM_CHECK(static_cast<int>(popularity.size()) == E && static_cast<int>(pl.copies.size()) == E, "routing inputs");
    MOESIM_CHECK(sh.tokens_per_rank >= 0, "tokens per rank");
    const int M = sh.max_nodes_per_token <= 0 ? N : std::min(sh.max_nodes_per_token, N);
    const bool limited = M < N;
    // Keep every expert reachable: a popularity of exactly zero (a trace) gets a tiny floor,
    // so a token can always find k distinct experts in its nodes.
    std::vector<double> p = popularity;
    for (auto& x : p) x = std::max(x, 1e-12 / E);

    // Per node: its experts, their weights, an alias table.
    std::vector<std::vector<int>> node_experts(static_cast<std::size_t>(N));
    for (int e = 0; e < E; ++e) node_experts[static_cast<std::size_t>(pl.home_node[static_cast<std::size_t>(e)])].push_back(e);
    std::vector<Alias> alias;
    std::vector<double> node_weight(static_cast<std::size_t>(N), 0.0);
    for (int n = 0; n < N; ++n) {
        std::vector<double> w;
        for (int e : node_experts[static_cast<std::size_t>(n)]) w.push_back(p[static_cast<std::size_t>(e)]);
        MOESIM_CHECK(!w.empty(), "a node of the EP group holds no expert");
        node_weight[static_cast<std::size_t>(n)] = std::accumulate(w.begin(), w.end(), 0.0);
        alias.emplace_back(w);
    }
    MOESIM_CHECK(!limited || std::min(M, k) <= N, "node limit");
    // With M nodes the token needs k experts among them: guaranteed when every node holds
    // at least ceil(k / min(M, k)) experts.
    for (const auto& ne : node_experts)
        MOESIM_CHECK(!limited || static_cast<int>(ne.size()) * std::min(M, k) >= k, "too few experts per node for top-k");

    LayerRouting out;
    out.tokens = sh.tokens_per_rank * ep;
    out.ranks.assign(static_cast<std::size_t>(ep), {});
    for (auto& r : out.ranks) r.slot_rows.assign(static_cast<std::size_t>(pl.slots_per_rank), 0);
    if (options.keep_token_experts) out.token_experts.reserve(static_cast<std::size_t>(out.tokens * k));
    std::vector<std::uint32_t> next_copy(static_cast<std::size_t>(E), 0);

    Rng rng(mix(mix(mix(seed, 0x726F757465ull /* "route" */), static_cast<std::uint64_t>(layer)),
                static_cast<std::uint64_t>(micro_batch)));
    std::vector<int> picked(static_cast<std::size_t>(k)), nodes(static_cast<std::size_t>(N));
    std::vector<double> remaining(static_cast<std::size_t>(N));
    std::vector<char> node_used(static_cast<std::size_t>(N));
    std::vector<int> target_ranks;
    target_ranks.reserve(static_cast<std::size_t>(k));

    const auto is_picked = [&](int e, int count) {
        for (int i = 0; i < count; ++i)
            if (picked[static_cast<std::size_t>(i)] == e) return true;
        return false;
    };
    // An expert of node n, ∝ p among those not yet picked (alias draw with rejection; an
    // exact scan when the unpicked ones carry little of the node's weight).
    const auto pick_in_node = [&](int n, int count) {
        for (int attempt = 0; attempt < 16; ++attempt) {
            const int e = node_experts[static_cast<std::size_t>(n)][static_cast<std::size_t>(alias[static_cast<std::size_t>(n)].draw(rng))];
            if (!is_picked(e, count)) return e;
        }
        double total = 0;
        for (int e : node_experts[static_cast<std::size_t>(n)])
            if (!is_picked(e, count)) total += p[static_cast<std::size_t>(e)];
        double u = rng.uniform() * total;
        int last = -1;
        for (int e : node_experts[static_cast<std::size_t>(n)]) {
            if (is_picked(e, count)) continue;
            last = e;
            u -= p[static_cast<std::size_t>(e)];
            if (u < 0) return e;
        }
        MOESIM_CHECK(last >= 0, "no expert left in the node");
        return last;
    };
    // A node ∝ `remaining` among the first `count` entries of `nodes`.
    const auto pick_node = [&](int count) {
        double total = 0;
        for (int i = 0; i < count; ++i) total += remaining[static_cast<std::size_t>(nodes[static_cast<std::size_t>(i)])];
        double u = rng.uniform() * total;
        int last = 0;
        for (int i = 0; i < count; ++i) {
            const double w = remaining[static_cast<std::size_t>(nodes[static_cast<std::size_t>(i)])];
            if (w <= 0) continue;
            last = i;
            u -= w;
            if (u < 0) return i;
        }
        return last;
    };

    for (int src = 0; src < ep; ++src) {
        const int src_node = src / g, src_local = src % g;
        for (std::int64_t t = 0; t < sh.tokens_per_rank; ++t) {
            for (int n = 0; n < N; ++n) {
                nodes[static_cast<std::size_t>(n)] = n;
                remaining[static_cast<std::size_t>(n)] = node_weight[static_cast<std::size_t>(n)];
            }
            int count = 0, pool = N;
            if (limited) {
                // Top min(M, k) nodes, each with its best expert.
                const int m = std::min(M, k);
                pool = 0;
                for (int i = 0; i < m; ++i) {
                    // Draw among nodes[i..N) ∝ remaining; the chosen one moves to position i.
                    double total = 0;
                    for (int q = i; q < N; ++q) total += remaining[static_cast<std::size_t>(nodes[static_cast<std::size_t>(q)])];
                    double u = rng.uniform() * total;
                    int chosen = N - 1;
                    for (int q = i; q < N; ++q) {
                        u -= remaining[static_cast<std::size_t>(nodes[static_cast<std::size_t>(q)])];
                        if (u < 0) {
                            chosen = q;
                            break;
                        }
                    }
                    std::swap(nodes[static_cast<std::size_t>(i)], nodes[static_cast<std::size_t>(chosen)]);
                    const int n = nodes[static_cast<std::size_t>(i)];
                    const int e = pick_in_node(n, count);
                    picked[static_cast<std::size_t>(count++)] = e;
                    remaining[static_cast<std::size_t>(n)] -= p[static_cast<std::size_t>(e)];
                    ++pool;
                }
            }
            while (count < k) {
                const int i = pick_node(pool);
                const int n = nodes[static_cast<std::size_t>(i)];
                const int e = pick_in_node(n, count);
                picked[static_cast<std::size_t>(count++)] = e;
                remaining[static_cast<std::size_t>(n)] = std::max(0.0, remaining[static_cast<std::size_t>(n)] - p[static_cast<std::size_t>(e)]);
            }
            // Bookkeeping: rows on the chosen copy, distinct target ranks and nodes.
            std::fill(node_used.begin(), node_used.end(), 0);
            target_ranks.clear();
            int nodes_touched = 0;
            for (int i = 0; i < k; ++i) {
                const int e = picked[static_cast<std::size_t>(i)];
                if (options.keep_token_experts) out.token_experts.push_back(static_cast<std::uint16_t>(e));
                const auto& copies = pl.copies[static_cast<std::size_t>(e)];
                const int slot_id = copies.size() == 1 ? copies[0] : copies[next_copy[static_cast<std::size_t>(e)]++ % copies.size()];
                const int r = slot_id / pl.slots_per_rank;
                auto& dst = out.ranks[static_cast<std::size_t>(r)];
                ++dst.slot_rows[static_cast<std::size_t>(slot_id % pl.slots_per_rank)];
                ++dst.rows;
                if (std::find(target_ranks.begin(), target_ranks.end(), r) == target_ranks.end()) target_ranks.push_back(r);
                const int n = r / g;
                if (!node_used[static_cast<std::size_t>(n)]) {
                    node_used[static_cast<std::size_t>(n)] = 1;
                    ++nodes_touched;
                    if (n != src_node) {
                        ++out.ranks[static_cast<std::size_t>(src)].ib_send;
                        ++out.ranks[static_cast<std::size_t>(n * g + src_local)].ib_recv;
                    }
                }
            }
            out.max_nodes_per_token_seen = std::max(out.max_nodes_per_token_seen, nodes_touched);
            for (int r : target_ranks) {
                const int n = r / g;
                const int forwarder = n == src_node ? src : n * g + src_local;
                ++out.ranks[static_cast<std::size_t>(forwarder)].nvlink_send;
                ++out.ranks[static_cast<std::size_t>(r)].nvlink_recv;
            }
        }
    }
    return out;
}

}  // namespace moesim::workload
