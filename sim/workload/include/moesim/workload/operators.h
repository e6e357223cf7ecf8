#pragma once
// A model as layers of operators, each with what a cost model needs: parameters, FLOPs per
// token (forward; backward split into input- and weight-gradient), GEMM or attention shape,
// HBM bytes for memory-bound work, activations saved for backward and KV cache.
//
// Conventions (all figures are per token):
//  * GEMM y = x·Wᵀ with W of N×K: forward 2·N·K FLOPs, backward-input (dx = dy·W) 2·N·K,
//    backward-weight (dW = dyᵀ·x) 2·N·K. `gemm.count` such GEMMs run per token (top-k for
//    routed experts); FLOPs and active parameters already include the count.
//  * Causal attention core at sequence length s (FlashAttention, softmax fused): query t
//    attends to t keys, on average s/2 (the convention of FlashAttention and Megatron;
//    (s+1)/2 exactly). QKᵀ costs 2·h·d_qk per (query, key) pair and AV 2·h·d_v, so
//        forward = 2·h·(d_qk + d_v)·s/2 = h·(d_qk + d_v)·s,
//    backward = 2 × forward (dQ, dK from dS; dV and dP from dO — four GEMMs of the same
//    size as the two forward ones; FlashAttention's recomputation of P is not counted), all
//    of it input-gradient: the core has no weights.
//  * Memory-bound operators (norms, SwiGLU, softmax/top-k, dispatch/combine, embedding
//    lookup, loss, rotary embedding, residual adds) are costed by HBM bytes; their few arithmetic operations are not counted
//    as FLOPs (< 0.1% of a layer).
//  * Activations are BF16 (2 bytes); what each operator keeps for its own backward is listed
//    as SavedTensors so that recompute policies and FP8 caching can be applied to them.
#include <cstdint>
#include <string>
#include <vector>

#include "moesim/workload/model_config.h"
#include "moesim/workload/scenario.h"

namespace moesim::workload {

enum class OpKind {
    Invalid,
    Embedding,      // token lookup
    RMSNorm,
    Gemm,           // a linear layer (projection, FFN, expert, LM head)
    AttentionCore,  // QKᵀ, causal softmax, AV (FlashAttention-style, fused)
    SwiGLU,         // silu(gate) * up
    Router,         // MoE gate: logits GEMM (n_experts × d) + sigmoid/softmax + top-k
    MoeDispatch,    // permute tokens to their top-k experts (the all-to-all is the caller's)
    MoeCombine,     // weighted sum of the k expert outputs back into token order
    Loss,           // softmax cross-entropy over the vocabulary
    Rotary,         // rotary position embedding of q and k (HBM-bound)
    Elementwise,    // residual adds of a block (HBM-bound)
};
std::string to_string(OpKind);
// The memory-bound kernel class a profile may give its own efficiency (hw::kMemoryOps):
// "rotary", "elementwise"; "" for the others (the profile's size table).
std::string memory_class(OpKind);

// Where the weights of an operator sit under parallelism (layout.h uses it).
enum class ParamPlacement {
    Invalid,
    TensorSplit,   // split over TP ranks, replicated over DP (projections, dense/shared FFN)
    VocabSplit,    // embedding / LM head: vocab-parallel over TP
    Replicated,    // norms, router: whole on every rank
    Expert,        // routed experts: split over EP ranks, whole experts (no expert TP)
};

struct GemmShape {
    std::int64_t n = 0, k = 0;  // W is N×K; per token M grows by `count`
    std::int64_t count = 0;     // GEMMs per token (0 when not a GEMM)
};

struct AttentionShape {
    std::int64_t heads = 0, kv_heads = 0, d_qk = 0, d_v = 0;
    std::int64_t seq_len = 0;
    bool causal = true;
};

// A tensor an operator keeps for its backward pass, per token.
struct SavedTensor {
    std::string what;                  // "input", "q", "gate,up", …
    double values = 0;                 // elements per token
    double bytes_per_value = 2;        // BF16 unless stated (fp32 statistics: 4)
    bool dropped_by_selective = false; // an RMSNorm output or an MLA up-projection output
    bool fp8_cacheable = false;        // FP8 recipe caches it in FP8 (V3TR §3.3.2, §3.3.4)
    bool dropped_by_fp8 = false;       // FP8 recipe recomputes it (MoE SwiGLU output, §3.3.4)
};

struct Operator {
    std::string name;              // "q_a_proj", "attn_core", "expert_down", …
    OpKind kind = OpKind::Invalid;
    ParamPlacement placement = ParamPlacement::Replicated;
    std::int64_t params = 0;         // parameters held (unique to this operator)
    std::int64_t params_active = 0;  // parameters used per token
    bool fp8_gemm = false;           // runs in FP8 under the FP8 recipe (and its weights are FP8)
    double flops_fwd = 0, flops_bwd_input = 0, flops_bwd_weight = 0;
    GemmShape gemm;                  // kind Gemm / Router
    AttentionShape attn;             // kind AttentionCore
    double hbm_bytes_fwd = 0, hbm_bytes_bwd = 0;  // activation traffic; GEMM weights excluded
    // FP8 GEMMs only, charged when the scenario trains in FP8: HBM bytes of the standalone
    // quantization kernels around the GEMM (V3TR §3.3.2 fine-grained 1×128 / 128×128
    // quantization; §3.5.2 "activations ... read out, dequantized, transposed, re-quantized
    // into 128x1 tiles, and stored in HBM" for the weight gradient). See model_operators.cpp.
    double fp8_cast_bytes_fwd = 0, fp8_cast_bytes_bwd = 0;
    std::vector<SavedTensor> saved;
    bool recomputed_by_selective = false;  // its forward reruns in backward under "selective"
    double kv_cache_values = 0;            // attention core: values cached per token (inference)

    double flops_bwd() const { return flops_bwd_input + flops_bwd_weight; }
    double flops_training() const { return flops_fwd + flops_bwd(); }
    // Bytes kept for backward per token under a recompute policy and precision (activations
    // themselves are BF16; the FP8 recipe caches some of them in FP8 with a 1×128 FP32 scale).
    // Full recompute is a layer-level policy: see Layer::saved_bytes.
    double saved_bytes(Recompute recompute, Precision precision) const;
};

enum class LayerKind { Invalid, Embedding, Dense, Moe, Mtp, Head };
std::string to_string(LayerKind);

struct Layer {
    std::string name;        // "embedding", "layer.3", "mtp.0", "head"
    LayerKind kind = LayerKind::Invalid;
    int index = -1;          // transformer layer index; MTP depth; -1 otherwise
    double input_values = 0; // values per token entering the layer (kept under full recompute)
    std::vector<Operator> ops;

    std::int64_t params() const;
    std::int64_t params_active() const;
    double flops_fwd() const;
    double flops_bwd_input() const;
    double flops_bwd_weight() const;
    double flops_training() const { return flops_fwd() + flops_bwd_input() + flops_bwd_weight(); }
    double kv_cache_values() const;
    bool is_transformer() const { return kind == LayerKind::Dense || kind == LayerKind::Moe || kind == LayerKind::Mtp; }
    // Activation bytes kept per token. Full recompute keeps only a transformer layer's input
    // (d values, BF16); embedding and head are never recomputed.
    double saved_bytes(Recompute recompute, Precision precision) const;
    // Extra forward FLOPs rerun in backward per token.
    double recompute_flops(Recompute recompute) const;
};

// The model as layers in execution order: embedding, num_layers transformer layers, the
// final norm + LM head (+ loss), then the MTP modules. Attention at `seq_len`.
std::vector<Layer> build_layers(const ModelConfig& model, int seq_len);

}  // namespace moesim::workload
