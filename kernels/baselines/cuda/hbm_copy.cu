// The HBM copy baseline and the pattern fill/compare that checks it.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "moesim/kernels/baselines_cuda.h"
#include "moesim/kernels/cuda_check.h"

namespace moesim::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kUnroll = 4;  // 16-byte loads in flight per thread before the stores

__global__ void copy_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst, std::size_t n) {
    const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
    for (std::size_t base = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; base < n;
         base += stride * kUnroll) {
        uint4 v[kUnroll];
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) {
            const std::size_t i = base + u * stride;
            if (i < n) v[u] = src[i];
        }
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) {
            const std::size_t i = base + u * stride;
            if (i < n) dst[i] = v[u];
        }
    }
}

__host__ __device__ std::uint32_t pattern_word(std::size_t i, std::uint32_t seed) {
    std::uint32_t x = static_cast<std::uint32_t>(i) ^ (static_cast<std::uint32_t>(i >> 32) * 0x9E3779B9u) ^ seed;
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

__global__ void fill_kernel(std::uint32_t* buf, std::size_t n, std::uint32_t seed) {
    const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
    for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
        buf[i] = pattern_word(i, seed);
}

__global__ void compare_kernel(const std::uint32_t* buf, std::size_t n, std::uint32_t seed,
                               unsigned long long* mismatches) {
    const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
    // Every thread runs the same number of rounds so that __syncthreads_count sees them all.
    const std::size_t rounds = (n + stride - 1) / stride;
    std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    for (std::size_t r = 0; r < rounds; ++r, i += stride) {
        const int bad = i < n && buf[i] != pattern_word(i, seed);
        const int count = __syncthreads_count(bad);
        if (threadIdx.x == 0 && count > 0) atomicAdd(mismatches, static_cast<unsigned long long>(count));
    }
}

int grid_for(std::size_t n) {
    int device = 0, sms = 0;
    MOESIM_CUDA_CHECK(cudaGetDevice(&device));
    MOESIM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    const std::size_t wanted = (n + kThreads - 1) / kThreads;
    return static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(wanted, static_cast<std::size_t>(sms) * 8)));
}

}  // namespace

void hbm_copy(const void* src, void* dst, std::size_t size_bytes, cudaStream_t stream) {
    if (size_bytes % 16 != 0 || reinterpret_cast<std::uintptr_t>(src) % 16 != 0 ||
        reinterpret_cast<std::uintptr_t>(dst) % 16 != 0)
        throw CudaError(std::string(__FILE__) + ":" + std::to_string(__LINE__) +
                        ": hbm_copy needs 16-byte aligned buffers and a multiple of 16 bytes");
    const std::size_t n = size_bytes / 16;
    if (n == 0) return;
    copy_kernel<<<grid_for(n), kThreads, 0, stream>>>(static_cast<const uint4*>(src), static_cast<uint4*>(dst), n);
    MOESIM_CUDA_CHECK_LAUNCH();
}

void fill_pattern(void* buf, std::size_t size_bytes, std::uint32_t seed, cudaStream_t stream) {
    const std::size_t n = size_bytes / 4;
    if (n == 0) return;
    fill_kernel<<<grid_for(n), kThreads, 0, stream>>>(static_cast<std::uint32_t*>(buf), n, seed);
    MOESIM_CUDA_CHECK_LAUNCH();
}

std::uint64_t count_pattern_mismatches(const void* buf, std::size_t size_bytes, std::uint32_t seed,
                                       cudaStream_t stream) {
    const std::size_t n = size_bytes / 4;
    if (n == 0) return 0;
    unsigned long long* counter = nullptr;
    MOESIM_CUDA_CHECK(cudaMalloc(&counter, sizeof(unsigned long long)));
    unsigned long long host = 0;
    try {
        MOESIM_CUDA_CHECK(cudaMemsetAsync(counter, 0, sizeof(unsigned long long), stream));
        compare_kernel<<<grid_for(n), kThreads, 0, stream>>>(static_cast<const std::uint32_t*>(buf), n, seed, counter);
        MOESIM_CUDA_CHECK_LAUNCH();
        MOESIM_CUDA_CHECK(cudaMemcpyAsync(&host, counter, sizeof host, cudaMemcpyDeviceToHost, stream));
        MOESIM_CUDA_CHECK(cudaStreamSynchronize(stream));
    } catch (...) {
        cudaFree(counter);
        throw;
    }
    MOESIM_CUDA_CHECK(cudaFree(counter));
    return host;
}

}  // namespace moesim::kernels
