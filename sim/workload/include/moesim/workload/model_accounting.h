#pragma once
// Whole-model accounting: parameters, KV cache and FLOPs per token, and the per-layer
// detail (operators.h). `moesim model NAME --json` prints to_json() of it (DESIGN.md §6).
//
// What is counted (all per token):
//  * params_total: every unique parameter of the main model — embedding, transformer
//    layers, final norm, LM head (once if tied) — without the MTP modules.
//  * params_active: parameters used by one token: the embedding lookup counts one row (d),
//    the LM head V×d, routed experts top-k of n (reproduces DeepSeek's 37B / 21B / 2.4B;
//    see model_accounting.cpp).
//  * params_mtp: the MTP modules' own parameters (enorm, hnorm, eh_proj 2d→d, one block, the
//    final norm); the embedding and output head they share with the main model are not
//    counted again. For DeepSeek-V3 that is 11.61B; the HF checkpoint's 685B = 671B + 14B
//    also stores copies of the embedding and head in layer 61 (11.61 + 0.93 + 0.93 = 13.5B).
//    params_mtp_active: what an MTP module uses per token, its own active parameters plus
//    the shared head's V×d (V3: 0.69B + 0.93B).
//  * kv_cache_bytes_per_token: main model only (MTP modules' own cache is reported apart).
//  * flops_per_token_forward / _training: main model, at seq_len; training = forward +
//    backward-input + backward-weight, without recomputation (model FLOPs). The MTP module's
//    FLOPs are reported apart (flops_per_token_*_mtp).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/workload/model_config.h"
#include "moesim/workload/operators.h"

namespace moesim::workload {

struct ModelAccounting {
    ModelConfig model;
    int seq_len = 0;
    std::vector<Layer> layers;  // embedding, transformer layers, head, MTP modules

    std::int64_t layers_count = 0;    // transformer layers of the main model
    std::int64_t params_total = 0;
    std::int64_t params_active = 0;
    std::int64_t params_embedding = 0;
    std::int64_t params_head = 0;     // final norm + LM head (0 head weights when tied)
    std::int64_t params_mtp = 0;
    std::int64_t params_mtp_active = 0;

    double kv_cache_bytes_per_token = 0;      // BF16
    double kv_cache_bytes_per_token_fp8 = 0;  // FP8 (1 byte per value)
    double kv_cache_bytes_per_token_mtp = 0;  // BF16, MTP modules

    double flops_per_token_forward = 0;
    double flops_per_token_bwd_input = 0;
    double flops_per_token_bwd_weight = 0;
    double flops_per_token_training = 0;
    double flops_per_token_forward_mtp = 0;
    double flops_per_token_training_mtp = 0;
    double attention_flops_per_token_forward = 0;  // the causal cores alone
};

ModelAccounting account_model(const ModelConfig& model, int seq_len);

// Model FLOPs per token for MFU (DESIGN.md §6): 6 × active parameters that take part in a
// matrix product — all but the embedding row looked up, the norms and biases; the LM head included
// — plus the causal attention cores (forward h·(d_qk+d_v)·s per layer, backward twice
// that). DeepSeek-V3 at 4096: 6 × 36.62B + 3 × 10.23G = 250.5 GFLOP per token. This is
// the convention of the Llama 3 and DeepSeek papers (6N + attention); it equals
// flops_per_token_training of the main model (MTP modules excluded, no recomputation).
double model_flops_per_token(const ModelAccounting& a);

// Extra forward FLOPs per token that a recompute policy reruns in backward (main model).
double recompute_flops_per_token(const ModelAccounting& a, Recompute recompute);

// `moesim model NAME --json`: name, seq_len, layers, params_total, params_active, params_mtp,
// kv_cache_bytes_per_token, flops_per_token_forward, flops_per_token_training, plus
// architecture, kv_cache_bytes_per_token_fp8, MTP figures and a per-layer summary.
nlohmann::json to_json(const ModelAccounting& a);

}  // namespace moesim::workload
