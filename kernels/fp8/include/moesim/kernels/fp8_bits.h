#pragma once
// E4M3 → FP32 by moving bits (C++17, host and device): the byte's sign goes to FP32's sign and
// its 4 exponent and 3 mantissa bits under FP32's exponent and mantissa, which reads as the
// E4M3 value times 2^-120 (exponent bias 127 instead of 7; E4M3 subnormals land on FP32
// subnormals, exactly). Multiplying that float by 2^120 gives the value exactly, for every
// finite code; S.1111.111 (NaN) gives ±480 instead. The GEMM's portable path decodes this way.
#include <cstdint>

namespace moesim::kernels {

inline constexpr float kE4M3BitsScale = 0x1p120f;

constexpr std::uint32_t e4m3_scaled_fp32_bits(std::uint32_t byte) {
    return ((byte & 0x80u) << 24) | ((byte & 0x7Fu) << 20);
}

}  // namespace moesim::kernels
