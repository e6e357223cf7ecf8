#pragma once
// A model's architecture, read from a Hugging Face style config.json (DESIGN.md §2, §3
// "model"). Only the fields a performance model needs are kept; unknown keys are ignored,
// because real HF configs carry dozens of them.
//
// Supported `model_type`s:
//   llama / mistral  dense, MHA or GQA (`num_key_value_heads`), `head_dim` if present else
//                    hidden_size / num_attention_heads, SwiGLU FFN.
//   mixtral          as llama, but every layer's FFN is a MoE of `num_local_experts` SwiGLU
//                    experts of `intermediate_size`, top `num_experts_per_tok`, no shared
//                    expert.
//   deepseek_v2/_v3  MLA attention (kv_lora_rank, q_lora_rank — null means no query
//                    compression —, qk_nope_head_dim, qk_rope_head_dim, v_head_dim) and
//                    DeepSeekMoE (n_routed_experts, n_shared_experts, moe_intermediate_size,
//                    num_experts_per_tok, first_k_dense_replace, moe_layer_freq, n_group,
//                    topk_group); v3 adds MTP (num_nextn_predict_layers).
//   qwen2            as llama, with biases on the q, k and v projections (Qwen2Attention).
//   qwen3            as llama, `head_dim` given, RMSNorm over each query and key head (q_norm,
//                    k_norm), biases on q, k, v and o only when `attention_bias`.
//   qwen2_moe        qwen2 attention; MoE of `num_experts` experts of `moe_intermediate_size`,
//                    top `num_experts_per_tok`, plus one shared expert of
//                    `shared_expert_intermediate_size` scaled by a sigmoid gate (a d -> 1
//                    projection). Layer i is MoE when it is not in `mlp_only_layers` and
//                    (i + 1) % `decoder_sparse_step` == 0 (HF's rule); other layers are dense
//                    SwiGLU of `intermediate_size`.
//   qwen3_moe        qwen3 attention, the same MoE without a shared expert.
//   gpt_oss          GQA with `head_dim`, biases on q, k, v, o (`attention_bias`), one learned
//                    attention-sink logit per head; every layer a MoE of `num_local_experts`
//                    experts of `intermediate_size` with biases, top `num_experts_per_tok`,
//                    router with a bias. Its sliding-window layers are counted as full causal
//                    attention (see `simplifications`).
// Not supported: llama4 (nested text_config, chunked attention, a vision encoder inside the
// published parameter count) — see docs/PUBLISHED.md section A.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moesim::workload {

enum class AttentionKind { Invalid, MHA, GQA, MLA };

std::string to_string(AttentionKind);

struct ModelConfig {
    std::string name;                 // built-in name or the file's stem
    std::string model_type;           // "llama", "mixtral", "deepseek_v3", …
    std::int64_t vocab_size = 0;
    std::int64_t hidden_size = 0;
    std::int64_t num_layers = 0;      // num_hidden_layers (MTP modules not included)
    std::int64_t intermediate_size = 0;  // dense FFN (mixtral: each expert's)

    AttentionKind attention = AttentionKind::Invalid;
    std::int64_t num_heads = 0;
    std::int64_t num_kv_heads = 0;    // MHA/GQA; MLA: = num_heads in training (no cache sharing)
    std::int64_t head_dim = 0;        // MHA/GQA
    bool qkv_bias = false;            // biases on q, k, v projections (qwen2, gpt_oss)
    bool o_bias = false;              // bias on the output projection (gpt_oss)
    bool qk_norm = false;             // RMSNorm of head_dim over each q and k head (qwen3)
    bool attention_sinks = false;     // one learned sink logit per head (gpt_oss)

    // MLA (attention == MLA)
    std::int64_t q_lora_rank = 0;     // 0 = queries are not compressed (q_proj d -> h*d_qk)
    std::int64_t kv_lora_rank = 0;
    std::int64_t qk_nope_head_dim = 0;
    std::int64_t qk_rope_head_dim = 0;
    std::int64_t v_head_dim = 0;

    // MoE (n_routed_experts > 0)
    std::int64_t n_routed_experts = 0;
    std::int64_t n_shared_experts = 0;
    std::int64_t moe_intermediate_size = 0;
    std::int64_t experts_per_token = 0;  // top-k
    std::int64_t first_k_dense_replace = 0;
    std::int64_t moe_layer_freq = 1;
    std::int64_t n_group = 1;
    std::int64_t topk_group = 1;
    std::int64_t moe_layer_offset = 0;  // Qwen: layer i is MoE when (i + 1) % step == 0
    std::vector<std::int64_t> dense_layers;  // mlp_only_layers (Qwen MoE)
    std::int64_t shared_expert_intermediate_size = 0;  // 0: n_shared_experts × moe_intermediate_size
    bool shared_expert_gate = false;  // qwen2_moe: sigmoid(x·w) scales the shared expert
    bool expert_bias = false;         // gpt_oss: biases on experts' projections and the router

    std::int64_t mtp_layers = 0;      // num_nextn_predict_layers
    bool tie_word_embeddings = false;
    // Features the config declares that the operator model does not represent; printed by
    // `moesim model` (to_json "simplifications").
    std::vector<std::string> simplifications;

    bool is_moe() const { return n_routed_experts > 0; }
    // HF's rule (modeling_deepseek.py): layer i is MoE when i >= first_k_dense_replace and
    // i % moe_layer_freq == 0. Mixtral: every layer. Qwen MoE (modeling_qwen2_moe.py): i not
    // in mlp_only_layers and (i + 1) % decoder_sparse_step == 0.
    bool is_moe_layer(std::int64_t layer) const;
    // Width of the shared expert(s) as one SwiGLU MLP; 0 when there is none.
    std::int64_t shared_intermediate() const;
    std::int64_t moe_layer_count() const;
    // Query/key head dimension: head_dim, or for MLA nope + rope.
    std::int64_t qk_head_dim() const;
    std::int64_t value_head_dim() const;
};

// Read a parsed config.json. `file` only names the source in errors. Throws
// ScenarioError(file, "/json/path", message) for a missing required field, a wrong type, a
// non-positive dimension or an unsupported model_type.
ModelConfig parse_model_config(const nlohmann::json& doc, const std::string& file);

// A built-in name ("deepseek-v3") or a path to a config.json. Relative paths are tried
// against base_dir first, then the current directory. Throws ScenarioError for an unknown
// name (with a did-you-mean and the list of built-ins), a missing file or bad JSON.
ModelConfig load_model(const std::string& name_or_path, const std::string& base_dir = "");

// Base names of the compiled-in models, sorted ("deepseek-v3", "llama-3.1-405b", …).
std::vector<std::string> builtin_model_names();

}  // namespace moesim::workload
