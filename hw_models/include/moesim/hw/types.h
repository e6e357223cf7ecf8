#pragma once
// Plain value types shared by the GPU spec, the calibration profile and the cost functions.
// Every quantity carries its unit in its name (STYLE.md 3).
#include <string>

namespace moesim::hw {

// Element type of a GEMM's inputs. Outputs are always BF16 (2 bytes), as in DeepGEMM.
enum class Dtype { Invalid, BF16, FP8 };

// "bf16" | "fp8" (case-insensitive); Invalid otherwise.
Dtype dtype_from_string(const std::string& s);
const char* to_string(Dtype d);
// Bytes per input element: BF16 2, FP8 1.
double dtype_bytes(Dtype d);

// C[m,n] = A[m,k] · B[k,n], `count` times (a batch of identical, independent GEMMs).
struct GemmShape {
    double m = 0, n = 0, k = 0;
    double count = 1;
};

// `groups` GEMMs of m_per_group × n × k that share one launch (MoE experts: DeepGEMM's
// contiguous layout for training/prefill, masked layout for decode).
struct GroupedGemmShape {
    double groups = 0;
    double m_per_group = 0;
    double n = 0, k = 0;
};

enum class AttentionPhase { Invalid, Prefill, Decode, Backward };

// Scaled-dot-product attention core for `batch` sequences.
//  * Prefill / training forward: q_len new tokens attend to kv_len keys (kv_len ≥ q_len,
//    the last q_len of which are the new tokens); causal.
//  * Decode: q_len = tokens decoded per step (1, or 1 + MTP drafts), kv_len = context.
//  * Backward: the same shape as its forward.
// qk_head_dim / v_head_dim: per-head dims of the Q·Kᵀ and P·V products (MLA absorbed decode:
// 576 / 512; MLA prefill: 192 / 128; MHA/GQA: 128 / 128).
// kv_bytes_per_token: bytes of KV cache read per context token per sequence (all KV heads):
// MLA BF16 576·2 = 1152; GQA with 8 KV heads, d 128, BF16: 8·(128+128)·2 = 4096.
struct AttentionShape {
    AttentionPhase phase = AttentionPhase::Invalid;
    double batch = 0;
    double q_len = 0;
    double kv_len = 0;
    double heads_q = 0;
    double qk_head_dim = 0;
    double v_head_dim = 0;
    double kv_bytes_per_token = 0;
    bool causal = true;
};

enum class CollectiveKind { Invalid, AllReduce, AllGather, ReduceScatter, AllToAll, PointToPoint };
CollectiveKind collective_kind_from_string(const std::string& s);  // "all_reduce", … , "p2p"
const char* to_string(CollectiveKind k);

// Where a collective's traffic runs: inside one node (NVLink/NVSwitch) or across nodes (NIC).
enum class Span { Invalid, Intranode, Internode };
Span span_from_string(const std::string& s);
const char* to_string(Span s);

// A communication group: `size` GPUs, `gpus_per_node` of them in each node they span
// (size = nodes · gpus_per_node), with per-GPU, per-direction link bandwidths (datasheet
// peaks; the calibration profile's efficiencies are applied by the cost functions) and
// one-hop latencies.
struct CommGroup {
    int size = 0;
    int gpus_per_node = 0;
    double nvlink_GBps = 0;
    double nic_GBps = 0;
    double nvlink_latency_s = 0;
    double nic_latency_s = 0;
    int nodes() const { return gpus_per_node > 0 ? (size + gpus_per_node - 1) / gpus_per_node : 0; }
};

// DeepEP-style expert-parallel all-to-all of one GPU's tokens.
//  tokens: tokens this GPU dispatches (per micro-batch); hidden: model width;
//  top_k: routed experts per token; max_nodes_per_token: node-limited routing bound M
//  (0 = unlimited); num_experts: routed experts in the layer (0 = "many": draws with
//  replacement).
struct DeepEpShape {
    double tokens = 0;
    int hidden = 0;
    int top_k = 0;
    int max_nodes_per_token = 0;
    int num_experts = 0;
    bool fp8_dispatch = true;  // DeepEP's FP8 dispatch (FP8 training and serving); false: BF16 tokens
};

// The EP group and its per-GPU, per-direction link peaks.
struct EpGroup {
    int ep_size = 0;
    int gpus_per_node = 0;
    double nvlink_GBps = 0;
    double nic_GBps = 0;
};

enum class DeepEpMode { Invalid, Normal, LowLatency };  // Normal: training/prefill; LowLatency: decode
enum class DeepEpOp { Invalid, Dispatch, Combine };     // Dispatch in FP8, Combine in BF16

}  // namespace moesim::hw
