// One layer of a serving iteration, priced by the calibrated cost functions (the model is
// written down in operator_costs.h).
#include "layer_pricer.h"
#include "pool_plan.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <functional>
#include <limits>
#include <tuple>

#include "moesim/common/error.h"
#include "moesim/hw/costs.h"
#include "moesim/network/ep_exchange.h"

namespace moesim::inference::detail {

using workload::OpKind;
using workload::ParamPlacement;
using workload::Precision;

namespace {

constexpr double kBf16 = 2.0;

bool is_transformer(const workload::Layer& l) { return l.is_transformer(); }

// The LM head (the main model's, or an MTP module's, which shares its weights).
bool is_head(const workload::Operator& op) { return op.kind == OpKind::Gemm && op.placement == ParamPlacement::VocabSplit; }

// The scenario's EP kernel; the default is DeepEP's normal kernels to prefill and its
// low-latency kernels to decode (DeepSeek's deployment, DAY6).
network::EpKernel ep_kernel(workload::EpComm c, Pool pool) {
    switch (c) {
        case workload::EpComm::DeepEpNormal: return network::EpKernel::DeepEpNormal;
        case workload::EpComm::DeepEpLowLatency: return network::EpKernel::DeepEpLowLatency;
        case workload::EpComm::NcclAllToAll: return network::EpKernel::NcclAllToAll;
        default: return pool == Pool::Prefill ? network::EpKernel::DeepEpNormal : network::EpKernel::DeepEpLowLatency;
    }
}

bool has_routed_experts(const workload::Layer& l) {
    return std::any_of(l.ops.begin(), l.ops.end(), [](const workload::Operator& op) { return op.placement == ParamPlacement::Expert; });
}

}  // namespace

LayerTimes& LayerTimes::operator+=(const LayerTimes& o) {
    attention_s += o.attention_s;
    dense_gemm_s += o.dense_gemm_s;
    moe_gemm_s += o.moe_gemm_s;
    tp_comm_s += o.tp_comm_s;
    other_s += o.other_s;
    dispatch_s += o.dispatch_s;
    combine_s += o.combine_s;
    return *this;
}

LayerTimes LayerTimes::scaled(double f) const {
    return {attention_s * f, dense_gemm_s * f, moe_gemm_s * f, tp_comm_s * f, other_s * f, dispatch_s * f, combine_s * f};
}

// splitmix64's finaliser over the key's bits: cheap, and spreads nearby token counts.
std::size_t LayerPricer::KeyHash::operator()(const Key& k) const {
    auto mix = [](std::uint64_t x) {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    };
    const auto bits = [](double v) { return std::bit_cast<std::uint64_t>(v); };
    return mix(mix(reinterpret_cast<std::uintptr_t>(k.owner)) ^ bits(k.value));
}

LayerPricer::LayerPricer(const ServingSetup& setup, Pool pool) : st_(setup), plan_(setup.pool(pool)), pool_(pool) {
    const int gpn = setup.scenario.cluster.gpus_per_node;
    attention_ranks_ = setup.ranks.attention_group(ServingSetup::placement(pool), 0, 0);
    ep_ranks_ = setup.ranks.ep_group(ServingSetup::placement(pool), 0, 0);
    max_nodes_per_token_ = max_nodes_per_token(setup.model.model, plan_.ep, gpn);
}

// FP8 GEMMs need FP8 weights and FP8 activations; FP8 weights with BF16 activations are
// dequantised and run as BF16 GEMMs (priced with BF16 weight reads: an upper bound).
hw::Dtype LayerPricer::gemm_dtype(const workload::Operator& op) const {
    const auto& prec = st_.scenario.inference.precision;
    const bool fp8 = op.fp8_gemm && prec.weights == Precision::FP8 && prec.activations == Precision::FP8;
    return fp8 ? hw::Dtype::FP8 : hw::Dtype::BF16;
}

// The standalone FP8 quantisation of an FP8 GEMM's input over `tokens` tokens (operators.h:
// fp8_cast_bytes_fwd, V3TR §3.3.2 / §3.5.2; inputs shared with the GEMM before are cast once,
// routed experts' tokens once before the dispatch), memory-bound. Nothing for a BF16 GEMM.
double LayerPricer::fp8_cast_s(const workload::Operator& op, double tokens) const {
    if (gemm_dtype(op) != hw::Dtype::FP8) return 0.0;
    return hw::memory_bound_time_s(op.fp8_cast_bytes_fwd * tokens, st_.gpu, st_.profile);
}

// In MLA prefill kv_b_proj decompresses the cached prefix as well: its rows are N + C.
bool LayerPricer::is_prefill_kv_b(const workload::Operator& op) const {
    return pool_ == Pool::Prefill && st_.model.model.attention == workload::AttentionKind::MLA && op.name == "kv_b_proj";
}

LayerPricer::TokenPart LayerPricer::token_part(const workload::Layer& layer, double n) const {
    const double t = plan_.attn_tp;
    const double shard = n / t;  // sequence-parallel share of one GPU
    TokenPart out;
    bool expert_side = false;  // between moe_dispatch and moe_combine
    for (const auto& op : layer.ops) {
        if (op.kind == OpKind::MoeDispatch) expert_side = true;
        if (op.kind == OpKind::MoeCombine) expert_side = false;
        if (expert_side && op.kind != OpKind::MoeDispatch) continue;
        switch (op.kind) {
            case OpKind::Gemm:
            case OpKind::Router: {
                if (is_prefill_kv_b(op) || is_head(op)) break;
                // Split over the group (m = N, n/attn_tp), or whole on the GPU's own shard.
                const bool split = op.placement == ParamPlacement::TensorSplit && !whole_on_every_gpu(op);
                const double rows = split ? n : shard;
                const hw::GemmShape g{rows, static_cast<double>(op.gemm.n) / (split ? t : 1.0),
                                      static_cast<double>(op.gemm.k), static_cast<double>(op.gemm.count)};
                out.dense_gemm_s += hw::gemm_time_s(g, gemm_dtype(op), st_.gpu, st_.profile);
                out.other_s += fp8_cast_s(op, shard);
                if (op.kind == OpKind::Router)  // scores and top-k around the GEMM
                    out.other_s += hw::memory_bound_time_s(op.hbm_bytes_fwd * shard, st_.gpu, st_.profile);
                break;
            }
            case OpKind::AttentionCore:
            case OpKind::Loss:  // serving samples from the logits; there is no loss
                break;
            default:  // norms, SwiGLU, embedding lookup, permute / unpermute, rotary, residual adds: HBM-bound
                out.other_s += hw::memory_op_time_s(workload::memory_class(op.kind), op.hbm_bytes_fwd * shard, st_.gpu, st_.profile);
                break;
        }
    }
    if (plan_.attn_tp > 1 && is_transformer(layer)) {
        // All-gather before and reduce-scatter after attention, and around a dense FFN split
        // over the group (sequence parallelism), S = the group's N·d BF16 activations. A MoE
        // FFN dispatches from the shard and runs its shared experts there: no collective.
        const double pairs = has_routed_experts(layer) ? 1.0 : 2.0;
        const double bytes = n * static_cast<double>(st_.model.model.hidden_size) * kBf16;
        const network::Network& net = *st_.network;
        out.tp_comm_s = pairs * (net.collective_time_s(hw::CollectiveKind::AllGather, bytes, attention_ranks_) +
                                 net.collective_time_s(hw::CollectiveKind::ReduceScatter, bytes, attention_ranks_));
    }
    return out;
}

// The LM head of a pass (vocab-parallel over the group) on `rows` rows.
double LayerPricer::head_gemm_s(const Pass& pass, double rows) const {
    double s = 0;
    for (const workload::Layer* layer : pass.layers)
        for (const auto& op : layer->ops)
            if (is_head(op)) {
                const hw::GemmShape g{rows, static_cast<double>(op.gemm.n) / plan_.attn_tp, static_cast<double>(op.gemm.k),
                                      static_cast<double>(op.gemm.count)};
                s += hw::gemm_time_s(g, gemm_dtype(op), st_.gpu, st_.profile);
            }
    return s;
}

double LayerPricer::attention_s(const workload::Operator& op, const Load& load) const {
    const auto& cfg = st_.model.model;
    const bool mla = cfg.attention == workload::AttentionKind::MLA;
    const bool decode = pool_ == Pool::Decode;
    const double q = load.new_tokens / load.sequences;
    hw::AttentionShape a;
    a.phase = decode ? hw::AttentionPhase::Decode : hw::AttentionPhase::Prefill;
    a.batch = load.sequences;
    a.q_len = q;
    a.kv_len = load.context_tokens / load.sequences + q;
    // Given the group's causal pairs P, the mean sequence's kv_len is the one whose pairs
    // q·kv − q(q − 1)/2 are P/S: the FLOPs of the sequences themselves, not of their mean
    // (Σ q_i·c_i ≠ N·C/S when a piece of a long prompt shares a group with short prompts).
    // P ≥ S·q(q + 1)/2 (convexity), so kv_len ≥ q.
    if (load.attention_pairs > 0) a.kv_len = std::max(q, (load.attention_pairs / load.sequences + q * (q - 1) / 2) / q);
    a.heads_q = static_cast<double>(op.attn.heads) / plan_.attn_tp;
    a.causal = true;
    if (mla && decode) {  // absorbed: attend in the latent space
        a.qk_head_dim = static_cast<double>(cfg.kv_lora_rank + cfg.qk_rope_head_dim);
        a.v_head_dim = static_cast<double>(cfg.kv_lora_rank);
    } else {
        a.qk_head_dim = static_cast<double>(op.attn.d_qk);
        a.v_head_dim = static_cast<double>(op.attn.d_v);
    }
    const double kv_bytes = st_.scenario.inference.precision.kv_cache == Precision::FP8 ? 1.0 : kBf16;
    a.kv_bytes_per_token = op.kv_cache_values * kv_bytes / plan_.kv_shards;
    return hw::attention_time_s(a, st_.gpu, st_.profile);
}

namespace {

// 2·v as an index into a flat memo, when v is a whole or half count below 2^21.
constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);
std::size_t half_index(double v) {
    const double h = 2 * v;
    if (!(h >= 0 && h < 4194304.0) || h != std::floor(h)) return kNoIndex;
    return static_cast<std::size_t>(h);
}

template <class T>
T* flat_slot(std::vector<T>& memo, std::size_t i, const T& unknown) {
    if (i == kNoIndex) return nullptr;
    if (memo.size() <= i) memo.resize(std::max(i + 1, memo.size() * 2), unknown);
    return &memo[i];
}

}  // namespace

LayerPricer::PassPlan& LayerPricer::plan_of(const Pass& pass) const {
    if (const auto it = plans_.find(&pass); it != plans_.end()) return it->second;
    PassPlan plan;
    const auto same_attention = [](const workload::Operator& a, const workload::Operator& b) {
        return a.attn.heads == b.attn.heads && a.attn.d_qk == b.attn.d_qk && a.attn.d_v == b.attn.d_v &&
               a.kv_cache_values == b.kv_cache_values;
    };
    const auto same_kv_b = [&](const workload::Operator& a, const workload::Operator& b) {
        return a.gemm.n == b.gemm.n && a.gemm.k == b.gemm.k && a.gemm.count == b.gemm.count && gemm_dtype(a) == gemm_dtype(b);
    };
    const auto slot_of = [](std::vector<const workload::Operator*>& distinct, const workload::Operator& op, auto same) {
        for (std::size_t i = 0; i < distinct.size(); ++i)
            if (same(*distinct[i], op)) return i;
        distinct.push_back(&op);
        return distinct.size() - 1;
    };
    for (const workload::Layer* layer : pass.layers) {
        auto& adds = plan.layers.emplace_back();
        for (const auto& op : layer->ops) {
            if (op.kind == OpKind::AttentionCore)
                adds.push_back({PassPlan::Kind::Attention, slot_of(plan.attention, op, same_attention)});
            else if (is_head(op))
                adds.push_back({PassPlan::Kind::Head, 0});
            else if (op.kind == OpKind::Gemm && is_prefill_kv_b(op))
                adds.push_back({PassPlan::Kind::KvB, slot_of(plan.kv_b, op, same_kv_b)});
        }
    }
    plan.kv_b_times.resize(plan.kv_b.size());
    return plans_.emplace(&pass, std::move(plan)).first->second;
}

void LayerPricer::group_side(const Pass& pass, const Load& load, double head_rows, std::span<LayerTimes> out) const {
    MOESIM_CHECK(out.size() == pass.layers.size(), "one LayerTimes per layer of the pass");
    std::fill(out.begin(), out.end(), LayerTimes{});
    if (load.new_tokens <= 0 || load.sequences <= 0) return;
    constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
    const std::size_t n_index = half_index(load.new_tokens), head_index = half_index(head_rows);
    const double rows = load.new_tokens + load.context_tokens;  // prefill kv_b_proj's
    const std::size_t rows_index = half_index(rows);
    PassPlan* plan = nullptr;
    thread_local std::vector<TokenPart> parts;
    thread_local std::vector<double> attention, kv_b, kv_b_cast;
    bool have_parts = false, have_head = false;
    double head_s = 0;
    {
        const std::lock_guard<std::mutex> lock(memo_mutex_);
        plan = &plan_of(pass);  // node-based map: stable across inserts
        if (const auto* flat = flat_slot(plan->token_parts, n_index, {}); flat && !flat->empty()) {
            parts = *flat;
            have_parts = true;
        } else if (!flat) {
            if (const auto it = token_memo_.find({&pass, load.new_tokens}); it != token_memo_.end()) {
                parts = it->second;
                have_parts = true;
            }
        }
        if (const double* flat = flat_slot(plan->head, head_index, kUnknown); flat && !std::isnan(*flat)) {
            head_s = *flat;
            have_head = true;
        } else if (!flat) {
            if (const auto it = head_memo_.find({&pass, head_rows}); it != head_memo_.end()) {
                head_s = it->second;
                have_head = true;
            }
        }
        kv_b.assign(plan->kv_b.size(), kUnknown);
        kv_b_cast.assign(plan->kv_b.size(), kUnknown);
        for (std::size_t k = 0; k < plan->kv_b.size(); ++k)
            if (const auto* flat = flat_slot(plan->kv_b_times[k], rows_index, {kUnknown, kUnknown}))
                std::tie(kv_b[k], kv_b_cast[k]) = *flat;
    }
    if (!have_parts) {
        parts.clear();
        for (const workload::Layer* layer : pass.layers) parts.push_back(token_part(*layer, load.new_tokens));
        const std::lock_guard<std::mutex> lock(memo_mutex_);
        if (n_index != kNoIndex)
            plan->token_parts[n_index] = parts;
        else
            token_memo_.emplace(Key{&pass, load.new_tokens}, parts);
    }
    if (!have_head) {
        head_s = head_gemm_s(pass, head_rows);
        const std::lock_guard<std::mutex> lock(memo_mutex_);
        if (head_index != kNoIndex)
            plan->head[head_index] = head_s;
        else
            head_memo_.emplace(Key{&pass, head_rows}, head_s);
    }
    // Each distinct attention core and kv_b_proj of the pass, priced once on this load.
    attention.resize(plan->attention.size());
    for (std::size_t a = 0; a < plan->attention.size(); ++a) attention[a] = attention_s(*plan->attention[a], load);
    for (std::size_t k = 0; k < plan->kv_b.size(); ++k) {
        if (!std::isnan(kv_b[k])) continue;
        const workload::Operator& op = *plan->kv_b[k];
        const hw::GemmShape g{rows, static_cast<double>(op.gemm.n) / plan_.attn_tp, static_cast<double>(op.gemm.k),
                              static_cast<double>(op.gemm.count)};
        kv_b[k] = hw::gemm_time_s(g, gemm_dtype(op), st_.gpu, st_.profile);
        kv_b_cast[k] = fp8_cast_s(op, g.m / plan_.attn_tp);
        if (rows_index == kNoIndex) continue;
        const std::lock_guard<std::mutex> lock(memo_mutex_);
        plan->kv_b_times[k][rows_index] = {kv_b[k], kv_b_cast[k]};
    }
    for (std::size_t i = 0; i < pass.layers.size(); ++i) {
        LayerTimes& t = out[i];
        const TokenPart& part = parts[i];
        t.dense_gemm_s = part.dense_gemm_s;
        t.other_s = part.other_s;
        t.tp_comm_s = part.tp_comm_s;
        for (const PassPlan::Add& add : plan->layers[i]) {
            switch (add.kind) {
                case PassPlan::Kind::Attention:
                    t.attention_s += attention[add.slot];
                    break;
                case PassPlan::Kind::Head:
                    t.dense_gemm_s += head_s;
                    break;
                case PassPlan::Kind::KvB:
                    t.dense_gemm_s += kv_b[add.slot];
                    t.other_s += kv_b_cast[add.slot];
                    break;
            }
        }
    }
}

LayerTimes LayerPricer::expert_side(const workload::Layer& layer, double instance_tokens) const {
    LayerTimes out;
    if (instance_tokens <= 0 || plan_.expert_slots_per_gpu == 0) return out;
    const double top_k = static_cast<double>(st_.model.model.experts_per_token);
    // The slowest EP rank's rows: the mean times the drawn imbalance (expert_balance.h).
    const double rows = instance_tokens * top_k / plan_.gpus * plan_.experts.at(instance_tokens / plan_.gpus);
    // A GPU reads the weights of the experts that get rows only: with fewer rows than slots,
    // at most that many experts (at least one: the busiest GPU has a row).
    const double slots = std::min<double>(plan_.expert_slots_per_gpu, std::max(1.0, rows));
    for (const auto& op : layer.ops) {
        if (op.placement == ParamPlacement::Expert && op.kind == OpKind::Gemm) {
            const hw::GroupedGemmShape g{slots, rows / slots, static_cast<double>(op.gemm.n), static_cast<double>(op.gemm.k)};
            out.moe_gemm_s += hw::grouped_gemm_time_s(g, gemm_dtype(op), st_.gpu, st_.profile);
            out.other_s += fp8_cast_s(op, instance_tokens / plan_.gpus);  // its bytes count the top-k copies
        } else if (op.kind == OpKind::SwiGLU && op.name == "expert_swiglu") {
            // hbm_bytes_fwd counts the top-k copies of one token; per row it is 1/top_k of that.
            out.other_s += hw::memory_bound_time_s(op.hbm_bytes_fwd / top_k * rows, st_.gpu, st_.profile);
        }
    }
    return out;
}

LayerTimes LayerPricer::ep_comm(double tokens_per_gpu) const {
    LayerTimes out;
    if (plan_.ep <= 1 || tokens_per_gpu <= 0) return out;
    {
        const std::lock_guard<std::mutex> lock(memo_mutex_);
        if (const auto it = ep_memo_.find({nullptr, tokens_per_gpu}); it != ep_memo_.end()) return it->second;
    }
    const auto& cfg = st_.model.model;
    hw::DeepEpShape shape;
    shape.tokens = tokens_per_gpu;
    shape.hidden = static_cast<int>(cfg.hidden_size);
    shape.top_k = static_cast<int>(cfg.experts_per_token);
    shape.max_nodes_per_token = max_nodes_per_token_;
    shape.num_experts = static_cast<int>(cfg.n_routed_experts);
    const network::EpKernel kernel = ep_kernel(st_.scenario.software.ep_comm, pool_);
    const bool fp8_dispatch = st_.scenario.inference.precision.activations == Precision::FP8;
    const network::Network& net = *st_.network;
    out.dispatch_s = network::ep_exchange_times(net, kernel, fp8_dispatch ? hw::DeepEpOp::Dispatch : hw::DeepEpOp::Combine,
                                                shape, ep_ranks_)
                         .time_s;
    out.combine_s = network::ep_exchange_times(net, kernel, hw::DeepEpOp::Combine, shape, ep_ranks_).time_s;
    // Each call's notify, as training charges it (DeepEP's normal kernels only).
    const double notify = network::ep_notify_latency_s(kernel, st_.profile);
    out.dispatch_s += notify;
    out.combine_s += notify;
    const std::lock_guard<std::mutex> lock(memo_mutex_);
    ep_memo_.emplace(Key{nullptr, tokens_per_gpu}, out);
    return out;
}

}  // namespace moesim::inference::detail
