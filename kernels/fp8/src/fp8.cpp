#include "moesim/kernels/fp8.h"

#include <array>
#include <bit>
#include <cmath>
#include <limits>

namespace moesim::kernels {
namespace {

// Round a non-negative value to an integer, ties to even, whatever the FP rounding mode.
double round_half_even(double v) {
    const double f = std::floor(v);
    const double frac = v - f;
    if (frac > 0.5) return f + 1.0;
    if (frac < 0.5) return f;
    return std::fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

}  // namespace

float fp8_e4m3_decode(std::uint8_t code) {
    const bool negative = (code & 0x80) != 0;
    const int exponent = (code >> 3) & 0x0F;
    const int mantissa = code & 0x07;
    float magnitude;
    if (exponent == 0x0F && mantissa == 0x07) {
        magnitude = std::numeric_limits<float>::quiet_NaN();
    } else if (exponent == 0) {
        magnitude = std::ldexp(static_cast<float>(mantissa), -9);  // subnormal: m · 2^-9
    } else {
        magnitude = std::ldexp(1.0f + static_cast<float>(mantissa) / 8.0f, exponent - 7);
    }
    return negative ? -magnitude : magnitude;
}

std::uint8_t fp8_e4m3_encode(float x) {
    const std::uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
    if (std::isnan(x)) return sign | kFp8E4M3NaN;
    const double a = std::fabs(static_cast<double>(x));
    if (a >= kFp8E4M3Max) return sign | 0x7E;  // saturate (covers infinity)
    if (a < std::ldexp(1.0, -6)) {
        // Subnormal range, quantum 2^-9. The code equals the rounded count of quanta; a count
        // of 8 is the smallest normal, 0.0001.000, whose code is also 8.
        return sign | static_cast<std::uint8_t>(round_half_even(a * 512.0));
    }
    int e2 = 0;
    const double m = std::frexp(a, &e2);  // a = m · 2^e2, m in [0.5, 1)
    int exponent = e2 - 1 + 7;            // biased
    int mantissa = static_cast<int>(round_half_even((2.0 * m - 1.0) * 8.0));
    if (mantissa == 8) {
        mantissa = 0;
        ++exponent;
    }
    if (exponent > 15 || (exponent == 15 && mantissa == 7)) return sign | 0x7E;
    return sign | static_cast<std::uint8_t>((exponent << 3) | mantissa);
}

const float* fp8_e4m3_decode_table() {
    static const std::array<float, 256> table = [] {
        std::array<float, 256> t{};
        for (int c = 0; c < 256; ++c) t[c] = fp8_e4m3_decode(static_cast<std::uint8_t>(c));
        return t;
    }();
    return table.data();
}

std::uint16_t bf16_from_float(float x) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
    if (std::isnan(x)) return static_cast<std::uint16_t>((bits >> 16) | 0x0040);
    const std::uint32_t lsb = (bits >> 16) & 1u;
    return static_cast<std::uint16_t>((bits + 0x7FFFu + lsb) >> 16);
}

float bf16_to_float(std::uint16_t bits) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

}  // namespace moesim::kernels
