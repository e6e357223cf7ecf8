#pragma once
// A serving scenario resolved against its model, GPU and calibration profile: everything the
// operator model (operator_costs.h) and the serving simulation need, checked once. The checks
// that need the model or the GPU (the parser cannot make them) live here and name the
// scenario's JSON path.
//
// Memory of one GPU of a pool (PoolPlan; the rule, with its reasons):
//  * Weights at inference.precision.weights for the GEMMs that run in FP8 under DeepSeek's
//    recipe (projections, dense and expert FFNs; their 128×128 block scales add 4 B per 16384
//    values and are left out), BF16 for the embedding, LM head, router and norms (V3TR §3.3.1).
//    Attention projections and dense FFN are split over the attn_tp GPUs of an attention group
//    (TensorSplit), embedding and head are vocab-parallel over them; norms, router and shared
//    experts are whole on every GPU (the shared expert runs on each GPU's own tokens, DAY6's
//    "2 routed + 1 shared per GPU", PUBLISHED.md D). Routed experts: every GPU holds
//    slots = ceil((routed + redundant_experts) / ep) experts of each MoE layer (the pool's
//    redundant_experts, default 0); the ep·slots − routed slots beyond the routed experts hold
//    EPLB replicas of hot experts (redundant experts). This is DeepSeek's layout where the
//    scenario gives EP320 or EP144 for 256 experts: one expert per GPU with 64 GPUs of
//    replicas (V3TR §3.4), two per GPU with 32 replicas (DAY6); and EP32 with 32 redundant
//    experts: 9 per GPU (V3TR §3.4's "8+1", DAY6's "9 routed"). The replicas are placed by
//    EPLB's greedy over a routing draw (expert_balance.h, PoolPlan::experts); the slowest
//    GPU's expert rows are the mean ΣN·top_k / gpus times the drawn imbalance. The
//    MTP modules are loaded on decode GPUs when decode.mtp.draft_tokens > 0.
//  * Working memory: inference keeps no activations across layers, so it is the largest set
//    of buffers alive inside one layer at the pool's largest iteration (max_tokens_per_group
//    tokens on a group, their top-k expert rows spread evenly over the instance's GPUs):
//      tokens · 2 B · (2·d + widest non-expert GEMM output on a GPU)    residual + input + output
//    + rows · 2 B · (d + 2·inter + inter + d)                           expert input, gate/up,
//                                                                       SwiGLU, down output
//    + head rows · V/attn_tp · 4 B                                      FP32 logits for sampling
//  * Reserve (hw/memory_reserve.h): the runtime's share, DeepEP's buffers when a MoE pool has
//    ep > 1, and the allocator's fragmentation of the working memory (the KV cache is one
//    pool allocated at start-up and does not fragment). CUDA graphs are not modelled.
//  * KV cache: what is left, hbm − weights − working − reserve, holds the compressed cache of every
//    layer at inference.precision.kv_cache (plus the MTP modules' when they are loaded). An
//    MLA latent is shared by all heads, so each GPU of an attention group holds the whole
//    latent of the group's tokens (TP attention replicates it); MHA/GQA split the KV heads
//    over min(attn_tp, kv_heads) GPUs.
//  * Colocated: a GPU runs both pools, so it holds both pools' weights (one copy when their
//    layouts are the same), the larger working memory, and one KV space they share.
#include <cstdint>
#include <memory>
#include <string>

#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/hw/memory_reserve.h"
#include "moesim/inference/expert_balance.h"
#include "moesim/inference/iteration_costs.h"
#include "moesim/network/network.h"
#include "moesim/workload/model_accounting.h"
#include "moesim/workload/rank_map.h"
#include "moesim/workload/scenario.h"

namespace moesim::inference {

// One pool (prefill or decode) of the deployment: its layout and its memory per GPU.
struct PoolPlan {
    Pool pool = Pool::Decode;
    std::string json_path;        // "/inference/prefill" or "/inference/decode"
    int nodes = 0, gpus = 0;      // per instance
    int attn_tp = 1, ep = 1;
    int attention_groups = 0;     // gpus / attn_tp
    int micro_batches = 1;
    int expert_slots_per_gpu = 0; // routed-expert slots per GPU and MoE layer; 0 for a dense model
    int redundant_experts = 0;    // ep·slots − routed: replicas filling the remaining slots
    int kv_shards = 1;            // GPUs of a group over which one token's KV cache is split
    bool mtp_loaded = false;      // MTP modules on these GPUs (decode with draft tokens)

    std::int64_t max_tokens_per_group = 0;   // largest iteration's new tokens on one group
    std::int64_t max_sequences_per_group = 0;

    double weights_bytes = 0;              // per GPU
    double working_bytes = 0;              // per GPU
    double kv_bytes_per_token = 0;         // one context token, all layers, whole (not sharded)
    hw::MemoryReserve reserve;             // per GPU
    double kv_free_bytes = 0;              // per GPU: hbm − weights − working − reserve (colocated: shared)
    std::int64_t kv_capacity_tokens_per_group = 0;
    ExpertBalance experts;                 // EPLB placement and per-GPU expert load (expert_balance.h)
};

struct ServingSetup {
    workload::Scenario scenario;
    workload::ModelAccounting model;
    hw::GpuSpec gpu;
    hw::CalibrationProfile profile;
    PoolPlan prefill, decode;
    workload::ServingRankMap ranks;             // where each pool's instances and groups sit
    std::unique_ptr<network::Network> network;  // prices every transfer (closed form, the cluster's topology)
    const PoolPlan& pool(Pool p) const { return p == Pool::Prefill ? prefill : decode; }
    static workload::ServingRankMap::Pool placement(Pool p) {
        return p == Pool::Prefill ? workload::ServingRankMap::Pool::Prefill : workload::ServingRankMap::Pool::Decode;
    }
    ServingSetup() = default;
    ServingSetup(const ServingSetup&) = delete;
    ServingSetup& operator=(const ServingSetup&) = delete;
};

// Throws ScenarioError naming the scenario file and JSON path: unknown model or GPU;
// attn_tp not dividing the attention heads (or, for GQA, not dividing or divided by the KV
// heads); ep > 1 or redundant_experts > 0 for a dense model; MTP draft tokens for a model without MTP modules; a pool
// whose weights and working memory do not fit on a GPU (needed vs available GB), or that
// leaves no room for a single token of KV cache.
std::unique_ptr<ServingSetup> prepare_serving(const workload::Scenario& s);

// "84.9 GB per GPU (weights 9.6 GB, working 0.6 GB, reserve 4.3 GB, KV cache 70.4 GB = … tokens per
// attention group)" (the V3 report's decode pool).
std::string describe_memory(const PoolPlan& p);

}  // namespace moesim::inference
