#pragma once
// Prices one layer of one pool for one micro-batch: the group side of an attention group,
// the expert side of the instance, and the EP communication (operator_costs.h has the model).
// Internal to sim/inference.
#include <mutex>
#include <span>
#include <vector>
#include <unordered_map>

#include "moesim/hw/types.h"
#include "moesim/inference/setup.h"
#include "moesim/workload/operators.h"

namespace moesim::inference::detail {

// A group's load in one micro-batch (a fraction of a GroupLoad; its members may be fractional).
struct Load {
    double sequences = 0, new_tokens = 0, context_tokens = 0;
    double attention_pairs = 0;  // GroupLoad::attention_pairs (0: the mean sequence's)
    Load scaled(double f) const { return {sequences * f, new_tokens * f, context_tokens * f, attention_pairs * f}; }
};

// Seconds of one layer: compute-stream kinds and the EP communication.
struct LayerTimes {
    double attention_s = 0, dense_gemm_s = 0, moe_gemm_s = 0, tp_comm_s = 0, other_s = 0;
    double dispatch_s = 0, combine_s = 0;
    double compute_s() const { return attention_s + dense_gemm_s + moe_gemm_s + tp_comm_s + other_s; }
    double comm_s() const { return dispatch_s + combine_s; }
    LayerTimes& operator+=(const LayerTimes& o);
    LayerTimes scaled(double f) const;
};

// The layers one pass runs, each kind of layer once (all layers of a kind are alike): the main
// model (embedding, dense, MoE, head) or a draft pass (the MTP module).
struct Pass {
    std::vector<const workload::Layer*> layers;
};

class LayerPricer {
public:
    LayerPricer(const ServingSetup& setup, Pool pool);

    // Group side of every layer of `pass` for one attention group's load, into out[i] for
    // pass.layers[i]; `head_rows` rows go through the LM head.
    void group_side(const Pass& pass, const Load& load, double head_rows, std::span<LayerTimes> out) const;
    // Expert side of a MoE layer when the whole instance computes `instance_tokens` tokens.
    LayerTimes expert_side(const workload::Layer& layer, double instance_tokens) const;
    // Dispatch + combine of a MoE layer when the busiest GPU sends `tokens_per_gpu` tokens.
    LayerTimes ep_comm(double tokens_per_gpu) const;

private:
    // The part of a layer's group side that depends on the new tokens alone: its GEMMs but
    // the LM head and prefill's kv_b_proj, memory-bound operators and TP collectives.
    struct TokenPart {
        double dense_gemm_s = 0, other_s = 0, tp_comm_s = 0;
    };
    TokenPart token_part(const workload::Layer& layer, double new_tokens) const;
    double head_gemm_s(const Pass& pass, double rows) const;
    double attention_s(const workload::Operator& op, const Load& load) const;
    hw::Dtype gemm_dtype(const workload::Operator& op) const;
    double fp8_cast_s(const workload::Operator& op, double tokens) const;
    bool is_prefill_kv_b(const workload::Operator& op) const;

    const ServingSetup& st_;
    const PoolPlan& plan_;
    Pool pool_;
    // The instance's first attention group and first EP group (instance 0 of the pool; the
    // groups of an instance are alike up to where leaf blocks fall).
    std::vector<int> attention_ranks_, ep_ranks_;
    int max_nodes_per_token_ = 0;

    // Which operators of each layer of a pass are priced on the group's whole load (attention
    // cores, the LM head, prefill's kv_b_proj), in op order; each distinct attention core and
    // kv_b_proj once (layers of a pass share their attention block), so group_side need not
    // walk every operator of every layer for every group.
    struct PassPlan {
        enum class Kind { Attention, Head, KvB };
        struct Add {
            Kind kind;
            std::size_t slot;  // into attention or kv_b
        };
        std::vector<std::vector<Add>> layers;
        std::vector<const workload::Operator*> attention, kv_b;
        // Flat memos by twice a token count (whole or half tokens: micro-batches of 2), where
        // the hashed ones below would walk long chains: N -> TokenParts (empty: not yet),
        // head rows -> seconds, and per kv_b slot N + C -> {GEMM, cast} seconds (NaN: not yet).
        std::vector<std::vector<TokenPart>> token_parts;
        std::vector<double> head;
        std::vector<std::vector<std::pair<double, double>>> kv_b_times;
    };
    PassPlan& plan_of(const Pass& pass) const;  // memo_mutex_ held

    // Memos, because the serving simulation asks for the same token counts again and again:
    // (pass, N) -> each layer's TokenPart; (pass, head rows) -> the LM head's seconds;
    // (nullptr, tokens per GPU) -> ep_comm. Counts PassPlan's flat memos cannot index.
    struct Key {
        const void* owner;
        double value;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const;
    };
    mutable std::mutex memo_mutex_;
    mutable std::unordered_map<Key, std::vector<TokenPart>, KeyHash> token_memo_;
    mutable std::unordered_map<Key, double, KeyHash> head_memo_;
    mutable std::unordered_map<Key, LayerTimes, KeyHash> ep_memo_;
    mutable std::unordered_map<const Pass*, PassPlan> plans_;
};

}  // namespace moesim::inference::detail
