#pragma once
// The GEMM kernel of gemm_cuda.h, a template over input type, layout and MMA path. Included by
// the .cu files that instantiate it (fp8_gemm.cu: Dense; grouped_gemm.cu: Contiguous, Masked).
//
// Tiling: a CTA of 8 warps computes a 128 × 128 tile of D; warp w covers rows 64·(w / 4) and
// columns 32·(w % 4) of it, i.e. 4 × 4 MMA tiles of 16 × 8. K advances in stages of 128 bytes
// per row (128 E4M3 values = one scale block, or 64 BF16 values), double-buffered in shared
// memory with cp.async; rows are padded to 144 bytes so that the 16-byte fragment loads of a
// quarter-warp fall in distinct banks.
//
// K order inside a stage: lane (g, t) loads bytes 32t..32t+31 of its rows of A and B with two
// 16-byte loads, and feeds word 2s of each to the MMA's first k-half registers (a[0], a[1],
// b[0]) and word 2s+1 to its second (a[2], a[3], b[1]) at step s. A and B are fed identically,
// so every MMA pairs A's and B's values of the same k, and the four MMAs of a stage cover its
// 128 bytes exactly once — whatever order the MMA assigns within its k-halves.
#include <cstdint>

#include "moesim/kernels/device_utils.cuh"
#include "moesim/kernels/fp8_device.cuh"
#include "moesim/kernels/gemm_cuda.h"

namespace moesim::kernels::gemm_detail {

constexpr int kBlockM = 128, kBlockN = 128;
constexpr int kStageBytes = 128;                 // bytes of each row of A and B per stage
constexpr int kRowStride = kStageBytes + 16;     // padded row in shared memory
constexpr int kTileBytes = kBlockM * kRowStride; // one operand, one stage
constexpr int kStages = 2;
constexpr int kThreads = 256;
constexpr int kSmemBytes = kStages * 2 * kTileBytes;  // 73,728: needs the opt-in above 48 KiB
constexpr int kScaleBlock = 128;

struct KernelParams {
    const std::uint8_t* a;
    const std::uint8_t* b;
    const float* a_scales;
    const float* b_scales;
    const int* m_indices;
    const int* masked_m;
    std::uint16_t* d;
    int m, n, k;
    int groups;
    long long row_bytes;  // bytes of one row of A or B: k (E4M3) or 2k (BF16)
    int num_stages;       // row_bytes / kStageBytes
    int k_blocks;         // k / 128: scale columns (FP8)
    int n_blocks;         // ceil(n / 128): B scale rows per group (FP8)
};

// Whether the FP8 MMA instruction is used: requested, and compiled for sm_89+.
template <bool kPortable>
#ifdef MOESIM_HAVE_FP8_MMA
constexpr bool kNativeFp8 = !kPortable;
#else
constexpr bool kNativeFp8 = false;
#endif

__device__ __forceinline__ void zero(float (&x)[4][4][4]) {
#pragma unroll
    for (int mt = 0; mt < 4; ++mt)
#pragma unroll
        for (int nt = 0; nt < 4; ++nt)
#pragma unroll
            for (int r = 0; r < 4; ++r) x[mt][nt][r] = 0.0f;
}

__device__ __forceinline__ std::uint32_t word_of(const uint4& v, int i) {
    return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

// The 16 MMA tiles of one warp over one stage. kFp8: E4M3 operands, into `acc` (the caller's
// per-stage block accumulator); else BF16 operands.
template <bool kFp8, bool kPortable>
__device__ __forceinline__ void mma_stage(float (&acc)[4][4][4], const std::uint8_t* sa,
                                          const std::uint8_t* sb, int warp_m, int warp_n, int g, int t) {
    // B fragments of a half-stage stay in registers while A's are loaded one 16-row tile at a
    // time: 24 fragment registers live instead of 48, beside the 128 of the accumulators. The
    // halves are not unrolled, so the compiler cannot hoist the second half's loads into the
    // first (it did, and spilled, at 255 registers).
#pragma unroll 1
    for (int half = 0; half < 2; ++half) {
        uint4 bw[4];
#pragma unroll
        for (int nt = 0; nt < 4; ++nt)
            bw[nt] = *reinterpret_cast<const uint4*>(sb + (warp_n * 32 + nt * 8 + g) * kRowStride + t * 32 + half * 16);
#pragma unroll
        for (int mt = 0; mt < 4; ++mt) {
            const std::uint8_t* row = sa + (warp_m * 64 + mt * 16 + g) * kRowStride + t * 32 + half * 16;
            const uint4 a_lo = *reinterpret_cast<const uint4*>(row);
            const uint4 a_hi = *reinterpret_cast<const uint4*>(row + 8 * kRowStride);
#pragma unroll
            for (int step = 0; step < 2; ++step) {
                const int w0 = 2 * step, w1 = 2 * step + 1;
#pragma unroll
                for (int nt = 0; nt < 4; ++nt) {
                    if constexpr (!kFp8) {
                        const std::uint32_t a[4] = {word_of(a_lo, w0), word_of(a_hi, w0), word_of(a_lo, w1),
                                                    word_of(a_hi, w1)};
                        const std::uint32_t b[2] = {word_of(bw[nt], w0), word_of(bw[nt], w1)};
                        device::mma_bf16_16x8x16(acc[mt][nt], a, b);
                    } else if constexpr (kNativeFp8<kPortable>) {
#ifdef MOESIM_HAVE_FP8_MMA
                        const std::uint32_t a[4] = {word_of(a_lo, w0), word_of(a_hi, w0), word_of(a_lo, w1),
                                                    word_of(a_hi, w1)};
                        const std::uint32_t b[2] = {word_of(bw[nt], w0), word_of(bw[nt], w1)};
                        device::mma_e4m3_16x8x32(acc[mt][nt], a, b);
#endif
                    } else {
                        // Portable: each E4M3 word (4 values) of A and B becomes one BF16 MMA
                        // over 16 k; pairs 0 and 1 of a word fill the two k-halves alike in A
                        // and B, so k still pairs up.
#pragma unroll
                        for (int w = w0; w <= w1; ++w) {
                            const std::uint32_t lo = word_of(a_lo, w), hi = word_of(a_hi, w), bq = word_of(bw[nt], w);
                            const std::uint32_t a[4] = {device::e4m3x2_to_bf16x2(lo, 0), device::e4m3x2_to_bf16x2(hi, 0),
                                                        device::e4m3x2_to_bf16x2(lo, 1), device::e4m3x2_to_bf16x2(hi, 1)};
                            const std::uint32_t b[2] = {device::e4m3x2_to_bf16x2(bq, 0), device::e4m3x2_to_bf16x2(bq, 1)};
                            device::mma_bf16_16x8x16(acc[mt][nt], a, b);
                        }
                    }
                }
            }
        }
    }
}

template <GemmInput kInput, GemmLayout kLayout, bool kPortable>
__global__ void __launch_bounds__(kThreads, 1) gemm_kernel(const KernelParams p) {
    constexpr bool kFp8 = kInput == GemmInput::Fp8BlockScaled;
    extern __shared__ __align__(16) std::uint8_t smem[];
    const int tid = static_cast<int>(threadIdx.x), lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int warp_m = warp >> 2, warp_n = warp & 3;
    const int n_tile = static_cast<int>(blockIdx.x);
    const int n0 = n_tile * kBlockN, m0 = static_cast<int>(blockIdx.y) * kBlockM;

    // This tile's group, its first row in the stacked A / D, and how many of its rows exist.
    int group = 0, rows_end = p.m;
    long long row0 = m0;
    if constexpr (kLayout == GemmLayout::Masked) {
        group = static_cast<int>(blockIdx.z);
        rows_end = min(p.masked_m[group], p.m);
        if (m0 >= rows_end) return;  // beyond this group's tokens: nothing to do
        row0 = static_cast<long long>(group) * p.m + m0;
    } else if constexpr (kLayout == GemmLayout::Contiguous) {
        group = p.m_indices[m0];
        if (group < 0 || group >= p.groups) return;  // a tile of padding rows
    }
    const int tile_rows = min(kBlockM, rows_end - m0);
    const int tile_cols = min(kBlockN, p.n - n0);
    const std::uint8_t* a_base = p.a + row0 * p.row_bytes;
    const std::uint8_t* b_base = p.b + (static_cast<long long>(group) * p.n + n0) * p.row_bytes;

    auto load_stage = [&](int buffer, int stage) {
        std::uint8_t* sa = smem + buffer * 2 * kTileBytes;
        std::uint8_t* sb = sa + kTileBytes;
        const long long k_offset = static_cast<long long>(stage) * kStageBytes;
#pragma unroll
        for (int i = 0; i < kBlockM * (kStageBytes / 16) / kThreads; ++i) {
            const int c = tid + i * kThreads, row = c >> 3, chunk = c & 7;
            const bool va = row < tile_rows, vb = row < tile_cols;
            // An absent row reads nothing (zero-fill) from row 0, which exists.
            device::cp_async_16(sa + row * kRowStride + chunk * 16,
                                a_base + (va ? row * p.row_bytes : 0) + k_offset + chunk * 16, va);
            device::cp_async_16(sb + row * kRowStride + chunk * 16,
                                b_base + (vb ? row * p.row_bytes : 0) + k_offset + chunk * 16, vb);
        }
    };

    float acc[4][4][4];
    zero(acc);

    load_stage(0, 0);
    device::cp_async_commit();
    for (int stage = 0; stage < p.num_stages; ++stage) {
        if (stage + 1 < p.num_stages) {
            load_stage((stage + 1) & 1, stage + 1);  // its buffer was freed by the last barrier
            device::cp_async_commit();
            device::cp_async_wait<1>();
        } else {
            device::cp_async_wait<0>();
        }
        __syncthreads();
        const std::uint8_t* sa = smem + (stage & 1) * 2 * kTileBytes;
        const std::uint8_t* sb = sa + kTileBytes;
        if constexpr (kFp8) {
            // One stage is one 128-wide K block: accumulate it alone, then promote it into the
            // FP32 result with its scales, as the reference does.
            float block[4][4][4];
            zero(block);
            mma_stage<true, kPortable>(block, sa, sb, warp_m, warp_n, g, t);
            const float b_scale = p.b_scales[(static_cast<long long>(group) * p.n_blocks + n_tile) * p.k_blocks + stage];
#pragma unroll
            for (int mt = 0; mt < 4; ++mt)
#pragma unroll
                for (int half = 0; half < 2; ++half) {
                    const int row = warp_m * 64 + mt * 16 + g + 8 * half;
                    const float a_scale = row < tile_rows ? p.a_scales[(row0 + row) * p.k_blocks + stage] : 0.0f;
#pragma unroll
                    for (int nt = 0; nt < 4; ++nt) {
                        acc[mt][nt][2 * half] += block[mt][nt][2 * half] * a_scale * b_scale;
                        acc[mt][nt][2 * half + 1] += block[mt][nt][2 * half + 1] * a_scale * b_scale;
                    }
                }
        } else {
            mma_stage<false, false>(acc, sa, sb, warp_m, warp_n, g, t);
        }
        __syncthreads();
    }

    // Epilogue: BF16 pairs straight from the accumulator fragments.
#pragma unroll
    for (int mt = 0; mt < 4; ++mt)
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            const int row = warp_m * 64 + mt * 16 + g + 8 * half;
            if (row >= tile_rows) continue;
            if constexpr (kLayout == GemmLayout::Contiguous)
                if (p.m_indices[m0 + row] != group) continue;  // padding inside the tile
            std::uint16_t* out_row = p.d + (row0 + row) * p.n + n0;
#pragma unroll
            for (int nt = 0; nt < 4; ++nt) {
                const int col = warp_n * 32 + nt * 8 + 2 * t;
                if (col >= tile_cols) continue;
                const float v0 = acc[mt][nt][2 * half], v1 = acc[mt][nt][2 * half + 1];
                if (col + 1 < tile_cols) {
                    *reinterpret_cast<std::uint32_t*>(out_row + col) = device::pack_bf16x2(v0, v1);
                } else {
                    const __nv_bfloat16 b0 = __float2bfloat16_rn(v0);
                    out_row[col] = *reinterpret_cast<const std::uint16_t*>(&b0);
                }
            }
        }
}

}  // namespace moesim::kernels::gemm_detail
