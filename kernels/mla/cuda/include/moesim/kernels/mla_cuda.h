#pragma once
// MLA attention on the GPU (C++17, includable from .cu files). BF16 inputs and outputs, FP32
// scores, softmax and accumulators; what each computes is the CPU reference of mla_decode.h /
// mla_prefill.h. Both run one flash-attention kernel (flash_attention.cuh) on BF16 tensor
// cores (mma.sync, sm_80+); they need 146 KiB (decode) and 109 KiB (prefill) of shared memory
// per block, which H100/H200 and A100 offer — elsewhere the launch throws, saying so.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace moesim::kernels {

// Decode over the paged latent cache (FlashMLA's layout): q batch × s_q × heads × 576, the cache
// num_blocks × 64 × 576 (512 latent + 64 RoPE per token; the values are the 512 latent dims),
// out batch × s_q × heads × 512. Work: one CTA per 64 query rows (s_q · heads rows per sequence)
// and per KV split; with more than one split, partial results and their log-sum-exp go to
// `workspace` and a second kernel combines them.
struct MlaDecodeArgs {
    int batch = 0, s_q = 1, heads = 0;
    float softmax_scale = 0.0f;
    const int* seq_lens = nullptr;        // device, batch entries, each ≥ s_q
    int max_seq_len = 0;                  // host-known upper bound of seq_lens (sizes the splits)
    const std::uint16_t* q = nullptr;
    const std::uint16_t* kv_cache = nullptr;
    const int* block_table = nullptr;     // device, batch × max_blocks_per_seq
    int max_blocks_per_seq = 0;
    std::uint16_t* out = nullptr;
    int num_splits = 1;                   // ≥ 1; see mla_decode_splits
    float* workspace = nullptr;           // mla_decode_workspace_floats(args) floats when num_splits > 1
};

// A split count that fills the GPU in one wave: 1 when batch × row blocks already give every SM
// a CTA, else enough splits of the longest sequence to do so (each split ≥ 32 tokens).
int mla_decode_splits(int batch, int s_q, int heads, int max_seq_len, int sm_count);
std::size_t mla_decode_workspace_floats(const MlaDecodeArgs& args);
void launch_mla_decode(const MlaDecodeArgs& args, cudaStream_t stream);

// Prefill: q, k batch × seq_len × heads × 192; v, out batch × seq_len × heads × 128; causal.
struct MlaPrefillArgs {
    int batch = 0, seq_len = 0, heads = 0;
    float softmax_scale = 0.0f;
    const std::uint16_t* q = nullptr;
    const std::uint16_t* k = nullptr;
    const std::uint16_t* v = nullptr;
    std::uint16_t* out = nullptr;
};
void launch_mla_prefill(const MlaPrefillArgs& args, cudaStream_t stream);

}  // namespace moesim::kernels
