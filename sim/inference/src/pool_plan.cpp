// Weights, working memory and KV capacity of one GPU of a pool (the rule is in setup.h).
#include "pool_plan.h"

#include <algorithm>
#include <cmath>

#include "moesim/common/error.h"

namespace moesim::inference::detail {

namespace {

constexpr double kBf16 = 2.0;
constexpr double kFp32 = 4.0;

bool mtp_loaded(const ServingSetup& st, Pool pool) {
    return pool == Pool::Decode && st.scenario.inference.decode.mtp.draft_tokens > 0;
}

// Weights of one GPU: TensorSplit and VocabSplit over attn_tp, norms, router and shared
// experts whole, `slots` routed experts of each MoE layer.
double weights_bytes(const ServingSetup& st, const PoolPlan& p) {
    const double experts = static_cast<double>(st.model.model.n_routed_experts);
    double bytes = 0;
    for (const auto& layer : st.model.layers) {
        if (layer.kind == workload::LayerKind::Mtp && !p.mtp_loaded) continue;
        for (const auto& op : layer.ops) {
            const double values = static_cast<double>(op.params);
            const double b = weight_bytes_per_value(st.scenario, op.fp8_gemm);
            switch (op.placement) {
                case workload::ParamPlacement::TensorSplit:
                    bytes += values * b / (whole_on_every_gpu(op) ? 1 : p.attn_tp);
                    break;
                case workload::ParamPlacement::VocabSplit: bytes += values * b / p.attn_tp; break;
                case workload::ParamPlacement::Expert: bytes += values / experts * p.expert_slots_per_gpu * b; break;
                case workload::ParamPlacement::Replicated:
                case workload::ParamPlacement::Invalid: bytes += values * b; break;
            }
        }
    }
    return bytes;
}

// Widest output of a non-expert GEMM on one GPU of an attention group, in values per token.
double widest_gemm_output(const ServingSetup& st, int attn_tp) {
    double widest = 0;
    for (const auto& layer : st.model.layers)
        for (const auto& op : layer.ops) {
            if ((op.kind != workload::OpKind::Gemm && op.kind != workload::OpKind::Router) ||
                op.placement == workload::ParamPlacement::Expert)
                continue;
            const bool split = (op.placement == workload::ParamPlacement::TensorSplit && !whole_on_every_gpu(op)) ||
                               op.placement == workload::ParamPlacement::VocabSplit;
            widest = std::max(widest, static_cast<double>(op.gemm.n) / (split ? attn_tp : 1));
        }
    return widest;
}

double working_bytes(const ServingSetup& st, const PoolPlan& p) {
    const auto& cfg = st.model.model;
    const double d = static_cast<double>(cfg.hidden_size);
    const double tokens = static_cast<double>(p.max_tokens_per_group);
    double bytes = tokens * kBf16 * (2.0 * d + widest_gemm_output(st, p.attn_tp));
    if (cfg.is_moe()) {
        // Every group at its largest iteration; top-k rows spread evenly over the GPUs.
        const double instance_tokens = p.pool == Pool::Prefill
                                           ? static_cast<double>(st.scenario.inference.prefill.max_batch_tokens)
                                           : tokens * p.attention_groups;
        const double rows = instance_tokens * static_cast<double>(cfg.experts_per_token) / p.gpus;
        const double inter = static_cast<double>(cfg.moe_intermediate_size);
        bytes += rows * kBf16 * (d + 2.0 * inter + inter + d);
    }
    // Logits of every token whose next token is sampled or checked (bounded by the tokens).
    bytes += tokens * static_cast<double>(cfg.vocab_size) / p.attn_tp * kFp32;
    return bytes;
}

// GPUs over which one token's KV cache is split: an MLA latent is one tensor shared by all
// heads (replicated over the group); MHA/GQA KV heads split over up to kv_heads GPUs.
int kv_shards(const workload::ModelConfig& cfg, int attn_tp) {
    if (cfg.attention == workload::AttentionKind::MLA) return 1;
    return static_cast<int>(std::min<std::int64_t>(attn_tp, cfg.num_kv_heads));
}

}  // namespace

bool whole_on_every_gpu(const workload::Operator& op) { return op.name.rfind("shared_", 0) == 0; }

double weight_bytes_per_value(const workload::Scenario& s, bool fp8_gemm) {
    return fp8_gemm && s.inference.precision.weights == workload::Precision::FP8 ? 1.0 : kBf16;
}

bool uses_ep_buffers(const ServingSetup& st, const PoolPlan& p) { return st.model.model.is_moe() && p.ep > 1; }

ExpertBalance balance_pool_experts(const ServingSetup& st, const PoolPlan& p) {
    const auto& cfg = st.model.model;
    if (!cfg.is_moe()) return {};
    workload::MoeRoutingShape shape;
    shape.num_experts = static_cast<int>(cfg.n_routed_experts);
    shape.top_k = static_cast<int>(cfg.experts_per_token);
    shape.ep = p.ep;
    shape.gpus_per_node = st.scenario.cluster.gpus_per_node;
    shape.max_nodes_per_token = max_nodes_per_token(cfg, p.ep, shape.gpus_per_node);
    shape.redundant_experts = p.redundant_experts;
    // The pool's largest iteration, per GPU.
    shape.tokens_per_rank = std::max<std::int64_t>(1, p.max_tokens_per_group * p.attention_groups / p.gpus);
    int layer = 0;  // the first MoE layer
    for (const auto& l : st.model.layers)
        if (l.kind == workload::LayerKind::Moe) {
            layer = l.index;
            break;
        }
    const std::vector<double> uniform(static_cast<std::size_t>(shape.num_experts), 1.0 / shape.num_experts);
    return balance_experts(shape, uniform, st.scenario.seed, layer);
}

void set_kv_capacity(PoolPlan& p) {
    MOESIM_CHECK(p.kv_bytes_per_token > 0, "KV bytes per token");
    const double tokens = std::max(0.0, p.kv_free_bytes) * p.kv_shards / p.kv_bytes_per_token;
    p.kv_capacity_tokens_per_group = static_cast<std::int64_t>(std::floor(tokens));
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

PoolPlan plan_pool(const ServingSetup& st, Pool pool) {
    const auto& s = st.scenario;
    const auto& inf = s.inference;
    const auto& cfg = st.model.model;
    PoolPlan p;
    p.pool = pool;
    const bool prefill = pool == Pool::Prefill;
    p.json_path = prefill ? "/inference/prefill" : "/inference/decode";
    p.nodes = prefill ? inf.prefill.nodes : inf.decode.nodes;
    p.attn_tp = prefill ? inf.prefill.attn_tp : inf.decode.attn_tp;
    p.ep = prefill ? inf.prefill.ep : inf.decode.ep;
    p.micro_batches = prefill ? inf.prefill.micro_batches : inf.decode.micro_batches;
    const int asked_redundant = prefill ? inf.prefill.redundant_experts : inf.decode.redundant_experts;
    p.gpus = p.nodes * s.cluster.gpus_per_node;
    p.attention_groups = p.gpus / p.attn_tp;
    if (cfg.is_moe()) {
        p.expert_slots_per_gpu = static_cast<int>((cfg.n_routed_experts + asked_redundant + p.ep - 1) / p.ep);
        p.redundant_experts = static_cast<int>(p.expert_slots_per_gpu * p.ep - cfg.n_routed_experts);
    }
    p.kv_shards = kv_shards(cfg, p.attn_tp);
    p.mtp_loaded = mtp_loaded(st, pool);
    if (prefill) {
        // A group's even share of an iteration: max_batch_tokens / groups new tokens (balancer
        // "none" gives exactly that; "attention-cost" may give a group of short-context tokens
        // more, which this sizing does not cover: the run's assumptions say so); every
        // sequence brings at least one.
        p.max_tokens_per_group = std::max<std::int64_t>(1, inf.prefill.max_batch_tokens / p.attention_groups);
        p.max_sequences_per_group = p.max_tokens_per_group;
    } else {
        p.max_sequences_per_group = std::int64_t{inf.decode.max_batch_per_gpu} * p.attn_tp;
        p.max_tokens_per_group = p.max_sequences_per_group * (1 + inf.decode.mtp.draft_tokens);
    }
    const bool fp8_kv = inf.precision.kv_cache == workload::Precision::FP8;
    p.kv_bytes_per_token = fp8_kv ? st.model.kv_cache_bytes_per_token_fp8 : st.model.kv_cache_bytes_per_token;
    if (p.mtp_loaded) p.kv_bytes_per_token += st.model.kv_cache_bytes_per_token_mtp * (fp8_kv ? 0.5 : 1.0);
    p.weights_bytes = weights_bytes(st, p);
    p.working_bytes = working_bytes(st, p);
    p.reserve = hw::memory_reserve(hw::reserve_policy(st.gpu), p.working_bytes, uses_ep_buffers(st, p));
    p.kv_free_bytes = st.gpu.hbm_bytes - p.weights_bytes - p.working_bytes - p.reserve.total_bytes();
    set_kv_capacity(p);
    p.experts = balance_pool_experts(st, p);
    return p;
}

}  // namespace moesim::inference::detail
