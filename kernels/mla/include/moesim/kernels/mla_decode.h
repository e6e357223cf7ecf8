#pragma once
// MLA decode attention over the compressed latent cache (DeepSeek-V2/V3; FlashMLA's layout),
// with the projections absorbed: each query head is already in latent space (512 latent +
// 64 RoPE = 576 dims), the one KV "head" per token is [c (512); k_rope (64)], and the values
// are the 512 latent dims. For each sequence b, query token t and head h:
//   out = softmax(scale · q · [c; k_rope]ᵀ) · c
// over the cached tokens query t may see (causal: with s_q query tokens, token t sees the first
// seq_len − (s_q − 1 − t)). The cache is paged: blocks of 64 tokens, each sequence's blocks
// named by its row of the block table.
//
// The reference is FP32 in and out (a BF16 kernel's inputs convert exactly) and accumulates
// in double. Inconsistent sizes throw InternalError naming file:line (MOESIM_CHECK).
#include <cstdint>
#include <span>
#include <vector>

namespace moesim::kernels {

inline constexpr int kMlaLatentDim = 512;  // d_c, also d_v
inline constexpr int kMlaRopeDim = 64;     // d_h^R
inline constexpr int kMlaKDim = kMlaLatentDim + kMlaRopeDim;  // 576
inline constexpr int kMlaBlockSize = 64;   // tokens per KV page

struct MlaDecodeParams {
    int batch = 0;
    int s_q = 1;       // query tokens per sequence (1; 2 with multi-token prediction)
    int heads_q = 0;   // query heads sharing the one latent KV head
    float softmax_scale = 0.0f;
    std::span<const int> seq_lens;            // batch; each ≥ s_q
    std::span<const float> q;                 // batch · s_q · heads_q · 576
    std::span<const float> kv_cache;          // num_blocks · 64 · 576
    std::span<const std::int32_t> block_table;  // batch · max_blocks_per_seq
    int max_blocks_per_seq = 0;
    std::span<float> out;                     // batch · s_q · heads_q · 512
};

void mla_decode_reference(const MlaDecodeParams& p);

// One output row of the same reference (sequence b, query token t, head h): 512 values in
// double, for checking a GPU result at sampled rows (p.out is not used).
std::vector<double> mla_decode_reference_row(const MlaDecodeParams& p, int b, int t, int h);

// A decode problem as the suite names it: `batch` sequences of `cached_tokens` each, s_q query
// tokens per sequence, heads_q query heads (FlashMLA's benchmark: b, s_q, h_q, s_k).
struct MlaDecodeShape {
    int batch = 0, s_q = 1, heads = 0, cached_tokens = 0;
};

// FlashMLA's benchmark metrics (PUBLISHED.md E; tests/test_flash_mla.py):
//   FLOPs = 2 · s_q · Σs_k · h_q · (d_k + d_v)
//   bytes = 2 · (Σs_k · d_k + b · s_q · h_q · (d_k + d_v))   (BF16: 2 bytes a value)
// with d_k = 576, d_v = 512 and b the number of sequences.
double flashmla_flops(int s_q, std::span<const int> seq_lens, int heads_q);
double flashmla_bytes(int s_q, std::span<const int> seq_lens, int heads_q);

}  // namespace moesim::kernels
