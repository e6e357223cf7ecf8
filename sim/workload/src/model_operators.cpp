// Builds the operator list of each layer (see operators.h for the FLOP, byte and
// activation conventions).
//
// Saved activations are attributed to the operator whose backward needs them; when two
// operators need the same tensor (q_a_proj and kv_a_proj read the same normed hidden state;
// gate and up projections read the same input; o_proj reads the attention output that the
// attention core keeps anyway) it is counted once, on the first of them.
//
// Selective recompute follows DeepSeek-V3 (V3TR §3.2.3): "We recompute all RMSNorm
// operations and MLA up-projections during back-propagation", so RMSNorm outputs (the inputs
// of the projections that follow them) and the outputs of the MLA up-projections (q, k, v of
// the attention core) are not kept; their inputs (the residual stream, the compressed
// latents c_q, c_kv and the shared k_rope) are. MHA/GQA models get the RMSNorm part only.
//
// FP8 recipe (V3TR §3.3, Figure 6, §3.3.4): inputs of FP8 linear layers are cached in FP8
// (1 byte + one FP32 scale per 1×128 tile) for the weight-gradient GEMM; the inputs of the MoE
// SwiGLU are cached in FP8 and its output is recomputed in backward instead of being kept as
// the down projection's input. Embedding, LM head, router, norms and the attention core
// stay in BF16/FP32 (V3TR §3.3.1).
#include "moesim/workload/operators.h"

#include "moesim/common/error.h"

namespace moesim::workload {

namespace {

constexpr double kBf16 = 2.0;
constexpr double kFp32 = 4.0;
constexpr double kFp8Cached = 1.0 + 4.0 / 128.0;  // E4M3 value + FP32 scale per 128 values

SavedTensor kept(std::string what, double values, double bytes = kBf16) {
    return SavedTensor{std::move(what), values, bytes, false, false, false};
}
// The output of an RMSNorm, read by the projection(s) after it.
SavedTensor norm_output(double values, bool fp8_gemm) {
    return SavedTensor{"input (RMSNorm output)", values, kBf16, true, fp8_gemm, false};
}

Operator gemm(std::string name, std::int64_t n, std::int64_t k, std::int64_t count, ParamPlacement placement,
              bool fp8) {
    Operator op;
    op.name = std::move(name);
    op.kind = OpKind::Gemm;
    op.placement = placement;
    op.fp8_gemm = fp8;
    op.gemm = GemmShape{n, k, count};
    op.params = n * k;
    op.params_active = n * k * count;
    const double f = 2.0 * static_cast<double>(n) * static_cast<double>(k) * static_cast<double>(count);
    op.flops_fwd = f;
    op.flops_bwd_input = f;
    op.flops_bwd_weight = f;
    const double io = static_cast<double>(count) * static_cast<double>(n + k) * kBf16;
    op.hbm_bytes_fwd = io;       // read x, write y
    op.hbm_bytes_bwd = 2.0 * io; // dgrad: read dy, write dx; wgrad: read dy, x
    if (fp8) {
        // The FP8 casts V3TR describes and does not fuse (§3.5.2 asks future hardware to fuse
        // them): forward, x (BF16) is read and written as E4M3 + one FP32 scale per 1×128 tile;
        // backward, dy is read once and written twice (1×128 tiles for dgrad, 128×1 for wgrad),
        // and the cached FP8 x is read, dequantized, transposed and re-quantized into 128×1
        // tiles for wgrad. Inputs shared with an earlier GEMM are cast once (fp8_input_shared).
        const double in = static_cast<double>(count) * static_cast<double>(k);
        const double out = static_cast<double>(count) * static_cast<double>(n);
        op.fp8_cast_bytes_fwd = in * (kBf16 + kFp8Cached);
        op.fp8_cast_bytes_bwd = out * (kBf16 + 2.0 * kFp8Cached) + in * 2.0 * kFp8Cached;
    }
    return op;
}

// The GEMM with a bias of its n outputs on each of the `stored` weight copies (experts);
// a token reads `count` of them. The add (n FLOPs) is fused into the GEMM's epilogue and not
// counted, so model FLOPs stay 6 × the weight matrices' parameters.
Operator with_bias(Operator op, std::int64_t stored = 1) {
    op.params += op.gemm.n * stored;
    op.params_active += op.gemm.n * op.gemm.count;
    return op;
}

// A GEMM whose input another FP8 GEMM before it already cast (q_a and kv_a read the same
// normed x; gate and up read the same input): its input costs nothing more to quantize.
Operator fp8_input_shared(Operator op) {
    const double in = static_cast<double>(op.gemm.count) * static_cast<double>(op.gemm.k);
    op.fp8_cast_bytes_fwd = 0;
    op.fp8_cast_bytes_bwd -= in * 2.0 * kFp8Cached;
    return op;
}

Operator rms_norm(std::string name, std::int64_t dim) {
    Operator op;
    op.name = std::move(name);
    op.kind = OpKind::RMSNorm;
    op.placement = ParamPlacement::Replicated;
    op.params = dim;
    op.params_active = dim;
    op.hbm_bytes_fwd = 2.0 * kBf16 * static_cast<double>(dim);  // read x, write y
    op.hbm_bytes_bwd = 3.0 * kBf16 * static_cast<double>(dim);  // read x, dy; write dx
    op.saved.push_back(kept("input", static_cast<double>(dim)));
    op.recomputed_by_selective = true;
    return op;
}

Operator swiglu(std::string name, std::int64_t inter, std::int64_t count, bool moe) {
    Operator op;
    op.name = std::move(name);
    op.kind = OpKind::SwiGLU;
    const double i = static_cast<double>(inter) * static_cast<double>(count);
    op.hbm_bytes_fwd = 3.0 * kBf16 * i;  // read gate, up; write out
    op.hbm_bytes_bwd = 5.0 * kBf16 * i;  // read gate, up, dout; write dgate, dup
    op.saved.push_back(SavedTensor{"gate,up", 2.0 * i, kBf16, false, moe, false});
    return op;
}

Operator memory_op(std::string name, OpKind kind, double bytes_fwd, double bytes_bwd) {
    Operator op;
    op.name = std::move(name);
    op.kind = kind;
    op.hbm_bytes_fwd = bytes_fwd;
    op.hbm_bytes_bwd = bytes_bwd;
    return op;
}

// Rotary position embedding of `values` query and key values per token: each read with its
// cos/sin and written back (BF16); backward the same on their gradients.
Operator rotary(double values) {
    Operator op = memory_op("rotary", OpKind::Rotary, 2.0 * kBf16 * values, 2.0 * kBf16 * values);
    op.recomputed_by_selective = true;
    return op;
}

// A residual add of the block: x + f(x), reading both and writing the sum (BF16); backward the
// gradient of the residual stream is added to the branch's (read both, write one).
Operator residual_add(std::string name, double dim) {
    return memory_op(std::move(name), OpKind::Elementwise, 3.0 * kBf16 * dim, 3.0 * kBf16 * dim);
}

struct Builder {
    const ModelConfig& m;
    int seq_len;
    double d() const { return static_cast<double>(m.hidden_size); }

    void attention_mla(std::vector<Operator>& ops) const {
        const std::int64_t h = m.num_heads, dqk = m.qk_head_dim(), dv = m.v_head_dim;
        const std::int64_t rope = m.qk_rope_head_dim, nope = m.qk_nope_head_dim;
        if (m.q_lora_rank > 0) {
            auto q_a = gemm("q_a_proj", m.q_lora_rank, m.hidden_size, 1, ParamPlacement::TensorSplit, true);
            q_a.saved.push_back(norm_output(d(), true));
            ops.push_back(std::move(q_a));
            auto q_norm = rms_norm("q_a_norm", m.q_lora_rank);
            q_norm.saved[0].what = "input (c_q latent)";
            ops.push_back(std::move(q_norm));
            auto q_b = gemm("q_b_proj", h * dqk, m.q_lora_rank, 1, ParamPlacement::TensorSplit, true);
            q_b.saved.push_back(norm_output(static_cast<double>(m.q_lora_rank), true));
            q_b.recomputed_by_selective = true;  // an MLA up-projection
            ops.push_back(std::move(q_b));
        } else {
            // No query compression (V2-Lite): q_proj plays the role of the up-projection.
            auto q = gemm("q_proj", h * dqk, m.hidden_size, 1, ParamPlacement::TensorSplit, true);
            q.saved.push_back(norm_output(d(), true));
            q.recomputed_by_selective = true;
            ops.push_back(std::move(q));
        }
        // kv_a_proj_with_mqa: d -> kv_lora_rank + rope (the decoupled, head-shared k_rope).
        // Its input is the same normed hidden state q_a/q_proj keeps.
        auto kv_a = fp8_input_shared(gemm("kv_a_proj", m.kv_lora_rank + rope, m.hidden_size, 1, ParamPlacement::TensorSplit, true));
        kv_a.saved.push_back(kept("k_rope (for RoPE backward)", static_cast<double>(rope)));
        ops.push_back(std::move(kv_a));
        auto kv_norm = rms_norm("kv_a_norm", m.kv_lora_rank);
        kv_norm.saved[0].what = "input (c_kv latent)";
        ops.push_back(std::move(kv_norm));
        auto kv_b = gemm("kv_b_proj", h * (nope + dv), m.kv_lora_rank, 1, ParamPlacement::TensorSplit, true);
        kv_b.saved.push_back(norm_output(static_cast<double>(m.kv_lora_rank), true));
        kv_b.recomputed_by_selective = true;
        ops.push_back(std::move(kv_b));
        // RoPE on the decoupled parts: q_pe of every head and the head-shared k_pe; rerun with
        // the up-projections under selective recompute.
        ops.push_back(rotary(static_cast<double>(h * rope + rope)));
        // Training decompresses K and V per head, so the core is plain MHA with d_qk = 192.
        ops.push_back(attention_core(h, h, dqk, dv, /*up_projected=*/true,
                                     static_cast<double>(m.kv_lora_rank + rope)));
        ops.push_back(gemm("o_proj", m.hidden_size, h * dv, 1, ParamPlacement::TensorSplit, true));
    }

    void attention_gqa(std::vector<Operator>& ops) const {
        const std::int64_t h = m.num_heads, kvh = m.num_kv_heads, hd = m.head_dim;
        const auto biased = [](Operator op, bool bias) { return bias ? with_bias(std::move(op)) : op; };
        auto q = gemm("q_proj", h * hd, m.hidden_size, 1, ParamPlacement::TensorSplit, true);
        q.saved.push_back(norm_output(d(), true));
        ops.push_back(biased(std::move(q), m.qkv_bias));
        ops.push_back(biased(fp8_input_shared(gemm("k_proj", kvh * hd, m.hidden_size, 1, ParamPlacement::TensorSplit, true)),
                             m.qkv_bias));
        ops.push_back(biased(fp8_input_shared(gemm("v_proj", kvh * hd, m.hidden_size, 1, ParamPlacement::TensorSplit, true)),
                             m.qkv_bias));
        if (m.qk_norm) {
            // Qwen3: one RMSNorm weight of head_dim shared by all query (key) heads.
            for (auto [name, heads] : {std::pair{"q_norm", h}, std::pair{"k_norm", kvh}}) {
                auto norm = rms_norm(name, heads * hd);
                norm.params = norm.params_active = hd;
                ops.push_back(std::move(norm));
            }
        }
        ops.push_back(rotary(static_cast<double>((h + kvh) * hd)));
        auto core = attention_core(h, kvh, hd, hd, false, 2.0 * static_cast<double>(kvh * hd));
        if (m.attention_sinks) {
            // gpt-oss: one learned logit per head joins each softmax; its FLOPs are negligible.
            core.placement = ParamPlacement::TensorSplit;
            core.params = core.params_active = h;
        }
        ops.push_back(std::move(core));
        ops.push_back(biased(gemm("o_proj", m.hidden_size, h * hd, 1, ParamPlacement::TensorSplit, true), m.o_bias));
    }

    Operator attention_core(std::int64_t h, std::int64_t kvh, std::int64_t dqk, std::int64_t dv, bool up_projected,
                            double kv_cache_values) const {
        Operator op;
        op.name = "attn_core";
        op.kind = OpKind::AttentionCore;
        op.attn = AttentionShape{h, kvh, dqk, dv, seq_len, true};
        const double s = static_cast<double>(seq_len);
        op.flops_fwd = static_cast<double>(h) * static_cast<double>(dqk + dv) * s;  // 2·h·(dqk+dv)·s/2
        op.flops_bwd_input = 2.0 * op.flops_fwd;
        const double q = static_cast<double>(h * dqk), k = static_cast<double>(kvh * dqk);
        const double v = static_cast<double>(kvh * dv), o = static_cast<double>(h * dv);
        op.hbm_bytes_fwd = (q + k + v + o) * kBf16;
        op.hbm_bytes_bwd = 2.0 * (q + k + v + o) * kBf16;  // read q,k,v,o,do; write dq,dk,dv
        op.saved.push_back(SavedTensor{"q", q, kBf16, up_projected, false, false});
        op.saved.push_back(SavedTensor{"k", k, kBf16, up_projected, false, false});
        op.saved.push_back(SavedTensor{"v", v, kBf16, up_projected, false, false});
        op.saved.push_back(kept("out", o));  // also o_proj's input
        op.saved.push_back(kept("softmax logsumexp", static_cast<double>(h), kFp32));
        op.kv_cache_values = kv_cache_values;
        return op;
    }

    void dense_ffn(std::vector<Operator>& ops) const {
        const std::int64_t inter = m.intermediate_size;
        auto gate = gemm("gate_proj", inter, m.hidden_size, 1, ParamPlacement::TensorSplit, true);
        gate.saved.push_back(norm_output(d(), true));
        ops.push_back(std::move(gate));
        ops.push_back(fp8_input_shared(gemm("up_proj", inter, m.hidden_size, 1, ParamPlacement::TensorSplit, true)));
        ops.push_back(swiglu("swiglu", inter, 1, false));
        auto down = gemm("down_proj", m.hidden_size, inter, 1, ParamPlacement::TensorSplit, true);
        down.saved.push_back(SavedTensor{"input (SwiGLU output)", static_cast<double>(inter), kBf16, false, true, false});
        ops.push_back(std::move(down));
    }

    // gpt-oss experts carry a bias on each projection (every expert stores its own).
    Operator expert_biased(Operator op) const {
        return m.expert_bias ? with_bias(std::move(op), m.n_routed_experts) : op;
    }

    void moe_ffn(std::vector<Operator>& ops) const {
        const std::int64_t n = m.n_routed_experts, k = m.experts_per_token, inter = m.moe_intermediate_size;
        const double kd = static_cast<double>(k) * d();

        Operator router = gemm("router", n, m.hidden_size, 1, ParamPlacement::Replicated, false);
        router.kind = OpKind::Router;
        router.hbm_bytes_fwd += static_cast<double>(n) * kFp32;  // scores for top-k
        router.hbm_bytes_bwd += static_cast<double>(n) * kFp32;
        router.saved.push_back(norm_output(d(), false));
        router.saved.push_back(kept("scores", static_cast<double>(n), kFp32));
        ops.push_back(m.expert_bias ? with_bias(std::move(router)) : std::move(router));

        if (m.n_shared_experts > 0) {
            // The shared experts run as one SwiGLU MLP of n_shared × moe_intermediate_size
            // (DeepseekV2MoE.shared_experts) or of shared_expert_intermediate_size (Qwen2-MoE);
            // their input is the router's.
            const std::int64_t si = m.shared_intermediate();
            ops.push_back(gemm("shared_gate", si, m.hidden_size, 1, ParamPlacement::TensorSplit, true));
            ops.push_back(fp8_input_shared(gemm("shared_up", si, m.hidden_size, 1, ParamPlacement::TensorSplit, true)));
            ops.push_back(swiglu("shared_swiglu", si, 1, true));
            auto down = gemm("shared_down", m.hidden_size, si, 1, ParamPlacement::TensorSplit, true);
            down.saved.push_back(SavedTensor{"input (SwiGLU output)", static_cast<double>(si), kBf16, false, true, true});
            ops.push_back(std::move(down));
            if (m.shared_expert_gate) {
                // Qwen2-MoE: sigmoid(x·w_gate) scales the shared expert's output (d -> 1).
                ops.push_back(gemm("shared_expert_gate", 1, m.hidden_size, 1, ParamPlacement::Replicated, false));
            }
        }

        ops.push_back(memory_op("moe_dispatch", OpKind::MoeDispatch, (1.0 + static_cast<double>(k)) * d() * kBf16,
                                (1.0 + static_cast<double>(k)) * d() * kBf16));
        // Routed experts: top-k of n, each a SwiGLU MLP of moe_intermediate_size. The gating
        // weight scales the SwiGLU output inside the expert (as Megatron and DeepSeek do), so
        // its gradient is <a, da> and the expert outputs need not be kept for the combine.
        auto gate = gemm("expert_gate", inter, m.hidden_size, k, ParamPlacement::Expert, true);
        // Tokens are dispatched already in FP8 (V3TR §3.3.4), cast once per token before the
        // dispatch — by the shared expert's cast of the same input when there is one.
        gate.fp8_cast_bytes_fwd = m.n_shared_experts > 0 ? 0.0 : d() * (kBf16 + kFp8Cached);
        gate.params = n * inter * m.hidden_size;
        gate.saved.push_back(SavedTensor{"input (dispatched tokens)", kd, kBf16, false, true, false});
        ops.push_back(expert_biased(std::move(gate)));
        auto up = fp8_input_shared(gemm("expert_up", inter, m.hidden_size, k, ParamPlacement::Expert, true));
        up.params = n * inter * m.hidden_size;
        ops.push_back(expert_biased(std::move(up)));
        auto act = swiglu("expert_swiglu", inter, k, true);
        act.saved.push_back(kept("gating weights", static_cast<double>(k), kFp32));
        ops.push_back(std::move(act));
        auto down = gemm("expert_down", m.hidden_size, inter, k, ParamPlacement::Expert, true);
        down.params = n * inter * m.hidden_size;
        down.saved.push_back(SavedTensor{"input (SwiGLU output)", static_cast<double>(k * inter), kBf16, false, true, true});
        ops.push_back(expert_biased(std::move(down)));
        ops.push_back(memory_op("moe_combine", OpKind::MoeCombine, (1.0 + static_cast<double>(k)) * d() * kBf16,
                                (1.0 + static_cast<double>(k)) * d() * kBf16));
    }

    // One transformer block; `position` decides dense vs MoE by HF's rule.
    std::vector<Operator> block(std::int64_t position) const {
        std::vector<Operator> ops;
        ops.push_back(rms_norm("attn_norm", m.hidden_size));
        if (m.attention == AttentionKind::MLA)
            attention_mla(ops);
        else
            attention_gqa(ops);
        ops.push_back(residual_add("attn_residual", d()));
        ops.push_back(rms_norm("ffn_norm", m.hidden_size));
        if (m.is_moe_layer(position))
            moe_ffn(ops);
        else
            dense_ffn(ops);
        ops.push_back(residual_add("ffn_residual", d()));
        return ops;
    }

    Operator embedding(std::string name, bool shared) const {
        Operator op = memory_op(std::move(name), OpKind::Embedding, 2.0 * kBf16 * d(), 2.0 * kBf16 * d());
        op.placement = ParamPlacement::VocabSplit;
        op.params = shared ? 0 : m.vocab_size * m.hidden_size;
        // A token reads one row of the table. Counting the lookup as d (not V·d) active
        // parameters reproduces DeepSeek's published active counts (see model_accounting.cpp).
        op.params_active = shared ? 0 : m.hidden_size;
        return op;
    }

    // Final norm, LM head GEMM (V×d) and the loss; names get `prefix` ("" or "mtp_").
    void head(std::vector<Operator>& ops, const std::string& prefix, bool shared_weights) const {
        ops.push_back(rms_norm(prefix.empty() ? "final_norm" : prefix + "norm", m.hidden_size));
        auto lm = gemm(prefix.empty() ? "lm_head" : prefix + "head", m.vocab_size, m.hidden_size, 1, ParamPlacement::VocabSplit, false);
        if (shared_weights) lm.params = 0;  // tied to / shared with the embedding; still a V×d GEMM per token
        lm.saved.push_back(norm_output(d(), false));
        ops.push_back(std::move(lm));
        const double v = static_cast<double>(m.vocab_size);
        auto loss = memory_op(prefix + "loss", OpKind::Loss, v * kBf16, 2.0 * v * kBf16);
        loss.saved.push_back(kept("logits", v));
        ops.push_back(std::move(loss));
    }
};

}  // namespace

std::string to_string(OpKind k) {
    switch (k) {
        case OpKind::Embedding: return "embedding";
        case OpKind::RMSNorm: return "rmsnorm";
        case OpKind::Gemm: return "gemm";
        case OpKind::AttentionCore: return "attention";
        case OpKind::SwiGLU: return "swiglu";
        case OpKind::Router: return "router";
        case OpKind::MoeDispatch: return "moe_dispatch";
        case OpKind::MoeCombine: return "moe_combine";
        case OpKind::Loss: return "loss";
        case OpKind::Rotary: return "rotary";
        case OpKind::Elementwise: return "elementwise";
        case OpKind::Invalid: break;
    }
    return "invalid";
}

std::string to_string(LayerKind k) {
    switch (k) {
        case LayerKind::Embedding: return "embedding";
        case LayerKind::Dense: return "dense";
        case LayerKind::Moe: return "moe";
        case LayerKind::Mtp: return "mtp";
        case LayerKind::Head: return "head";
        case LayerKind::Invalid: break;
    }
    return "invalid";
}

std::string memory_class(OpKind k) {
    if (k == OpKind::Rotary || k == OpKind::Elementwise) return to_string(k);
    return "";
}

double Operator::saved_bytes(Recompute recompute, Precision precision) const {
    double bytes = 0;
    for (const auto& t : saved) {
        if (recompute == Recompute::Selective && t.dropped_by_selective) continue;
        if (precision == Precision::FP8 && t.dropped_by_fp8) continue;
        const bool fp8 = precision == Precision::FP8 && t.fp8_cacheable;
        bytes += t.values * (fp8 ? kFp8Cached : t.bytes_per_value);
    }
    return bytes;
}

namespace {
template <class T, class Get>
T sum_ops(const std::vector<Operator>& ops, Get get) {
    T total{};
    for (const auto& op : ops) total += get(op);
    return total;
}
}  // namespace

std::int64_t Layer::params() const {
    return sum_ops<std::int64_t>(ops, [](const Operator& op) { return op.params; });
}
std::int64_t Layer::params_active() const {
    return sum_ops<std::int64_t>(ops, [](const Operator& op) { return op.params_active; });
}
double Layer::flops_fwd() const {
    return sum_ops<double>(ops, [](const Operator& op) { return op.flops_fwd; });
}
double Layer::flops_bwd_input() const {
    return sum_ops<double>(ops, [](const Operator& op) { return op.flops_bwd_input; });
}
double Layer::flops_bwd_weight() const {
    return sum_ops<double>(ops, [](const Operator& op) { return op.flops_bwd_weight; });
}
double Layer::kv_cache_values() const {
    return sum_ops<double>(ops, [](const Operator& op) { return op.kv_cache_values; });
}

double Layer::saved_bytes(Recompute recompute, Precision precision) const {
    if (recompute == Recompute::Full && is_transformer()) {
        // Only the block's input stays (an MTP module has two: h and the next token's
        // embedding); everything else is recomputed from it.
            return input_values * kBf16;
    }
    const Recompute per_op = recompute == Recompute::Full ? Recompute::None : recompute;
    double bytes = 0;
    for (const auto& op : ops) bytes += op.saved_bytes(per_op, precision);
    return bytes;
}

double Layer::recompute_flops(Recompute recompute) const {
    if (recompute == Recompute::Full) return is_transformer() ? flops_fwd() : 0.0;
    if (recompute != Recompute::Selective) return 0.0;
    double f = 0;
    for (const auto& op : ops)
        if (op.recomputed_by_selective) f += op.flops_fwd;
    return f;
}

std::vector<Layer> build_layers(const ModelConfig& m, int seq_len) {
    MOESIM_CHECK(seq_len > 0, "seq_len must be positive");
    MOESIM_CHECK(m.attention != AttentionKind::Invalid, "model " + m.name + " has no attention kind");
    const Builder b{m, seq_len};
    std::vector<Layer> layers;

    const double d = b.d();
    layers.push_back(Layer{"embedding", LayerKind::Embedding, -1, 0.0, {b.embedding("embedding", false)}});
    for (std::int64_t i = 0; i < m.num_layers; ++i)
        layers.push_back(Layer{"layer." + std::to_string(i), m.is_moe_layer(i) ? LayerKind::Moe : LayerKind::Dense,
                               static_cast<int>(i), d, b.block(i)});
    Layer head{"head", LayerKind::Head, -1, d, {}};
    b.head(head.ops, "", m.tie_word_embeddings);
    layers.push_back(std::move(head));

    // MTP module k (V3TR §2.2): the next token's embedding (shared with the main model) and
    // the previous depth's output are each RMSNormed, concatenated and projected 2d -> d
    // (eh_proj), go through one transformer block, then a norm and the shared output head.
    // Unique parameters: enorm, hnorm, eh_proj, the block, the final norm.
    for (std::int64_t k = 0; k < m.mtp_layers; ++k) {
        Layer mtp{"mtp." + std::to_string(k), LayerKind::Mtp, static_cast<int>(k), 2.0 * d, {}};
        mtp.ops.push_back(rms_norm("enorm", m.hidden_size));
        mtp.ops.push_back(rms_norm("hnorm", m.hidden_size));
        mtp.ops.push_back(b.embedding("embedding (shared)", true));
        auto eh = gemm("eh_proj", m.hidden_size, 2 * m.hidden_size, 1, ParamPlacement::TensorSplit, false);
        eh.saved.push_back(norm_output(2.0 * b.d(), false));
        mtp.ops.push_back(std::move(eh));
        for (auto& op : b.block(m.num_layers + k)) mtp.ops.push_back(std::move(op));
        b.head(mtp.ops, "mtp_", /*shared_weights=*/true);
        layers.push_back(std::move(mtp));
    }
    return layers;
}

}  // namespace moesim::workload
