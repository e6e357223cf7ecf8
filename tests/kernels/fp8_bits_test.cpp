// The bit-moving E4M3 decode of the GEMM's portable path: exact for every finite code,
// subnormals and signed zeros included, and the upper half of the float is the BF16 value.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>

#include "moesim/kernels/fp8.h"
#include "moesim/kernels/fp8_bits.h"

using namespace moesim::kernels;

TEST_CASE("E4M3 by moving bits equals the codec for every finite code", "[kernels]") {
    int checked = 0;
    for (std::uint32_t code = 0; code < 256; ++code) {
        const float want = fp8_e4m3_decode(static_cast<std::uint8_t>(code));
        if (std::isnan(want)) continue;
        const float got = std::bit_cast<float>(e4m3_scaled_fp32_bits(code)) * kE4M3BitsScale;
        INFO("code " << code);
        CHECK(std::bit_cast<std::uint32_t>(got) == std::bit_cast<std::uint32_t>(want));  // -0 too
        CHECK((std::bit_cast<std::uint32_t>(got) & 0xFFFFu) == 0u);  // exactly a BF16 value
        CHECK(bf16_to_float(static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(got) >> 16)) == want);
        ++checked;
    }
    CHECK(checked == 254);
}
