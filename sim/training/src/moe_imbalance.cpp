// Per-layer MoE imbalance factors of a training setup (moe_imbalance.h).
#include "moesim/training/moe_imbalance.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "moesim/common/error.h"
#include "moesim/workload/moe_routing.h"

namespace moesim::training {

namespace {

LayerImbalance factors(const workload::LayerRouting& r) { return {r.rows_imbalance(), r.ib_imbalance(), r.nvlink_imbalance()}; }

// Each rank's load over the mean rank's, as LayerRouting's max/mean takes it (IB: max(send,
// receive) over the mean send; NVLink: max(receive, send) over the mean receive).
std::vector<LayerImbalance> per_rank(const workload::LayerRouting& r) {
    double rows = 0, ib = 0, nvl = 0;
    for (const auto& k : r.ranks) {
        rows += static_cast<double>(k.rows);
        ib += static_cast<double>(k.ib_send);
        nvl += static_cast<double>(k.nvlink_recv);
    }
    const double n = static_cast<double>(r.ranks.size());
    const auto rel = [&](std::int64_t a, std::int64_t b, double sum) {
        return sum > 0 ? static_cast<double>(std::max(a, b)) / (sum / n) : 1.0;
    };
    std::vector<LayerImbalance> out;
    out.reserve(r.ranks.size());
    for (const auto& k : r.ranks)
        out.push_back({rel(k.rows, k.rows, rows), rel(k.ib_send, k.ib_recv, ib), rel(k.nvlink_recv, k.nvlink_send, nvl)});
    return out;
}

// A routing draw is a pure function of the EP shape, the layer's popularity, the seed and the
// layer: a process-wide memo of its result lets the points of a sweep (moesim sweep) that share
// an EP shape draw once — the draw is most of an analytic point's time. Bounded: cleared
// when full. Results are the same with or without it, bit for bit.
struct DrawResult {
    LayerImbalance factors;
    std::vector<LayerImbalance> ranks;
};

std::string draw_key(const workload::MoeRoutingShape& sh, const std::vector<double>& pop, std::uint64_t seed, int layer) {
    std::string key;
    const auto put = [&](const void* p, std::size_t n) { key.append(static_cast<const char*>(p), n); };
    const std::int64_t ints[] = {sh.num_experts, sh.top_k, sh.ep, sh.gpus_per_node, sh.max_nodes_per_token,
                                 sh.redundant_experts, sh.tokens_per_rank, layer, static_cast<std::int64_t>(seed)};
    put(ints, sizeof ints);
    put(pop.data(), pop.size() * sizeof(double));
    return key;
}

DrawResult memoized_draw(const workload::MoeRoutingShape& shape, const std::vector<double>& pop, std::uint64_t seed,
                         int layer) {
    static std::mutex mutex;
    static std::map<std::string, DrawResult> memo;
    constexpr std::size_t kMaxEntries = 4096;
    const std::string key = draw_key(shape, pop, seed, layer);
    {
        const std::lock_guard<std::mutex> lock(mutex);
        if (const auto it = memo.find(key); it != memo.end()) return it->second;
    }
    const auto placement = workload::place_experts(shape, pop);
    const auto routing = workload::draw_layer_routing(shape, pop, placement, seed, layer, 0);
    DrawResult r{factors(routing), per_rank(routing)};
    const std::lock_guard<std::mutex> lock(mutex);
    if (memo.size() >= kMaxEntries) memo.clear();
    memo.emplace(key, r);
    return r;
}

}  // namespace

bool has_routed_experts(const workload::Layer& layer) {
    return std::any_of(layer.ops.begin(), layer.ops.end(),
                       [](const workload::Operator& op) { return op.placement == workload::ParamPlacement::Expert; });
}

int moe_layer_id(const workload::Layer& layer, long long num_layers) {
    if (layer.index < 0) return -1;
    if (layer.kind == workload::LayerKind::Mtp) return static_cast<int>(num_layers + layer.index);
    return layer.index;
}

const LayerImbalance& MoeImbalance::of(const workload::Layer& layer) const {
    static const LayerImbalance kNone;
    const int id = moe_layer_id(layer, num_layers);
    if (id < 0 || id >= static_cast<int>(by_layer.size())) return kNone;
    return by_layer[static_cast<std::size_t>(id)];
}

const std::vector<LayerImbalance>* MoeImbalance::ranks_of(const workload::Layer& layer) const {
    const int id = moe_layer_id(layer, num_layers);
    if (id < 0 || id >= static_cast<int>(draw_of_layer.size())) return nullptr;
    const int d = draw_of_layer[static_cast<std::size_t>(id)];
    if (d < 0 || d >= static_cast<int>(rank_loads.size())) return nullptr;
    return &rank_loads[static_cast<std::size_t>(d)];
}

std::string MoeImbalance::describe() const {
    if (moe_layers == 0) return "no routed experts: no MoE load imbalance";
    if (draws == 0) return "MoE load: every GPU holds all the routed experts (ep 1), no imbalance between EP ranks";
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "MoE load drawn per layer (%d draws of %lld tokens of the EP group, node-limited top-k): the "
                  "slowest EP rank sets each MoE layer's time; mean max/mean over %d MoE layers: expert rows %.4f, "
                  "IB volume %.4f, NVLink volume %.4f",
                  draws, tokens_per_draw, moe_layers, mean.rows, mean.ib, mean.nvlink);
    return buf;
}

MoeImbalance compute_moe_imbalance(const workload::Scenario& s, const workload::ModelAccounting& model) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto& p = s.parallelism;
    const auto& cfg = model.model;
    MoeImbalance out;
    const long long num_layers = cfg.num_layers;
    out.num_layers = num_layers;
    if (!cfg.is_moe()) return out;

    workload::MoeRoutingShape shape;
    shape.num_experts = static_cast<int>(cfg.n_routed_experts);
    shape.top_k = static_cast<int>(cfg.experts_per_token);
    shape.ep = p.ep;
    shape.gpus_per_node = s.cluster.gpus_per_node;
    shape.max_nodes_per_token = s.training.moe.max_nodes_per_token;
    shape.redundant_experts = s.training.moe.redundant_experts;
    const long long tokens = static_cast<long long>(p.micro_batch_size) * s.training.seq_len / p.tp;  // per EP rank
    shape.tokens_per_rank = std::max(1LL, std::min(tokens, kMaxDrawTokens / p.ep));
    out.tokens_per_draw = shape.tokens_per_rank * p.ep;
    if (p.ep % shape.ranks_per_node() != 0) return out;  // an EP group not made of whole nodes: not modelled

    const workload::ExpertPopularity popularity(s.training.moe.expert_load, shape.num_experts, s.seed, s.source_file,
                                                s.source_dir);
    std::vector<const workload::Layer*> moe_layers;
    int max_id = 0;
    for (const auto& layer : model.layers) {
        if (!has_routed_experts(layer)) continue;
        const int id = moe_layer_id(layer, num_layers);
        MOESIM_CHECK(id >= 0, "an MoE layer without an index");
        moe_layers.push_back(&layer);
        max_id = std::max(max_id, id);
    }
    out.by_layer.assign(static_cast<std::size_t>(max_id) + 1, LayerImbalance{});
    out.moe_layers = static_cast<int>(moe_layers.size());
    if (moe_layers.empty() || p.ep <= 1) return out;

    out.draw_of_layer.assign(static_cast<std::size_t>(max_id) + 1, -1);
    // Draws one layer; keeps its per-rank loads, rescaled by `shrink` (see the header).
    const auto draw = [&](int id, double shrink) {
        const auto pop = popularity.of_layer(id);
        ++out.draws;
        DrawResult drawn = memoized_draw(shape, pop, s.seed, id);
        const auto scale = [&](double r) { return 1.0 + (r - 1.0) * shrink; };
        for (auto& r : drawn.ranks) r = {scale(r.rows), scale(r.ib), scale(r.nvlink)};
        out.rank_loads.push_back(std::move(drawn.ranks));
        return drawn.factors;
    };
    if (s.training.moe.expert_load.kind == workload::ExpertLoadKind::Uniform) {
        out.ranks_exchangeable = true;
        LayerImbalance sum{0, 0, 0};
        const int n = std::min<int>(kUniformDraws, out.moe_layers);
        // (max/mean − 1) ∝ 1/√tokens: scale the drawn imbalance to the real token count.
        const double shrink = std::sqrt(static_cast<double>(shape.tokens_per_rank) / static_cast<double>(tokens));
        for (int i = 0; i < n; ++i) {
            const auto f = draw(moe_layer_id(*moe_layers[static_cast<std::size_t>(i)], num_layers), shrink);
            sum.rows += f.rows, sum.ib += f.ib, sum.nvlink += f.nvlink;
        }
        const auto scale = [&](double total) { return 1.0 + (total / n - 1.0) * shrink; };
        const LayerImbalance f{scale(sum.rows), scale(sum.ib), scale(sum.nvlink)};
        for (std::size_t i = 0; i < moe_layers.size(); ++i) {  // layer i takes draw i mod n
            const auto id = static_cast<std::size_t>(moe_layer_id(*moe_layers[i], num_layers));
            out.by_layer[id] = f;
            out.draw_of_layer[id] = static_cast<int>(i % static_cast<std::size_t>(n));
        }
    } else {
        for (const auto* layer : moe_layers) {
            const int id = moe_layer_id(*layer, num_layers);
            out.by_layer[static_cast<std::size_t>(id)] = draw(id, 1.0);
            out.draw_of_layer[static_cast<std::size_t>(id)] = out.draws - 1;
        }
    }
    LayerImbalance sum{0, 0, 0};
    for (const auto* layer : moe_layers) {
        const auto& f = out.by_layer[static_cast<std::size_t>(moe_layer_id(*layer, num_layers))];
        sum.rows += f.rows, sum.ib += f.ib, sum.nvlink += f.nvlink;
    }
    const double n = static_cast<double>(moe_layers.size());
    out.mean = {sum.rows / n, sum.ib / n, sum.nvlink / n};
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

}  // namespace moesim::training
