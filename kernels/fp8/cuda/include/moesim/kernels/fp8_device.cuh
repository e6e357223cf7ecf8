#pragma once
// E4M3 decoding inside kernels (the GEMM's portable path), exact; see fp8_bits.h.
#include <cuda_runtime.h>

#include <cstdint>

#include "moesim/kernels/fp8_bits.h"

namespace moesim::kernels::device {

// Two E4M3 values (bytes 0–1 or 2–3 of `four`) as a BF16 pair, exactly: every finite E4M3
// value, subnormals included, is a BF16 value (3 ≤ 7 mantissa bits, 2^-9..448 within range).
// Decoded by moving bits (fp8_bits.h) and one exact multiply — a few integer operations instead
// of cuda_fp8.h's software conversion on pre-sm_89 GPUs (which also made the GEMM compile ten
// times slower for compute_80). Needs denormals kept (no -ftz, no --use_fast_math).
__device__ __forceinline__ float e4m3_to_float(std::uint32_t byte) {
    return __uint_as_float(e4m3_scaled_fp32_bits(byte)) * kE4M3BitsScale;
}

__device__ __forceinline__ std::uint32_t e4m3x2_to_bf16x2(std::uint32_t four, int pair) {
    const std::uint32_t two = four >> (16 * pair);
    const float lo = e4m3_to_float(two & 0xFFu), hi = e4m3_to_float((two >> 8) & 0xFFu);
    // Upper halves of both floats, lo in bits 0–15: exact, the values have ≤ 4 significant bits.
    return __byte_perm(__float_as_uint(lo), __float_as_uint(hi), 0x7632);
}

}  // namespace moesim::kernels::device
