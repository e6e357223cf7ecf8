// E4M3 encode/decode and the 1×128 activation quantization on the GPU.
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include "moesim/common/error.h"
#include "moesim/kernels/cuda_check.h"
#include "moesim/kernels/fp8_cuda.h"

namespace moesim::kernels {
namespace {

constexpr float kE4M3Max = 448.0f;

__device__ __forceinline__ std::uint8_t encode(float x) {
    return static_cast<std::uint8_t>(__nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3));
}

__global__ void encode_kernel(const float* x, std::size_t n, std::uint8_t* codes) {
    for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
        codes[i] = encode(x[i]);
}

__global__ void decode_kernel(const std::uint8_t* codes, std::size_t n, float* x) {
    for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
        x[i] = __half2float(__half(__nv_cvt_fp8_to_halfraw(codes[i], __NV_E4M3)));
}

// One warp per (row, 128-column tile): four values a lane, the tile's amax by shuffles.
__global__ void quantize_kernel(const float* __restrict__ x, int rows, int cols, int tiles,
                                std::uint8_t* __restrict__ codes, float* __restrict__ scales) {
    const long long warp_id = (blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x) / 32;
    const int lane = static_cast<int>(threadIdx.x) & 31;
    if (warp_id >= static_cast<long long>(rows) * tiles) return;
    const int row = static_cast<int>(warp_id / tiles), tile = static_cast<int>(warp_id % tiles);
    const long long base = static_cast<long long>(row) * cols + tile * 128;
    float v[4];
    float amax = 0.0f;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int col = tile * 128 + i * 32 + lane;
        v[i] = col < cols ? x[base + i * 32 + lane] : 0.0f;
        amax = fmaxf(amax, fabsf(v[i]));
    }
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) amax = fmaxf(amax, __shfl_xor_sync(0xFFFFFFFFu, amax, offset));
    const float scale = amax > 0.0f ? amax / kE4M3Max : 1.0f;  // IEEE division, as the reference
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int col = tile * 128 + i * 32 + lane;
        if (col < cols) codes[base + i * 32 + lane] = encode(v[i] / scale);
    }
    if (lane == 0) scales[static_cast<long long>(row) * tiles + tile] = scale;
}

unsigned grid_for(std::size_t n, int threads) {
    const std::size_t blocks = (n + threads - 1) / threads;
    return static_cast<unsigned>(blocks < 1 ? 1 : blocks > 65535 ? 65535 : blocks);
}

}  // namespace

void launch_fp8_encode(const float* x, std::size_t count, std::uint8_t* codes, cudaStream_t stream) {
    if (count == 0) return;
    encode_kernel<<<grid_for(count, 256), 256, 0, stream>>>(x, count, codes);
    MOESIM_CUDA_CHECK_LAUNCH();
}

void launch_fp8_decode(const std::uint8_t* codes, std::size_t count, float* x, cudaStream_t stream) {
    if (count == 0) return;
    decode_kernel<<<grid_for(count, 256), 256, 0, stream>>>(codes, count, x);
    MOESIM_CUDA_CHECK_LAUNCH();
}

void launch_fp8_quantize_1x128(const float* x, int rows, int cols, std::uint8_t* codes, float* scales,
                               cudaStream_t stream) {
    MOESIM_CHECK(rows > 0 && cols > 0, "fp8 quantize: empty matrix");
    const int tiles = (cols + 127) / 128;
    const long long warps = static_cast<long long>(rows) * tiles;
    const long long blocks = (warps * 32 + 255) / 256;
    MOESIM_CHECK(blocks < (1ll << 31), "fp8 quantize: matrix too large");
    quantize_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(x, rows, cols, tiles, codes, scales);
    MOESIM_CUDA_CHECK_LAUNCH();
}

}  // namespace moesim::kernels
