// Model accounting: parameters, KV cache and FLOPs of every bundled model against figures
// derived by hand from their config.json (the formulas are written next to each number).
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "moesim/common/error.h"
#include "moesim/workload/model_accounting.h"

using namespace moesim::workload;
using moesim::ScenarioError;

namespace {

nlohmann::json tiny_llama() {
    return {{"model_type", "llama"},       {"vocab_size", 1000},      {"hidden_size", 64},
            {"num_hidden_layers", 4},      {"num_attention_heads", 4}, {"num_key_value_heads", 4},
            {"intermediate_size", 128},    {"tie_word_embeddings", false}, {"some_unknown_hf_key", "ignored"}};
}

const Layer& find_layer(const ModelAccounting& a, const std::string& name) {
    for (const auto& l : a.layers)
        if (l.name == name) return l;
    FAIL("no layer " << name);
    throw;
}

const Operator& find_op(const Layer& l, const std::string& name) {
    for (const auto& op : l.ops)
        if (op.name == name) return op;
    FAIL("no operator " << name << " in " << l.name);
    throw;
}

// Weights that take part in a GEMM (everything but norms, biases and the embedding lookup):
// n·k of each weight matrix a token reads.
double gemm_params_active(const ModelAccounting& a) {
    double p = 0;
    for (const auto& l : a.layers)
        if (l.kind != LayerKind::Mtp)
            for (const auto& op : l.ops)
                if (op.kind == OpKind::Gemm || op.kind == OpKind::Router)
                    p += static_cast<double>(op.gemm.n) * static_cast<double>(op.gemm.k) * static_cast<double>(op.gemm.count);
    return p;
}

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const ScenarioError& e) {
        return std::string(e.json_path()) + " | " + e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("every bundled model: parameters, layers and KV cache by hand", "[workload]") {
    // Per-layer formulas (d hidden, h heads, g KV heads, hd head dim, I FFN, V vocab):
    //   GQA layer  = 2d (norms) + d·h·hd (q) + 2·d·g·hd (k, v) + h·hd·d (o) + 3·d·I
    //   total      = V·d (embedding) + L·layer + d (final norm) + V·d (head)
    //   active     = total − (V − 1)·d: the lookup reads one row of the embedding
    //   KV/token   = L · 2·g·hd · 2 bytes (GQA/MHA); L · (kv_lora_rank + rope) · 2 bytes (MLA)
    struct Case {
        std::string name;
        std::int64_t layers;
        std::int64_t params_total, params_active;
        double kv_bytes;
        double published_total_B;
    };
    const std::vector<Case> cases = {
        // 405B: layer = 32768 + 268435456 + 2·16777216 + 268435456 + 3·16384·53248 = 3,187,703,808
        //       total = 128256·16384·2 + 126·3,187,703,808 + 16384 = 405,853,388,800
        //       KV = 126 · 2·8·128 · 2 = 516,096 B
        {"llama-3.1-405b", 126, 405853388800, 403752058880, 516096, 405},
        // 70B: layer = 16384 + 67108864 + 2·8388608 + 67108864 + 3·8192·28672 = 855,654,400
        //      total = 128256·8192·2 + 80·855,654,400 + 8192 = 70,553,706,496; KV = 80·2048·2
        {"llama-3.1-70b", 80, 70553706496, 69503041536, 327680, 70.6},
        // 8B: layer = 8192 + 16777216 + 2·4194304 + 16777216 + 3·4096·14336 = 218,112,000
        //     total = 128256·4096·2 + 32·218,112,000 + 4096 = 8,030,261,248; KV = 32·2048·2
        {"llama-3.1-8b", 32, 8030261248, 7504928768, 131072, 8.0},
        // DeepSeek LLM 67B (GQA 64/8): layer = 16384 + 2·67108864 + 2·8388608 + 3·8192·22016
        //     = 692,076,544; total = 102400·8192·2 + 95·692,076,544 + 8192 = 67,425,001,472
        {"deepseek-llm-67b", 95, 67425001472, 66586148864, 389120, 67},
        // Mixtral: layer = 8192 + 2·16777216 + 2·4194304 (attn 41,943,040) + 8·4096 (router)
        //     + 8·3·4096·14336 = 1,451,270,144; total = 32000·4096·2 + 32·layer + 4096
        //     = 46,702,792,704; active = top-2 experts: 12,748,857,344 (Mistral's 12.9B counts
        //     the whole embedding table)
        {"mixtral-8x7b", 32, 46702792704, 12748857344, 131072, 46.7},
        // DeepSeek-V3: MLA 187,107,328 (q_a 11.0M + 1536 + q_b 37.7M + kv_a 4.1M + 512 + kv_b
        //     16.8M + o 117.4M); dense layer = MLA + 2d + 3·7168·18432 = 583,483,392;
        //     MoE layer = MLA + 2d + 257·44,040,192 + 256·7168 = 11,507,286,016;
        //     total = 2·926,679,040 + 7168 + 3·dense + 58·MoE = 671,026,404,352;
        //     active = 926,679,040 + 2·7168 + 3·dense + 58·(MLA + 2d + 9·44,040,192 + 256·7168)
        //     = 36,625,610,752; KV = 61 · 576 · 2 = 70,272 B
        {"deepseek-v3", 61, 671026404352, 36625610752, 70272, 671},
        // DeepSeek-V2: MLA = 5120·1536 + 1536 + 1536·24576 + 5120·576 + 512 + 512·32768 + 16384·5120;
        //     dense layer 337,981,440; MoE layer (162 experts of 3·5120·1536, router 160·5120)
        //     3,972,116,480; total 235,741,434,880; active (top-6 + 2 shared) 20,851,517,440
        {"deepseek-v2", 60, 235741434880, 20851517440, 69120, 236},
        // DeepSeek-V2-Lite: no q compression (q_proj 2048·3072); MLA 2048·3072 + 2048·576 + 512
        //     + 512·4096 + 2048·2048; dense layer 81,007,104; MoE layer (64 + 2 experts of
        //     3·2048·1408) 584,847,872; total 15,706,484,224 (published 15.7B); active 2,451,437,056
        //     (published 2.4B); KV = 27·576·2
        {"deepseek-v2-lite", 27, 15706484224, 2451437056, 31104, 15.7},
        // Qwen2.5-72B (GQA 64/8, q/k/v biases): layer = 16384 + 67108864 + 8192 + 2·(8388608 + 1024)
        //     + 67108864 + 3·8192·29568 = 877,685,760; total = 152064·8192·2 + 80·layer + 8192
        //     = 72,706,203,648; KV = 80·2048·2
        {"qwen2.5-72b", 80, 72706203648, 71460503552, 327680, 72.7},
        // Qwen3-32B (GQA 64/8 of 128, q_norm + k_norm 2·128): layer = 10240 + 41943040 + 2·5242880
        //     + 41943040 + 256 + 3·5120·25600 = 487,598,336; total = 151936·5120·2 + 64·layer + 5120
        //     = 32,762,123,264; KV = 64·2048·2
        {"qwen3-32b", 64, 32762123264, 31984216064, 262144, 32.8},
        // Qwen3-30B-A3B: attn 2048·4096·2 + 2·2048·512 + 256 = 18,874,624; MoE layer = attn + 4096
        //     + 128·3·2048·768 + 128·2048 (router) = 623,120,640; total = 151936·2048·2 + 48·layer
        //     + 2048 = 30,532,122,624; active (top-8) 3,041,869,824; KV = 48·1024·2
        {"qwen3-30b-a3b", 48, 30532122624, 3041869824, 98304, 30.5},
        // Qwen1.5-MoE-A2.7B (MHA 16 heads, q/k/v biases): attn 4·2048² + 3·2048 = 16,783,360; MoE
        //     layer = attn + 4096 + 60·3·2048·1408 + 3·2048·5632 (shared) + 2048 (shared gate)
        //     + 60·2048 (router) = 570,560,512; total = 151936·2048·2 + 24·layer + 2048
        //     = 14,315,784,192; active (top-4 + shared) 2,378,010,624; KV = 24·4096·2
        {"qwen1.5-moe-a2.7b", 24, 14315784192, 2378010624, 196608, 14.3},
        // gpt-oss-120b (GQA 64/8 of 64, q/k/v/o biases, 64 sinks): attn 2·2880·4096 + 2·2880·512
        //     + 4096 + 2·512 + 2880 + 64 = 26,550,144; expert 3·2880·2880 + 2·2880 + 2880 (biases)
        //     = 24,891,840; layer = attn + 5760 + 128·expert + 128·2880 + 128 (router) = 3,213,080,192;
        //     total = 201088·2880·2 + 36·layer + 2880 = 116,829,156,672; active (top-4) 5,132,852,352;
        //     KV = 36·1024·2
        {"gpt-oss-120b", 36, 116829156672, 5132852352, 73728, 116.8},
    };
    const auto names = builtin_model_names();
    CHECK(names.size() == cases.size());
    for (const auto& c : cases) {
        INFO(c.name);
        const ModelAccounting a = account_model(load_model(c.name), 4096);
        CHECK(a.model.name == c.name);
        CHECK(a.layers_count == c.layers);
        CHECK(a.params_total == c.params_total);
        CHECK(a.params_active == c.params_active);
        CHECK(a.kv_cache_bytes_per_token == c.kv_bytes);
        CHECK(a.kv_cache_bytes_per_token_fp8 == c.kv_bytes / 2);
        CHECK(static_cast<double>(a.params_total) / 1e9 == Approx(c.published_total_B).epsilon(0.01));
        const nlohmann::json j = to_json(a);
        for (const char* key : {"name", "seq_len", "params_total", "params_active", "params_mtp", "layers",
                                "kv_cache_bytes_per_token", "flops_per_token_forward", "flops_per_token_training"})
            CHECK(j.contains(key));
        CHECK(j.at("params_total").get<std::int64_t>() == c.params_total);
        CHECK(j.at("layers").get<std::int64_t>() == c.layers);
    }
}

TEST_CASE("DeepSeek-V3 matches the published parameter counts", "[workload]") {
    const ModelAccounting a = account_model(load_model("deepseek-v3"), 4096);
    // Hand check from the brief: MLA 187.1M/layer, dense FFN 396.4M, expert 44.04M, router 1.8M,
    // embedding and head 926.7M each.
    const Layer& moe = find_layer(a, "layer.3");
    CHECK(moe.kind == LayerKind::Moe);
    CHECK(find_layer(a, "layer.2").kind == LayerKind::Dense);
    double mla = 0;
    for (const char* op : {"q_a_proj", "q_a_norm", "q_b_proj", "kv_a_proj", "kv_a_norm", "kv_b_proj", "o_proj"})
        mla += static_cast<double>(find_op(moe, op).params);
    CHECK(mla == 187107328.0);
    CHECK(find_op(moe, "expert_gate").params == 256LL * 2048 * 7168);
    CHECK(find_op(moe, "expert_gate").gemm.count == 8);
    CHECK(find_op(moe, "shared_down").gemm.k == 2048);
    CHECK(find_op(moe, "router").params == 256LL * 7168);  // 1,835,008
    const Layer& dense = find_layer(a, "layer.0");
    CHECK(find_op(dense, "gate_proj").params * 3 == 396361728LL);
    CHECK(a.params_embedding == 926679040LL);
    CHECK(a.params_head == 926679040LL + 7168);
    // 671B without MTP; ~37B active (36.63B, see model_accounting.cpp for the 36.7B card figure).
    CHECK(a.params_total / 1e9 == Approx(671.0).epsilon(0.001));
    CHECK(a.params_active / 1e9 == Approx(37.0).epsilon(0.02));
    // MTP: enorm + hnorm (2·7168) + eh_proj (2·7168·7168 = 102,760,448) + one MoE block
    // (11,507,286,016) + its norm (7168) = 11,610,067,968; embedding and head shared.
    CHECK(a.params_mtp == 11610067968LL);
    CHECK(a.params_mtp_active == 2 * 7168 + 2LL * 7168 * 7168 + (187107328LL + 2 * 7168 + 9 * 44040192LL + 256 * 7168) +
                                     7168 + 129280LL * 7168);
    CHECK(a.kv_cache_bytes_per_token_mtp == 576 * 2);
}

TEST_CASE("KV cache per token: MLA, GQA and MHA", "[workload]") {
    // MLA caches the latent c_kv and the shared k_rope: 512 + 64 = 576 values per layer.
    const ModelAccounting v3 = account_model(load_model("deepseek-v3"), 4096);
    CHECK(find_op(find_layer(v3, "layer.0"), "attn_core").kv_cache_values == 576);
    // GQA caches K and V for the KV heads: 2·8·128 = 2048 values per layer (Llama 3.1 8B).
    const ModelAccounting l8 = account_model(load_model("llama-3.1-8b"), 4096);
    CHECK(find_op(find_layer(l8, "layer.0"), "attn_core").kv_cache_values == 2048);
    CHECK(l8.model.attention == AttentionKind::GQA);
    // MHA: 2·h·hd = 2·4·16 = 128 values per layer, 4 layers, 2 bytes: 1024 B per token.
    const ModelAccounting mha = account_model(parse_model_config(tiny_llama(), "tiny.json"), 128);
    CHECK(mha.model.attention == AttentionKind::MHA);
    CHECK(mha.kv_cache_bytes_per_token == 4 * 128 * 2);
    CHECK(mha.kv_cache_bytes_per_token_fp8 == 4 * 128);
}

TEST_CASE("FLOP identities hold for every operator of every model", "[workload]") {
    for (const auto& name : builtin_model_names()) {
        INFO(name);
        const ModelAccounting a = account_model(load_model(name), 4096);
        double fwd = 0, bwd_in = 0, bwd_w = 0;
        for (const auto& l : a.layers) {
            for (const auto& op : l.ops) {
                INFO(l.name << "/" << op.name);
                CHECK(op.flops_training() == op.flops_fwd + op.flops_bwd_input + op.flops_bwd_weight);
                if (op.kind == OpKind::Gemm || op.kind == OpKind::Router) {
                    CHECK(op.flops_fwd == 2.0 * op.gemm.n * op.gemm.k * op.gemm.count);
                    CHECK(op.flops_bwd_input == op.flops_fwd);   // dX = dY·W
                    CHECK(op.flops_bwd_weight == op.flops_fwd);  // dW = dYᵀ·X
                    CHECK(op.flops_bwd() == 2.0 * op.flops_fwd);
                } else if (op.kind == OpKind::AttentionCore) {
                    // causal: h·(d_qk + d_v)·s forward, twice that backward, no weights
                    CHECK(op.flops_fwd == double(op.attn.heads) * (op.attn.d_qk + op.attn.d_v) * 4096);
                    CHECK(op.flops_bwd_input == 2.0 * op.flops_fwd);
                    CHECK(op.flops_bwd_weight == 0);
                } else {
                    CHECK(op.flops_training() == 0);  // memory-bound: costed by bytes
                    CHECK(op.hbm_bytes_fwd > 0);
                }
            }
            if (l.kind == LayerKind::Mtp) continue;
            fwd += l.flops_fwd();
            bwd_in += l.flops_bwd_input();
            bwd_w += l.flops_bwd_weight();
        }
        CHECK(a.flops_per_token_forward == Approx(fwd));
        CHECK(a.flops_per_token_training == Approx(fwd + bwd_in + bwd_w));
        // Model FLOPs = 6 × GEMM parameters + 3 × causal attention forward.
        CHECK(model_flops_per_token(a) ==
              Approx(6.0 * gemm_params_active(a) + 3.0 * a.attention_flops_per_token_forward));
    }
}

TEST_CASE("DeepSeek-V3 and Llama-3.1-405B FLOPs per token at 4096", "[workload]") {
    // V3: GEMM params active = 36,625,610,752 − 7168 (lookup row) − norms (61·(2·7168 + 1536 +
    // 512) + 7168 = 1,006,592) = 36,624,596,992 → 2× = 73,249,193,984;
    // attention = 61 · 128 · (192 + 128) · 4096 = 10,234,101,760; forward 83,483,295,744.
    const ModelAccounting v3 = account_model(load_model("deepseek-v3"), 4096);
    CHECK(v3.attention_flops_per_token_forward == 10234101760.0);
    CHECK(v3.flops_per_token_forward == 83483295744.0);
    CHECK(v3.flops_per_token_training == 3.0 * 83483295744.0);
    // 405B: GEMM params = 405,853,388,800 − 128256·16384 (embedding) − 126·2·16384 − 16384
    // = 403,747,897,344 → 2× = 807,495,794,688; attention 126·128·256·4096 = 16,911,433,728.
    const ModelAccounting l405 = account_model(load_model("llama-3.1-405b"), 4096);
    CHECK(l405.attention_flops_per_token_forward == 16911433728.0);
    CHECK(l405.flops_per_token_forward == 807495794688.0 + 16911433728.0);
    CHECK(l405.flops_per_token_training == 3.0 * l405.flops_per_token_forward);
    // Attention grows linearly with the sequence: at 8192 it doubles, GEMMs do not change.
    const ModelAccounting l405_8k = account_model(load_model("llama-3.1-405b"), 8192);
    CHECK(l405_8k.flops_per_token_forward - l405.flops_per_token_forward == 16911433728.0);
}

TEST_CASE("activations saved for backward: none, selective and full recompute", "[workload]") {
    const ModelAccounting v3 = account_model(load_model("deepseek-v3"), 4096);
    const Layer& moe = find_layer(v3, "layer.3");
    // Per token, BF16, no recompute, V3 MoE layer:
    //   attn_norm in 14336, q_a in 14336, q_a_norm in 3072, q_b in 3072, k_rope 128,
    //   kv_a_norm in 1024, kv_b in 1024, core q 49152 + k 49152 + v 32768 + out 32768 + lse 512,
    //   ffn_norm in 14336, router in 14336 + scores 1024, shared SwiGLU 8192 + down in 4096,
    //   routed: dispatched in 8·7168·2 = 114688, SwiGLU 8·2·2048·2 = 65536 + weights 32,
    //   down in 8·2048·2 = 32768                                               = 456,352
    CHECK(moe.saved_bytes(Recompute::None, Precision::BF16) == 456352.0);
    // Selective (V3TR §3.2.3) drops the RMSNorm outputs (q_a in, q_b in, kv_b in, router in)
    // and the MLA up-projection outputs q, k, v: 14336 + 3072 + 1024 + 14336 + 49152 + 49152
    // + 32768 = 163,840 less.
    CHECK(moe.saved_bytes(Recompute::Selective, Precision::BF16) == 456352.0 - 163840.0);
    CHECK(moe.recompute_flops(Recompute::Selective) ==
          find_op(moe, "q_b_proj").flops_fwd + find_op(moe, "kv_b_proj").flops_fwd);
    // Full: only the layer input, 7168 · 2.
    CHECK(moe.saved_bytes(Recompute::Full, Precision::BF16) == 14336.0);
    CHECK(moe.recompute_flops(Recompute::Full) == moe.flops_fwd());
    // The head is never recomputed: logits (129280·2) + final norm in + head in.
    const Layer& head = find_layer(v3, "head");
    CHECK(head.saved_bytes(Recompute::Full, Precision::BF16) == 129280.0 * 2 + 14336 + 14336);
    // The FP8 recipe caches GEMM inputs in FP8 (1 + 4/128 bytes per value) and recomputes the
    // MoE SwiGLU output: less than BF16.
    CHECK(moe.saved_bytes(Recompute::Selective, Precision::FP8) < moe.saved_bytes(Recompute::Selective, Precision::BF16));
}

TEST_CASE("model configs: parsing variants", "[workload]") {
    // q_lora_rank null: no query compression (DeepSeek-V2-Lite).
    const ModelConfig lite = load_model("deepseek-v2-lite");
    CHECK(lite.attention == AttentionKind::MLA);
    CHECK(lite.q_lora_rank == 0);
    CHECK(lite.is_moe_layer(0) == false);
    CHECK(lite.is_moe_layer(1) == true);
    CHECK(lite.moe_layer_count() == 26);
    // Mixtral: every layer MoE, no shared experts, experts of intermediate_size.
    const ModelAccounting mix = account_model(load_model("mixtral-8x7b.json"), 4096);
    CHECK(mix.model.moe_layer_count() == 32);
    CHECK(mix.model.n_shared_experts == 0);
    const Layer& l0 = find_layer(mix, "layer.0");
    CHECK(find_op(l0, "expert_down").gemm.k == 14336);
    CHECK(find_op(l0, "expert_down").gemm.count == 2);
    // head_dim given explicitly wins over hidden/heads.
    auto j = tiny_llama();
    j["head_dim"] = 32;
    CHECK(parse_model_config(j, "t.json").head_dim == 32);
    CHECK(parse_model_config(tiny_llama(), "t.json").head_dim == 16);
    // Tied embeddings: the head holds no weights of its own, but still runs its V×d GEMM.
    j = tiny_llama();
    j["tie_word_embeddings"] = true;
    const ModelAccounting tied = account_model(parse_model_config(j, "t.json"), 128);
    const ModelAccounting untied = account_model(parse_model_config(tiny_llama(), "t.json"), 128);
    CHECK(untied.params_total - tied.params_total == 1000 * 64);
    CHECK(tied.flops_per_token_forward == untied.flops_per_token_forward);
}

TEST_CASE("model configs: errors name the file and the JSON path", "[workload]") {
    auto j = tiny_llama();
    j.erase("hidden_size");
    CHECK_THAT(error_of([&] { parse_model_config(j, "m.json"); }),
               Catch::StartsWith("/hidden_size | m.json: /hidden_size: missing required field"));
    j = tiny_llama();
    j["num_hidden_layers"] = "many";
    CHECK_THAT(error_of([&] { parse_model_config(j, "m.json"); }),
               Catch::Contains("/num_hidden_layers") && Catch::Contains("must be an integer, got string"));
    j = tiny_llama();
    j["intermediate_size"] = 0;
    CHECK_THAT(error_of([&] { parse_model_config(j, "m.json"); }), Catch::Contains("must be > 0, got 0"));
    j = tiny_llama();
    j["vocab_size"] = 12.5;
    CHECK_THAT(error_of([&] { parse_model_config(j, "m.json"); }), Catch::Contains("must be an integer, got 12.5"));
    j = tiny_llama();
    j["num_key_value_heads"] = 3;
    CHECK_THAT(error_of([&] { parse_model_config(j, "m.json"); }), Catch::Contains("does not divide"));
    j = tiny_llama();
    j["model_type"] = "lama";
    CHECK_THAT(error_of([&] { parse_model_config(j, "m.json"); }),
               Catch::Contains("/model_type") && Catch::Contains("did you mean \"llama\""));
    auto ds = nlohmann::json::parse(R"({"model_type": "deepseek_v3", "vocab_size": 10, "hidden_size": 8,
        "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16, "kv_lora_rank": 4,
        "qk_rope_head_dim": 2, "qk_nope_head_dim": 2, "q_lora_rank": null, "n_routed_experts": 4,
        "moe_intermediate_size": 4, "num_experts_per_tok": 8})");
    CHECK_THAT(error_of([&] { parse_model_config(ds, "ds.json"); }), Catch::Contains("/v_head_dim: missing"));
    ds["v_head_dim"] = 2;
    CHECK_THAT(error_of([&] { parse_model_config(ds, "ds.json"); }),
               Catch::Contains("/num_experts_per_tok") && Catch::Contains("exceeds the 4 routed experts"));
    ds["num_experts_per_tok"] = 2;
    CHECK(parse_model_config(ds, "ds.json").is_moe());

    // Unknown built-in name: did-you-mean and the list of built-ins.
    const std::string unknown = error_of([] { load_model("llama-3.1-406b"); });
    CHECK_THAT(unknown, Catch::StartsWith("/model | /model: unknown model \"llama-3.1-406b\""));
    CHECK_THAT(unknown, Catch::Contains("(did you mean \"llama-3.1-405b\"?)") && Catch::Contains("mixtral-8x7b"));
    // Missing file.
    CHECK_THAT(error_of([] { load_model("no/such/model.json", "/nonexistent"); }),
               Catch::Contains("cannot read model file \"no/such/model.json\"") &&
                   Catch::Contains("/nonexistent/no/such/model.json"));
}

TEST_CASE("model configs: a path relative to the scenario's directory, then the current one", "[workload]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "moesim_model_accounting_test";
    fs::create_directories(dir / "models");
    {
        std::ofstream(dir / "models" / "tiny.json") << tiny_llama().dump();
        std::ofstream(dir / "models" / "broken.json") << "{\"model_type\": ";
    }
    const ModelConfig m = load_model("models/tiny.json", dir.string());
    CHECK(m.name == "tiny");
    CHECK(m.num_layers == 4);
    CHECK(load_model((dir / "models" / "tiny.json").string(), "/elsewhere").hidden_size == 64);
    CHECK_THAT(error_of([&] { load_model("models/broken.json", dir.string()); }), Catch::Contains("malformed JSON"));
    fs::remove_all(dir);
}
