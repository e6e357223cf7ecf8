#pragma once
// FP8 E4M3 as the OCP 8-bit floating point specification (v1.0) defines it, and as Hopper's
// tensor cores read it: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities; the
// codes S.1111.111 are NaN; largest finite ±448; smallest subnormal 2^-9.
// Also BF16 (the GEMM output type), stored as its upper 16 bits of an IEEE float.
#include <cstdint>

namespace moesim::kernels {

inline constexpr float kFp8E4M3Max = 448.0f;
inline constexpr std::uint8_t kFp8E4M3NaN = 0x7F;  // positive NaN; 0xFF is the negative one

// The value of a code; NaN (keeping the sign bit) for 0x7F and 0xFF.
float fp8_e4m3_decode(std::uint8_t code);

// Round to nearest, ties to even, saturating: every finite value beyond ±448, and ±infinity,
// becomes ±448 (the "satfinite" conversion DeepSeek-V3's recipe uses). NaN → S.1111.111 with
// its sign. -0 → 0x80.
std::uint8_t fp8_e4m3_encode(float x);

// A 256-entry table of fp8_e4m3_decode, for inner loops.
const float* fp8_e4m3_decode_table();

// BF16: round to nearest, ties to even; NaN stays NaN (quiet).
std::uint16_t bf16_from_float(float x);
float bf16_to_float(std::uint16_t bits);

}  // namespace moesim::kernels
