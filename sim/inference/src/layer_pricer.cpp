// One layer of a serving iteration, priced by the calibrated cost functions (the model is
// written down in operator_costs.h).
#include "layer_pricer.h"
#include "pool_plan.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <functional>

#include "moesim/common/error.h"
#include "moesim/hw/costs.h"

namespace moesim::inference::detail {

using workload::OpKind;
using workload::ParamPlacement;
using workload::Precision;

namespace {

constexpr double kBf16 = 2.0;

bool is_transformer(const workload::Layer& l) { return l.is_transformer(); }

// The LM head (the main model's, or an MTP module's, which shares its weights).
bool is_head(const workload::Operator& op) { return op.kind == OpKind::Gemm && op.placement == ParamPlacement::VocabSplit; }

bool has_routed_experts(const workload::Layer& l) {
    return std::any_of(l.ops.begin(), l.ops.end(), [](const workload::Operator& op) { return op.placement == ParamPlacement::Expert; });
}

// Node-limited routing of the normal kernels: a token reaches at most topk_group of the
// model's n_group expert groups, each spread over ceil(EP nodes / n_group) nodes (V3 on EP64
// over 8 nodes: 4 groups of one node, the "at most 4 nodes" of V3TR §3.2.2). 0 = unlimited.
int max_nodes_per_token(const workload::ModelConfig& m, int ep, int gpus_per_node) {
    const int ep_nodes = (ep + gpus_per_node - 1) / gpus_per_node;
    if (m.n_group <= 1 || m.topk_group >= m.n_group) return 0;
    const int nodes_per_group = static_cast<int>((ep_nodes + m.n_group - 1) / m.n_group);
    const int limit = static_cast<int>(m.topk_group) * nodes_per_group;
    return limit >= ep_nodes ? 0 : limit;
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
    return mix(mix(reinterpret_cast<std::uintptr_t>(k.pass)) ^ bits(k.value));
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

void LayerPricer::group_side(const Pass& pass, const Load& load, double head_rows, std::span<LayerTimes> out) const {
    MOESIM_CHECK(out.size() == pass.layers.size(), "one LayerTimes per layer of the pass");
    std::fill(out.begin(), out.end(), LayerTimes{});
    if (load.new_tokens <= 0 || load.sequences <= 0) return;
    const std::vector<TokenPart>* parts = nullptr;
    double head_s = 0;
    bool have_head = false;
    {
        const std::lock_guard<std::mutex> lock(memo_mutex_);
        if (const auto it = token_memo_.find({&pass, load.new_tokens}); it != token_memo_.end()) parts = &it->second;
        if (const auto it = head_memo_.find({&pass, head_rows}); it != head_memo_.end()) {
            head_s = it->second;
            have_head = true;
        }
    }
    if (!parts) {
        std::vector<TokenPart> computed;
        for (const workload::Layer* layer : pass.layers) computed.push_back(token_part(*layer, load.new_tokens));
        const std::lock_guard<std::mutex> lock(memo_mutex_);
        parts = &token_memo_.emplace(Key{&pass, load.new_tokens}, std::move(computed)).first->second;
    }
    if (!have_head) {
        head_s = head_gemm_s(pass, head_rows);
        const std::lock_guard<std::mutex> lock(memo_mutex_);
        head_memo_.emplace(Key{&pass, head_rows}, head_s);
    }
    // Layers of a pass share their attention block (dense and MoE layers): price its core and
    // prefill's kv_b_proj once.
    const workload::Operator* priced_attention = nullptr;
    const workload::Operator* priced_kv_b = nullptr;
    double attention = 0, kv_b = 0, kv_b_cast = 0;
    for (std::size_t i = 0; i < pass.layers.size(); ++i) {
        LayerTimes& t = out[i];
        const TokenPart& part = (*parts)[i];  // node-based map: stable across inserts
        t.dense_gemm_s = part.dense_gemm_s;
        t.other_s = part.other_s;
        t.tp_comm_s = part.tp_comm_s;
        for (const auto& op : pass.layers[i]->ops) {
            if (op.kind == OpKind::AttentionCore) {
                const bool same = priced_attention && priced_attention->attn.heads == op.attn.heads &&
                                  priced_attention->attn.d_qk == op.attn.d_qk && priced_attention->attn.d_v == op.attn.d_v &&
                                  priced_attention->kv_cache_values == op.kv_cache_values;
                if (!same) {
                    attention = attention_s(op, load);
                    priced_attention = &op;
                }
                t.attention_s += attention;
            } else if (is_head(op)) {
                t.dense_gemm_s += head_s;
            } else if (op.kind == OpKind::Gemm && is_prefill_kv_b(op)) {
                const bool same = priced_kv_b && priced_kv_b->gemm.n == op.gemm.n && priced_kv_b->gemm.k == op.gemm.k &&
                                  priced_kv_b->gemm.count == op.gemm.count && gemm_dtype(*priced_kv_b) == gemm_dtype(op);
                if (!same) {
                    const hw::GemmShape g{load.new_tokens + load.context_tokens, static_cast<double>(op.gemm.n) / plan_.attn_tp,
                                          static_cast<double>(op.gemm.k), static_cast<double>(op.gemm.count)};
                    kv_b = hw::gemm_time_s(g, gemm_dtype(op), st_.gpu, st_.profile);
                    kv_b_cast = fp8_cast_s(op, g.m / plan_.attn_tp);
                    priced_kv_b = &op;
                }
                t.dense_gemm_s += kv_b;
                t.other_s += kv_b_cast;
            }
        }
    }
}

LayerTimes LayerPricer::expert_side(const workload::Layer& layer, double instance_tokens) const {
    LayerTimes out;
    if (instance_tokens <= 0 || plan_.expert_slots_per_gpu == 0) return out;
    const double top_k = static_cast<double>(st_.model.model.experts_per_token);
    const double rows = instance_tokens * top_k / plan_.gpus;
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
    const auto& cfg = st_.model.model;
    hw::DeepEpShape shape;
    shape.tokens = tokens_per_gpu;
    shape.hidden = static_cast<int>(cfg.hidden_size);
    shape.top_k = static_cast<int>(cfg.experts_per_token);
    shape.max_nodes_per_token = max_nodes_per_token_;
    shape.num_experts = static_cast<int>(cfg.n_routed_experts);
    const hw::DeepEpMode mode = pool_ == Pool::Prefill ? hw::DeepEpMode::Normal : hw::DeepEpMode::LowLatency;
    const bool fp8_dispatch = st_.scenario.inference.precision.activations == Precision::FP8;
    const network::Network& net = *st_.network;
    out.dispatch_s =
        net.deepep_times(fp8_dispatch ? hw::DeepEpOp::Dispatch : hw::DeepEpOp::Combine, mode, shape, ep_ranks_).time_s;
    out.combine_s = net.deepep_times(hw::DeepEpOp::Combine, mode, shape, ep_ranks_).time_s;
    return out;
}

}  // namespace moesim::inference::detail
