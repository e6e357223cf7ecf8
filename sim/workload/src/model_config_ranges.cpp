// One row per numeric key of a Hugging Face config.json that moesim reads. The bounds keep
// parameter counts, FLOPs and bytes finite and exact in double (2^20 hidden · 2^24 FFN ·
// 4096 layers · 2^16 experts stays far below 2^53).
#include "moesim/workload/model_config_ranges.h"

namespace moesim::workload {

namespace {

constexpr double k2_16 = 65536, k2_20 = 1048576, k2_24 = 16777216;

constexpr ValueRange kRanges[] = {
    {"/vocab_size", 1, k2_24},
    {"/hidden_size", 1, k2_20},
    {"/num_hidden_layers", 1, 4096},
    {"/num_attention_heads", 1, k2_16},
    {"/num_key_value_heads", 1, k2_16},
    {"/head_dim", 1, k2_16},
    {"/intermediate_size", 1, k2_24},
    {"/kv_lora_rank", 1, k2_20},
    {"/q_lora_rank", 0, k2_20},
    {"/qk_rope_head_dim", 1, k2_16},
    {"/qk_nope_head_dim", 1, k2_16},
    {"/v_head_dim", 1, k2_16},
    {"/n_routed_experts", 0, k2_16},
    {"/num_experts", 1, k2_16},
    {"/num_local_experts", 1, k2_16},
    {"/n_shared_experts", 0, 1024},
    {"/moe_intermediate_size", 1, k2_24},
    {"/shared_expert_intermediate_size", 0, k2_24},
    {"/num_experts_per_tok", 1, k2_16},
    {"/first_k_dense_replace", 0, 4096},
    {"/moe_layer_freq", 1, 4096},
    {"/decoder_sparse_step", 1, 4096},
    {"/n_group", 1, k2_16},
    {"/topk_group", 1, k2_16},
    {"/sliding_window", 1, k2_24},
    {"/num_nextn_predict_layers", 0, 16},
};

}  // namespace

std::span<const ValueRange> model_config_ranges() { return kRanges; }

}  // namespace moesim::workload
