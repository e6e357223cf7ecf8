#pragma once
// The E4M3 codec on the GPU (C++17, includable from .cu files), through CUDA's own conversions
// (cuda_fp8.h: cvt.rn.satfinite.e4m3x2.f32 on sm_89+, its software equivalent before): checked
// bit for bit against the CPU codec of fp8.h, which is what every FP8 result here is judged by.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace moesim::kernels {

void launch_fp8_encode(const float* x, std::size_t count, std::uint8_t* codes, cudaStream_t stream);
void launch_fp8_decode(const std::uint8_t* codes, std::size_t count, float* x, cudaStream_t stream);

// quantize_1x128 of fp8_gemm.h: one scale (amax / 448, 1 for an all-zero tile) per row and
// 128 columns, codes = encode(x / scale). x rows × cols row-major FP32; scales rows × ⌈cols/128⌉.
void launch_fp8_quantize_1x128(const float* x, int rows, int cols, std::uint8_t* codes, float* scales,
                               cudaStream_t stream);

}  // namespace moesim::kernels
