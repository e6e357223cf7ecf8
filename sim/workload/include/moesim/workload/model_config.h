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

    std::int64_t mtp_layers = 0;      // num_nextn_predict_layers
    bool tie_word_embeddings = false;

    bool is_moe() const { return n_routed_experts > 0; }
    // HF's rule (modeling_deepseek.py): layer i is MoE when i >= first_k_dense_replace and
    // i % moe_layer_freq == 0. Mixtral: every layer.
    bool is_moe_layer(std::int64_t layer) const;
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
