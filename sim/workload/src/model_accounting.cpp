// Hand check, DeepSeek-V3 (d = 7168, 128 heads, MLA 1536/512/64, 256+1 experts of 2048):
//   MLA/layer     q_a 7168·1536 + q_b 1536·24576 + kv_a 7168·576 + kv_b 512·32768
//                 + o 16384·7168 = 187.1M (+2 latent norms)
//   dense FFN     3·7168·18432 = 396.4M
//   MoE layer     256 routed + 1 shared × 3·7168·2048 (44.04M) + router 256·7168 (1.8M)
//   embedding, head   129280·7168 = 926.7M each
//   total  2·926.7M + 3·(187.1 + 396.4)M + 58·(187.1 + 257·44.04 + 1.8)M = 671.0B
//   active 926.7M (LM head) + 3·583.5M + 58·(187.1 + 9·44.04 + 1.8)M    = 36.62B
//          (+ 7168 for the one embedding row a token reads)
// Published: 37B (V3TR abstract). The model card says "36.7B activated, including 0.9B
// Embedding and 0.9B output Head"; counting the whole embedding table as active would give
// 37.55B, which matches neither, while counting the lookup as one row reproduces the
// published active counts of all three DeepSeek MoE models: V3 36.62B (37B), V2 20.86B
// (21B), V2-Lite 2.45B (2.4B). The remaining 0.08B against 36.7B is not explained by any
// split we tried; it is 0.2%. (Mistral's "12.9B active" for Mixtral counts the whole
// embedding table: we give 12.75B.)
#include "moesim/workload/model_accounting.h"

#include "moesim/common/error.h"

namespace moesim::workload {

ModelAccounting account_model(const ModelConfig& model, int seq_len) {
    MOESIM_CHECK(seq_len > 0, "seq_len must be positive");
    ModelAccounting a;
    a.model = model;
    a.seq_len = seq_len;
    a.layers = build_layers(model, seq_len);
    a.layers_count = model.num_layers;
    for (const auto& layer : a.layers) {
        double attention = 0;
        for (const auto& op : layer.ops)
            if (op.kind == OpKind::AttentionCore) attention += op.flops_fwd;
        if (layer.kind == LayerKind::Mtp) {
            a.params_mtp += layer.params();
            a.params_mtp_active += layer.params_active();
            a.kv_cache_bytes_per_token_mtp += 2.0 * layer.kv_cache_values();
            a.flops_per_token_forward_mtp += layer.flops_fwd();
            a.flops_per_token_training_mtp += layer.flops_training();
            continue;
        }
        a.params_total += layer.params();
        a.params_active += layer.params_active();
        if (layer.kind == LayerKind::Embedding) a.params_embedding += layer.params();
        if (layer.kind == LayerKind::Head) a.params_head += layer.params();
        a.kv_cache_bytes_per_token += 2.0 * layer.kv_cache_values();
        a.kv_cache_bytes_per_token_fp8 += 1.0 * layer.kv_cache_values();
        a.flops_per_token_forward += layer.flops_fwd();
        a.flops_per_token_bwd_input += layer.flops_bwd_input();
        a.flops_per_token_bwd_weight += layer.flops_bwd_weight();
        a.attention_flops_per_token_forward += attention;
    }
    a.flops_per_token_training = a.flops_per_token_forward + a.flops_per_token_bwd_input + a.flops_per_token_bwd_weight;
    return a;
}

double model_flops_per_token(const ModelAccounting& a) { return a.flops_per_token_training; }

double recompute_flops_per_token(const ModelAccounting& a, Recompute recompute) {
    double f = 0;
    for (const auto& layer : a.layers)
        if (layer.kind != LayerKind::Mtp) f += layer.recompute_flops(recompute);
    return f;
}

nlohmann::json to_json(const ModelAccounting& a) {
    const ModelConfig& m = a.model;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : a.layers) {
        layers.push_back({
            {"name", layer.name},
            {"kind", to_string(layer.kind)},
            {"params", layer.params()},
            {"params_active", layer.params_active()},
            {"flops_forward", layer.flops_fwd()},
            {"flops_backward_input", layer.flops_bwd_input()},
            {"flops_backward_weight", layer.flops_bwd_weight()},
            {"kv_cache_bytes_per_token", 2.0 * layer.kv_cache_values()},
            {"activation_bytes_per_token", layer.saved_bytes(Recompute::None, Precision::BF16)},
            {"activation_bytes_per_token_selective", layer.saved_bytes(Recompute::Selective, Precision::BF16)},
        });
    }
    nlohmann::json out = {
        {"name", m.name},
        {"model_type", m.model_type},
        {"attention", to_string(m.attention)},
        {"seq_len", a.seq_len},
        {"layers", a.layers_count},
        {"moe_layers", m.moe_layer_count()},
        {"params_total", a.params_total},
        {"params_active", a.params_active},
        {"params_embedding", a.params_embedding},
        {"params_head", a.params_head},
        {"params_mtp", a.params_mtp},
        {"params_mtp_active", a.params_mtp_active},
        {"kv_cache_bytes_per_token", a.kv_cache_bytes_per_token},
        {"kv_cache_bytes_per_token_fp8", a.kv_cache_bytes_per_token_fp8},
        {"kv_cache_bytes_per_token_mtp", a.kv_cache_bytes_per_token_mtp},
        {"flops_per_token_forward", a.flops_per_token_forward},
        {"flops_per_token_training", a.flops_per_token_training},
        {"flops_per_token_attention_forward", a.attention_flops_per_token_forward},
        {"flops_per_token_forward_mtp", a.flops_per_token_forward_mtp},
        {"flops_per_token_training_mtp", a.flops_per_token_training_mtp},
        {"model_flops_per_token", model_flops_per_token(a)},
        {"layer_detail", layers},
    };
    if (!m.simplifications.empty()) out["simplifications"] = m.simplifications;
    return out;
}

}  // namespace moesim::workload
