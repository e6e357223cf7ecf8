// FP8 E4M3 and BF16 conversions: every code, the known values, rounding and saturation.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "moesim/kernels/fp8.h"

using namespace moesim::kernels;

TEST_CASE("E4M3: every code decodes and encodes back to itself", "[kernels]") {
    int nan_codes = 0;
    for (int c = 0; c < 256; ++c) {
        const auto code = static_cast<std::uint8_t>(c);
        const float v = fp8_e4m3_decode(code);
        INFO("code " << c << " value " << v);
        if (std::isnan(v)) {
            ++nan_codes;
            CHECK((code & 0x7F) == 0x7F);
            CHECK(std::signbit(v) == ((code & 0x80) != 0));
        } else {
            CHECK(std::isfinite(v));
            CHECK(std::fabs(v) <= kFp8E4M3Max);
        }
        CHECK(fp8_e4m3_encode(v) == code);  // NaN keeps its sign, so this holds for all 256
        CHECK((std::isnan(fp8_e4m3_decode_table()[c]) ? std::isnan(v)
                                                      : fp8_e4m3_decode_table()[c] == v));
    }
    CHECK(nan_codes == 2);
}

TEST_CASE("E4M3: known values", "[kernels]") {
    CHECK(fp8_e4m3_decode(0x00) == 0.0f);
    CHECK(std::signbit(fp8_e4m3_decode(0x80)));
    CHECK(fp8_e4m3_decode(0x7E) == 448.0f);
    CHECK(fp8_e4m3_decode(0xFE) == -448.0f);
    CHECK(fp8_e4m3_decode(0x01) == 0.001953125f);  // 2^-9, smallest subnormal
    CHECK(fp8_e4m3_decode(0x07) == 7.0f / 512.0f);  // largest subnormal
    CHECK(fp8_e4m3_decode(0x08) == 0.015625f);     // 2^-6, smallest normal
    CHECK(fp8_e4m3_decode(0x38) == 1.0f);
    CHECK(fp8_e4m3_decode(0x39) == 1.125f);
    CHECK(fp8_e4m3_decode(0x40) == 2.0f);
    CHECK(fp8_e4m3_decode(0x7D) == 416.0f);
    CHECK(fp8_e4m3_decode(0xB8) == -1.0f);
    CHECK(fp8_e4m3_encode(1.0f) == 0x38);
    CHECK(fp8_e4m3_encode(-2.0f) == 0xC0);
    CHECK(fp8_e4m3_encode(-0.0f) == 0x80);
}

TEST_CASE("E4M3: round to nearest even, saturate, NaN", "[kernels]") {
    // Ties between 1.0 (even mantissa 0) and 1.125 go to 1.0; between 1.125 and 1.25 to 1.25.
    CHECK(fp8_e4m3_encode(1.0625f) == 0x38);
    CHECK(fp8_e4m3_encode(1.1875f) == 0x3A);
    CHECK(fp8_e4m3_encode(1.07f) == 0x39);
    // Subnormal ties: 0.5·2^-9 → 0, 1.5·2^-9 → 2·2^-9.
    CHECK(fp8_e4m3_encode(std::ldexp(0.5f, -9)) == 0x00);
    CHECK(fp8_e4m3_encode(std::ldexp(1.5f, -9)) == 0x02);
    CHECK(fp8_e4m3_encode(std::ldexp(0.6f, -9)) == 0x01);
    // Rounding up across the subnormal/normal and binade boundaries.
    CHECK(fp8_e4m3_encode(std::ldexp(7.6f, -9)) == 0x08);
    CHECK(fp8_e4m3_encode(1.96875f) == 0x40);  // tie between 1.875 (odd) and 2.0
    // Saturation: above 448 (432..464 would round to 448 or 480; there is no 480).
    CHECK(fp8_e4m3_encode(440.0f) == 0x7E);
    CHECK(fp8_e4m3_encode(460.0f) == 0x7E);
    CHECK(fp8_e4m3_encode(1e30f) == 0x7E);
    CHECK(fp8_e4m3_encode(-1e30f) == 0xFE);
    CHECK(fp8_e4m3_encode(std::numeric_limits<float>::infinity()) == 0x7E);
    CHECK(fp8_e4m3_encode(-std::numeric_limits<float>::infinity()) == 0xFE);
    CHECK(fp8_e4m3_encode(std::numeric_limits<float>::quiet_NaN()) == 0x7F);
    CHECK(fp8_e4m3_encode(-std::numeric_limits<float>::quiet_NaN()) == 0xFF);
    CHECK(fp8_e4m3_encode(1e-30f) == 0x00);
}

TEST_CASE("E4M3: encode picks the nearest code for values between codes", "[kernels]") {
    // Midpoints of neighbouring finite positive codes, nudged either side.
    for (int c = 0; c < 0x7E; ++c) {
        const float lo = fp8_e4m3_decode(static_cast<std::uint8_t>(c));
        const float hi = fp8_e4m3_decode(static_cast<std::uint8_t>(c + 1));
        const float mid = 0.5f * (lo + hi);
        INFO("code " << c);
        CHECK(fp8_e4m3_encode(std::nextafter(mid, 0.0f)) == c);
        CHECK(fp8_e4m3_encode(std::nextafter(mid, 1000.0f)) == c + 1);
        CHECK(fp8_e4m3_encode(mid) == ((c % 2 == 0) ? c : c + 1));
        CHECK(fp8_e4m3_encode(-mid) == (0x80 | ((c % 2 == 0) ? c : c + 1)));
    }
}

TEST_CASE("BF16: round to nearest even", "[kernels]") {
    CHECK(bf16_from_float(1.0f) == 0x3F80);
    CHECK(bf16_to_float(0x3F80) == 1.0f);
    CHECK(bf16_from_float(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);  // tie → even
    CHECK(bf16_from_float(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3F82);  // tie → even (up)
    CHECK(bf16_from_float(-2.0f) == 0xC000);
    CHECK(std::isnan(bf16_to_float(bf16_from_float(std::numeric_limits<float>::quiet_NaN()))));
    CHECK(std::isinf(bf16_to_float(bf16_from_float(std::numeric_limits<float>::infinity()))));
}
