#pragma once
// MLA prefill attention (DeepSeek-V2/V3 §2.1 of the V3 report): in prefill and training the
// latent is expanded per head, so attention is ordinary causal multi-head attention with query
// and key head dimension 192 (128 "nope" + 64 RoPE; the RoPE part of the key is shared by the
// heads, but expanded it is just part of each head's key) and value head dimension 128
// (PUBLISHED.md A: 128 heads, d_h 128, d_h^R 64). For sequence b, head h, position i:
//   out = softmax(scale · q_i · k_jᵀ for j ≤ i) · v_j
// Layouts (row-major): q, k [batch, seq, heads, 192]; v, out [batch, seq, heads, 128].
// The reference is FP32 in and out and accumulates in double.
#include <span>
#include <vector>

namespace moesim::kernels {

inline constexpr int kMlaQkDim = 192;  // 128 + 64
inline constexpr int kMlaVDim = 128;

struct MlaPrefillParams {
    int batch = 0, seq_len = 0, heads = 0;
    float softmax_scale = 0.0f;
    std::span<const float> q, k, v;
    std::span<float> out;  // may be empty for mla_prefill_reference_row
};

void mla_prefill_reference(const MlaPrefillParams& p);

// One output row (sequence b, position i, head h): 128 values in double.
std::vector<double> mla_prefill_reference_row(const MlaPrefillParams& p, int b, int i, int h);

struct MlaPrefillShape {
    int batch = 0, heads = 0, seq_len = 0;
};

// Causal counts, as FlashAttention's benchmarks count them but exactly: s(s+1)/2 query-key pairs
// per sequence and head, each 2·(192 + 128) FLOPs (QKᵀ and PV); bytes: q, k, v and out once,
// BF16.
double mla_prefill_flops(const MlaPrefillShape& s);
double mla_prefill_bytes(const MlaPrefillShape& s);

}  // namespace moesim::kernels
