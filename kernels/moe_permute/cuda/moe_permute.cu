// Token permute / unpermute kernels.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <string>

#include "moesim/common/error.h"
#include "moesim/kernels/cuda_check.h"
#include "moesim/kernels/moe_permute_cuda.h"

namespace moesim::kernels {
namespace {

constexpr int kScanThreads = 256;  // 8 warps
constexpr int kCopyThreads = 128;

// CTA e walks the assignments in order, 256 at a time; the warp ballots and a prefix over the
// eight warp totals give each of its assignments its rank, in the order the reference uses.
__global__ void __launch_bounds__(kScanThreads) rank_kernel(const int* __restrict__ topk_ids, int assignments,
                                                            int* __restrict__ rank, int* __restrict__ count) {
    __shared__ int warp_total[kScanThreads / 32];
    const int e = static_cast<int>(blockIdx.x);
    const int lane = static_cast<int>(threadIdx.x) & 31, warp = static_cast<int>(threadIdx.x) >> 5;
    int running = 0;  // assignments of expert e before this chunk (same in every thread)
    for (int base = 0; base < assignments; base += kScanThreads) {
        const int a = base + static_cast<int>(threadIdx.x);
        const bool mine = a < assignments && topk_ids[a] == e;
        const unsigned ballot = __ballot_sync(0xFFFFFFFFu, mine);
        if (lane == 0) warp_total[warp] = __popc(ballot);
        __syncthreads();
        int before = running;
        for (int w = 0; w < warp; ++w) before += warp_total[w];
        if (mine) rank[a] = before + __popc(ballot & ((1u << lane) - 1u));
        int chunk = 0;
        for (int w = 0; w < kScanThreads / 32; ++w) chunk += warp_total[w];
        running += chunk;
        __syncthreads();  // warp_total is rewritten by the next chunk
    }
    if (threadIdx.x == 0) count[e] = running;
}

// One thread: the exclusive prefix of the aligned counts (experts are few: ≤ a few hundred).
__global__ void first_row_kernel(const int* __restrict__ count, int experts, int alignment, int* __restrict__ first_row) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    int row = 0;
    for (int e = 0; e < experts; ++e) {
        first_row[e] = row;
        row += (count[e] + alignment - 1) / alignment * alignment;
    }
    first_row[experts] = row;
}

__global__ void m_indices_kernel(const int* __restrict__ count, const int* __restrict__ first_row, int experts,
                                 int capacity_rows, int* __restrict__ m_indices) {
    for (int r = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); r < capacity_rows;
         r += static_cast<int>(gridDim.x * blockDim.x)) {
        // The expert whose segment holds r: first_row[lo] <= r < first_row[lo + 1] (empty
        // segments have first_row[e] == first_row[e + 1] and are never chosen).
        int lo = 0, hi = experts;  // invariant: first_row[lo] <= r < first_row[hi]
        int group = -1;
        if (r < first_row[experts]) {
            while (hi - lo > 1) {
                const int mid = (lo + hi) / 2;
                if (first_row[mid] <= r) lo = mid; else hi = mid;
            }
            group = r - first_row[lo] < count[lo] ? lo : -1;
        }
        m_indices[r] = group;
    }
}

__global__ void row_of_kernel(const int* __restrict__ topk_ids, const int* __restrict__ rank,
                              const int* __restrict__ first_row, int assignments, int* __restrict__ row_of) {
    for (int a = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); a < assignments;
         a += static_cast<int>(gridDim.x * blockDim.x))
        row_of[a] = first_row[topk_ids[a]] + rank[a];
}

// CTA a copies the row of assignment a, 16 bytes a thread per step.
__global__ void __launch_bounds__(kCopyThreads) permute_rows_kernel(const uint4* __restrict__ x, int row_vectors, int top_k,
                                                                    const int* __restrict__ row_of, uint4* __restrict__ out) {
    const int a = static_cast<int>(blockIdx.x);
    const uint4* src = x + static_cast<long long>(a / top_k) * row_vectors;
    uint4* dst = out + static_cast<long long>(row_of[a]) * row_vectors;
    for (int v = static_cast<int>(threadIdx.x); v < row_vectors; v += kCopyThreads) dst[v] = src[v];
}

// CTA t combines token t: each thread owns 8 consecutive values (one 16-byte vector) per step.
__global__ void __launch_bounds__(kCopyThreads) unpermute_kernel(const uint4* __restrict__ y, int hidden, const float* __restrict__ weights,
                                                                 const int* __restrict__ row_of, int top_k, uint4* __restrict__ out) {
    const int t = static_cast<int>(blockIdx.x), vectors = hidden / 8;
    for (int v = static_cast<int>(threadIdx.x); v < vectors; v += kCopyThreads) {
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int j = 0; j < top_k; ++j) {
            const int a = t * top_k + j;
            const float w = weights[a];
            const uint4 packed = y[static_cast<long long>(row_of[a]) * vectors + v];
            const __nv_bfloat162* pairs = reinterpret_cast<const __nv_bfloat162*>(&packed);
#pragma unroll
            for (int p = 0; p < 4; ++p) {
                const float2 f = __bfloat1622float2(pairs[p]);
                // Separate rounding of the product and the sum, as the reference computes.
                acc[2 * p] = __fadd_rn(acc[2 * p], __fmul_rn(w, f.x));
                acc[2 * p + 1] = __fadd_rn(acc[2 * p + 1], __fmul_rn(w, f.y));
            }
        }
        uint4 result;
        __nv_bfloat162* outp = reinterpret_cast<__nv_bfloat162*>(&result);
#pragma unroll
        for (int p = 0; p < 4; ++p) outp[p] = __floats2bfloat162_rn(acc[2 * p], acc[2 * p + 1]);
        out[static_cast<long long>(t) * vectors + v] = result;
    }
}

unsigned grid_for(long long n, int threads) {
    const long long blocks = (n + threads - 1) / threads;
    return static_cast<unsigned>(blocks < 1 ? 1 : blocks > 65535 ? 65535 : blocks);
}

}  // namespace

void launch_permute_plan(const PermutePlanArgs& p, cudaStream_t stream) {
    MOESIM_CHECK(p.tokens > 0 && p.top_k > 0 && p.experts > 0 && p.alignment > 0,
                 "permute plan: tokens, top_k, experts and alignment must be positive");
    const long long assignments = static_cast<long long>(p.tokens) * p.top_k;
    MOESIM_CHECK(assignments < (1ll << 31), "permute plan: too many assignments");
    MOESIM_CHECK(p.capacity_rows >= assignments + static_cast<long long>(p.experts) * (p.alignment - 1),
                 "permute plan: capacity_rows below tokens·top_k + experts·(alignment − 1)");
    MOESIM_CHECK(p.topk_ids && p.rank && p.count && p.first_row && p.row_of && p.m_indices, "permute plan: missing arrays");
    const int n = static_cast<int>(assignments);
    rank_kernel<<<p.experts, kScanThreads, 0, stream>>>(p.topk_ids, n, p.rank, p.count);
    MOESIM_CUDA_CHECK_LAUNCH();
    first_row_kernel<<<1, 1, 0, stream>>>(p.count, p.experts, p.alignment, p.first_row);
    MOESIM_CUDA_CHECK_LAUNCH();
    m_indices_kernel<<<grid_for(p.capacity_rows, 256), 256, 0, stream>>>(p.count, p.first_row, p.experts,
                                                                          p.capacity_rows, p.m_indices);
    MOESIM_CUDA_CHECK_LAUNCH();
    row_of_kernel<<<grid_for(n, 256), 256, 0, stream>>>(p.topk_ids, p.rank, p.first_row, n, p.row_of);
    MOESIM_CUDA_CHECK_LAUNCH();
}

void launch_permute_rows(const void* x, int row_bytes, int tokens, int top_k, const int* row_of, void* out,
                         cudaStream_t stream) {
    MOESIM_CHECK(row_bytes > 0 && row_bytes % 16 == 0, "permute rows: row_bytes must be a positive multiple of 16");
    MOESIM_CHECK(reinterpret_cast<std::uintptr_t>(x) % 16 == 0 && reinterpret_cast<std::uintptr_t>(out) % 16 == 0,
                 "permute rows: buffers must be 16-byte aligned");
    const long long assignments = static_cast<long long>(tokens) * top_k;
    MOESIM_CHECK(assignments > 0 && assignments < (1ll << 31), "permute rows: tokens·top_k out of range");
    permute_rows_kernel<<<static_cast<unsigned>(assignments), kCopyThreads, 0, stream>>>(
        static_cast<const uint4*>(x), row_bytes / 16, top_k, row_of, static_cast<uint4*>(out));
    MOESIM_CUDA_CHECK_LAUNCH();
}

void launch_unpermute(const std::uint16_t* y, int hidden, const float* weights, const int* row_of, int tokens,
                      int top_k, std::uint16_t* out, cudaStream_t stream) {
    MOESIM_CHECK(hidden > 0 && hidden % 8 == 0, "unpermute: hidden must be a positive multiple of 8");
    MOESIM_CHECK(tokens > 0 && top_k > 0, "unpermute: tokens and top_k must be positive");
    MOESIM_CHECK(reinterpret_cast<std::uintptr_t>(y) % 16 == 0 && reinterpret_cast<std::uintptr_t>(out) % 16 == 0,
                 "unpermute: buffers must be 16-byte aligned");
    unpermute_kernel<<<static_cast<unsigned>(tokens), kCopyThreads, 0, stream>>>(
        reinterpret_cast<const uint4*>(y), hidden, weights, row_of, top_k, reinterpret_cast<uint4*>(out));
    MOESIM_CUDA_CHECK_LAUNCH();
}

}  // namespace moesim::kernels
