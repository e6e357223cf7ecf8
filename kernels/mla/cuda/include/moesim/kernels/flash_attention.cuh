#pragma once
// One flash-attention kernel (FlashAttention-2's online softmax on mma.sync BF16 tensor cores)
// for both MLA paths:
//   decode:  576-dim keys from the paged latent cache, values = their first 512 dims (the same
//            shared-memory tile), 64 query rows (heads × query tokens) per CTA, split over KV;
//   prefill: 192-dim keys, separate 128-dim values, 64 query positions of one head per CTA.
//
// A CTA holds its query rows in shared memory and streams KV tiles of kBlockN tokens through a
// cp.async double buffer. Warp (m, n) owns query rows 16m..16m+15 and output dims
// [n·kDV/kWarpsN, (n+1)·kDV/kWarpsN); with kWarpsN = 2 (decode) both warps of a row group compute
// the same scores (S = Q·Kᵀ, 16 × kBlockN), a deliberate redundancy that keeps P in registers.
// Fragment layouts (PTX ISA, mma.m16n8k16 and ldmatrix): with g = lane/4, t = lane%4, a thread
// holds S[g][2t..2t+1] and S[g+8][2t..2t+1] of each 8-token tile, which are exactly its A
// fragment of P for the P·V MMA; V's B fragments come from ldmatrix.trans of the [token][dim]
// tile. Rows are padded by 16 bytes so that the 8 row addresses of each ldmatrix hit distinct
// banks (stride / 16 odd).
#include <cstdint>

#include "moesim/kernels/device_utils.cuh"

namespace moesim::kernels::flash {

template <int kDQK_, int kDV_, int kWarpsM_, int kWarpsN_, int kBlockN_, bool kPaged_>
struct Traits {
    static constexpr int kDQK = kDQK_, kDV = kDV_, kWarpsM = kWarpsM_, kWarpsN = kWarpsN_;
    static constexpr int kBlockN = kBlockN_;
    static constexpr bool kPaged = kPaged_;          // paged cache, V = first kDV dims of K
    static constexpr bool kSharedKV = kPaged_;
    static constexpr int kRows = 16 * kWarpsM;
    static constexpr int kThreads = 32 * kWarpsM * kWarpsN;
    static constexpr int kDVWarp = kDV / kWarpsN;
    static constexpr int kQStride = kDQK * 2 + 16;   // bytes per padded row
    static constexpr int kKStride = kDQK * 2 + 16;
    static constexpr int kVStride = kSharedKV ? kKStride : kDV * 2 + 16;
    static constexpr int kQBytes = kRows * kQStride;
    static constexpr int kKTileBytes = kBlockN * kKStride;
    static constexpr int kVTileBytes = kSharedKV ? 0 : kBlockN * kVStride;
    static constexpr int kSmemBytes = kQBytes + 2 * (kKTileBytes + kVTileBytes);
    static_assert(kDQK % 16 == 0 && kDVWarp % 16 == 0 && kBlockN % 16 == 0, "MMA tiling");
    static_assert(!kPaged || 64 % kBlockN == 0, "a KV tile must lie inside one 64-token page");
};

inline constexpr int kPageTokens = 64;

struct Params {
    const std::uint16_t* q;
    const std::uint16_t* k;       // paged: the cache
    const std::uint16_t* v;       // unused when paged
    std::uint16_t* out;
    const int* seq_lens;          // device (decode) or null (prefill: every length is fixed_len)
    int fixed_len;
    const int* block_table;
    int max_blocks;
    int heads;                    // heads laid out per position (prefill); 1 for decode
    int rows_per_seq;             // query rows per (sequence, head): s_q·heads (decode) or seq_len
    int rows_per_qpos;            // rows per query position: heads (decode) or 1
    int n_qpos;                   // query positions: s_q or seq_len; key j is visible to position
                                  // i when j ≤ i + len − n_qpos
    float scale_log2;             // softmax_scale · log2(e): scores in base 2
    int split_tokens;             // tokens per KV split (a multiple of kBlockN)
    int num_splits;
    float* o_partial;             // num_splits > 1: [split][bh][row][kDV], normalised per split
    float* lse_partial;           // [split][bh][row], base-2 log-sum-exp, −inf for none
    bool reverse_row_blocks;      // prefill: heaviest (last) row blocks first
};

template <class T>
__global__ void __launch_bounds__(T::kThreads, 1) flash_kernel(const Params p) {
    extern __shared__ __align__(16) std::uint8_t smem[];
    std::uint8_t* const sq = smem;
    std::uint8_t* const sk = smem + T::kQBytes;
    std::uint8_t* const sv = sk + 2 * T::kKTileBytes;

    const int tid = static_cast<int>(threadIdx.x), lane = tid & 31, warp = tid >> 5;
    const int warp_m = warp / T::kWarpsN, warp_n = warp % T::kWarpsN;
    const int g = lane >> 2, t = lane & 3;
    const int bh = static_cast<int>(blockIdx.y), b = bh / p.heads, h = bh % p.heads;
    const int row_block = p.reverse_row_blocks ? static_cast<int>(gridDim.x - 1 - blockIdx.x) : static_cast<int>(blockIdx.x);
    const int row0 = row_block * T::kRows;
    const int split = static_cast<int>(blockIdx.z);

    const int len = p.seq_lens ? p.seq_lens[b] : p.fixed_len;
    const int offset = len - p.n_qpos;
    const int rows_valid = min(T::kRows, p.rows_per_seq - row0);
    const int last_qpos = (row0 + rows_valid - 1) / p.rows_per_qpos;
    const int kv_end = min(len, last_qpos + offset + 1);  // causal bound of the CTA's last row
    const int split_begin = split * p.split_tokens;
    const int split_end = min(kv_end, split_begin + p.split_tokens);
    const int n_tiles = split_end > split_begin ? (split_end - split_begin + T::kBlockN - 1) / T::kBlockN : 0;

    // Element offsets of this (sequence, head): rows of q / out / k / v are heads·dim apart.
    const long long seq_row0 = static_cast<long long>(b) * p.rows_per_seq * p.heads + h;
    const long long q_stride = static_cast<long long>(p.heads) * T::kDQK;
    const long long v_stride = static_cast<long long>(p.heads) * T::kDV;
    const std::uint16_t* q_base = p.q + seq_row0 * T::kDQK;

    // Per thread: rows g and g+8 of its warp's 16.
    float m_run[2] = {-INFINITY, -INFINITY}, l_run[2] = {0.0f, 0.0f};
    float acc[T::kDVWarp / 8][4];
#pragma unroll
    for (int i = 0; i < T::kDVWarp / 8; ++i) acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.0f;

    if (n_tiles > 0) {
        // Query rows (absent rows zero-filled: finite scores, never written).
        constexpr int kQChunks = T::kDQK * 2 / 16;
        for (int c = tid; c < T::kRows * kQChunks; c += T::kThreads) {
            const int row = c / kQChunks, ch = c % kQChunks;
            const bool valid = row < rows_valid;
            device::cp_async_16(sq + row * T::kQStride + ch * 16,
                                q_base + (valid ? (row0 + row) * q_stride : 0) + ch * 8, valid);
        }
        auto load_tile = [&](int buffer, int tile) {
            const int j0 = split_begin + tile * T::kBlockN;
            constexpr int kKChunks = T::kDQK * 2 / 16;
            std::uint8_t* kdst = sk + buffer * T::kKTileBytes;
            for (int c = tid; c < T::kBlockN * kKChunks; c += T::kThreads) {
                const int tok = c / kKChunks, ch = c % kKChunks, j = j0 + tok;
                const bool valid = j < split_end;  // beyond: zero-filled, masked below
                const std::uint16_t* src;
                if constexpr (T::kPaged) {
                    const int jj = valid ? j : split_begin;
                    const long long page = p.block_table[static_cast<long long>(b) * p.max_blocks + jj / kPageTokens];
                    src = p.k + (page * kPageTokens + jj % kPageTokens) * T::kDQK + ch * 8;
                } else {
                    src = p.k + seq_row0 * T::kDQK + (valid ? j : split_begin) * q_stride + ch * 8;
                }
                device::cp_async_16(kdst + tok * T::kKStride + ch * 16, src, valid);
            }
            if constexpr (!T::kSharedKV) {
                constexpr int kVChunks = T::kDV * 2 / 16;
                std::uint8_t* vdst = sv + buffer * T::kVTileBytes;
                for (int c = tid; c < T::kBlockN * kVChunks; c += T::kThreads) {
                    const int tok = c / kVChunks, ch = c % kVChunks, j = j0 + tok;
                    const bool valid = j < split_end;
                    device::cp_async_16(vdst + tok * T::kVStride + ch * 16,
                                        p.v + seq_row0 * T::kDV + (valid ? j : split_begin) * v_stride + ch * 8, valid);
                }
            }
        };

        load_tile(0, 0);
        device::cp_async_commit();
        for (int tile = 0; tile < n_tiles; ++tile) {
            if (tile + 1 < n_tiles) {
                load_tile((tile + 1) & 1, tile + 1);
                device::cp_async_commit();
                device::cp_async_wait<1>();
            } else {
                device::cp_async_wait<0>();
            }
            __syncthreads();
            const std::uint8_t* kt = sk + (tile & 1) * T::kKTileBytes;
            const std::uint8_t* vt = T::kSharedKV ? kt : sv + (tile & 1) * T::kVTileBytes;

            // S = Q · Kᵀ for the warp's 16 rows and the tile's tokens.
            float s[T::kBlockN / 8][4];
#pragma unroll
            for (int i = 0; i < T::kBlockN / 8; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.0f;
#pragma unroll 4
            for (int kk = 0; kk < T::kDQK / 16; ++kk) {
                std::uint32_t a[4];
                device::ldmatrix_x4(a, sq + (warp_m * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * T::kQStride +
                                           (kk * 16 + (lane >> 4) * 8) * 2);
#pragma unroll
                for (int np = 0; np < T::kBlockN / 16; ++np) {
                    std::uint32_t bf[4];
                    device::ldmatrix_x4(bf, kt + (np * 16 + (lane & 7) + (lane >> 4) * 8) * T::kKStride +
                                                (kk * 16 + ((lane >> 3) & 1) * 8) * 2);
                    const std::uint32_t b0[2] = {bf[0], bf[1]}, b1[2] = {bf[2], bf[3]};
                    device::mma_bf16_16x8x16(s[2 * np], a, b0);
                    device::mma_bf16_16x8x16(s[2 * np + 1], a, b1);
                }
            }

            // Mask, then the online softmax update of rows g (half 0) and g + 8 (half 1).
            const int j0 = split_begin + tile * T::kBlockN;
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                const int row = row0 + warp_m * 16 + g + 8 * half;
                const int limit = min(row / p.rows_per_qpos + offset, split_end - 1);
                float tile_max = -INFINITY;
#pragma unroll
                for (int nt = 0; nt < T::kBlockN / 8; ++nt)
#pragma unroll
                    for (int e = 0; e < 2; ++e) {
                        const int j = j0 + nt * 8 + 2 * t + e;
                        float& x = s[nt][2 * half + e];
                        x = j <= limit ? x * p.scale_log2 : -INFINITY;
                        tile_max = fmaxf(tile_max, x);
                    }
                tile_max = fmaxf(tile_max, __shfl_xor_sync(0xFFFFFFFFu, tile_max, 1));
                tile_max = fmaxf(tile_max, __shfl_xor_sync(0xFFFFFFFFu, tile_max, 2));
                const float m_new = fmaxf(m_run[half], tile_max);
                const float m_use = m_new == -INFINITY ? 0.0f : m_new;  // nothing visible yet
                const float alpha = exp2f(m_run[half] - m_use);          // 0 when m_run was −inf
                m_run[half] = m_new;
                float row_sum = 0.0f;
#pragma unroll
                for (int nt = 0; nt < T::kBlockN / 8; ++nt)
#pragma unroll
                    for (int e = 0; e < 2; ++e) {
                        float& x = s[nt][2 * half + e];
                        x = exp2f(x - m_use);
                        row_sum += x;
                    }
                l_run[half] = l_run[half] * alpha + row_sum;
#pragma unroll
                for (int i = 0; i < T::kDVWarp / 8; ++i) {
                    acc[i][2 * half] *= alpha;
                    acc[i][2 * half + 1] *= alpha;
                }
            }

            // O += P · V over the warp's output dims.
#pragma unroll
            for (int kk = 0; kk < T::kBlockN / 16; ++kk) {
                const std::uint32_t a[4] = {device::pack_bf16x2(s[2 * kk][0], s[2 * kk][1]),
                                            device::pack_bf16x2(s[2 * kk][2], s[2 * kk][3]),
                                            device::pack_bf16x2(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                            device::pack_bf16x2(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
                for (int np = 0; np < T::kDVWarp / 16; ++np) {
                    const int n0 = warp_n * T::kDVWarp + np * 16;
                    std::uint32_t bf[4];
                    device::ldmatrix_x4_trans(bf, vt + (kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * T::kVStride +
                                                      (n0 + (lane >> 4) * 8) * 2);
                    const std::uint32_t b0[2] = {bf[0], bf[1]}, b1[2] = {bf[2], bf[3]};
                    device::mma_bf16_16x8x16(acc[2 * np], a, b0);
                    device::mma_bf16_16x8x16(acc[2 * np + 1], a, b1);
                }
            }
            __syncthreads();  // the buffer is reloaded two tiles on
        }
    }

    // Normalise and write: straight to out (one split), or the split's part and its LSE.
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        float l = l_run[half];
        l += __shfl_xor_sync(0xFFFFFFFFu, l, 1);
        l += __shfl_xor_sync(0xFFFFFFFFu, l, 2);
        const int row = row0 + warp_m * 16 + g + 8 * half;
        if (row - row0 >= rows_valid) continue;
        const float inv = l > 0.0f ? 1.0f / l : 0.0f;
        if (p.num_splits == 1) {
            std::uint16_t* out_row = p.out + (seq_row0 + static_cast<long long>(row) * p.heads) * T::kDV;
#pragma unroll
            for (int i = 0; i < T::kDVWarp / 8; ++i) {
                const int col = warp_n * T::kDVWarp + i * 8 + 2 * t;
                *reinterpret_cast<std::uint32_t*>(out_row + col) =
                    device::pack_bf16x2(acc[i][2 * half] * inv, acc[i][2 * half + 1] * inv);
            }
        } else {
            const long long part_row = (static_cast<long long>(split) * gridDim.y + bh) * p.rows_per_seq + row;
            float* o = p.o_partial + part_row * T::kDV;
#pragma unroll
            for (int i = 0; i < T::kDVWarp / 8; ++i) {
                const int col = warp_n * T::kDVWarp + i * 8 + 2 * t;
                *reinterpret_cast<float2*>(o + col) = make_float2(acc[i][2 * half] * inv, acc[i][2 * half + 1] * inv);
            }
            if (warp_n == 0 && t == 0)
                p.lse_partial[part_row] = l > 0.0f ? (m_run[half] == -INFINITY ? 0.0f : m_run[half]) + log2f(l) : -INFINITY;
        }
    }
}

// Combines the splits of each (bh, row): out = Σ_s 2^(lse_s − M) · o_s / Σ_s 2^(lse_s − M).
template <int kDV>
__global__ void combine_kernel(const float* __restrict__ o_partial, const float* __restrict__ lse_partial,
                               int num_splits, long long rows_total, std::uint16_t* __restrict__ out) {
    const long long row = blockIdx.x;
    float lse_max = -INFINITY;
    for (int s = 0; s < num_splits; ++s) lse_max = fmaxf(lse_max, lse_partial[s * rows_total + row]);
    for (int d = static_cast<int>(threadIdx.x) * 2; d < kDV; d += static_cast<int>(blockDim.x) * 2) {
        float x0 = 0.0f, x1 = 0.0f, weight = 0.0f;
        if (lse_max != -INFINITY)
            for (int s = 0; s < num_splits; ++s) {
                const float lse = lse_partial[s * rows_total + row];
                if (lse == -INFINITY) continue;
                const float w = exp2f(lse - lse_max);
                const float2 o = *reinterpret_cast<const float2*>(o_partial + (s * rows_total + row) * kDV + d);
                x0 += w * o.x;
                x1 += w * o.y;
                weight += w;
            }
        const float inv = weight > 0.0f ? 1.0f / weight : 0.0f;
        *reinterpret_cast<std::uint32_t*>(out + row * kDV + d) = device::pack_bf16x2(x0 * inv, x1 * inv);
    }
}

}  // namespace moesim::kernels::flash
