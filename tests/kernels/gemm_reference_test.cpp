// The element-wise GEMM references a GPU result is checked against (FP8 block-scaled and BF16),
// and the BF16-output check: a right answer passes whatever its summation order, a wrong row
// or scale fails.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/kernels/bf16_gemm.h"
#include "moesim/kernels/fp8.h"
#include "moesim/kernels/fp8_gemm.h"
#include "moesim/kernels/gemm_check.h"
#include "moesim/kernels/test_data.h"

using namespace moesim::kernels;

TEST_CASE("fp8_gemm_reference_at: the full reference's values, and Σ|a·b|", "[kernels]") {
    const int m = 70, n = 300, k = 384;
    const auto a = random_fp8_codes(static_cast<std::size_t>(m) * k, 1);
    const auto b = random_fp8_codes(static_cast<std::size_t>(n) * k, 2);
    const auto sa = random_scales(static_cast<std::size_t>(m) * scale_tiles(k), 3);
    const auto sb = random_scales(static_cast<std::size_t>(scale_tiles(n)) * scale_tiles(k), 4);
    std::vector<float> d(static_cast<std::size_t>(m) * n);
    const Fp8GemmParams p{m, n, k, a, sa, b, sb, d, {}};
    fp8_gemm_reference(p);
    const std::vector<int> rows{0, 33, 69}, cols{0, 127, 128, 299};
    const auto at = fp8_gemm_reference_at(p, rows, cols);
    REQUIRE(at.size() == 12u);
    const float* lut = fp8_e4m3_decode_table();
    for (const GemmElement& e : at) {
        CHECK(e.value == d[static_cast<std::size_t>(e.row) * n + e.col]);
        double abs_sum = 0.0;
        for (int kk = 0; kk < k; ++kk)
            abs_sum += std::fabs(static_cast<double>(lut[a[static_cast<std::size_t>(e.row) * k + kk]]) *
                                 sa[static_cast<std::size_t>(e.row) * scale_tiles(k) + kk / 128] *
                                 lut[b[static_cast<std::size_t>(e.col) * k + kk]] *
                                 sb[static_cast<std::size_t>(e.col / 128) * scale_tiles(k) + kk / 128]);
        CHECK(e.abs_sum == Approx(abs_sum).epsilon(1e-12));
    }
    const std::vector<int> bad_row{m};
    CHECK_THROWS_AS(fp8_gemm_reference_at(p, bad_row, cols), moesim::InternalError);
}

TEST_CASE("bf16_gemm_reference_at: FP32 sums within rounding of the double GEMM", "[kernels]") {
    const int m = 5, n = 9, k = 1000;
    const auto a = random_bf16(static_cast<std::size_t>(m) * k, 5);
    const auto b = random_bf16(static_cast<std::size_t>(n) * k, 6);
    const std::vector<int> rows{0, 2, 4}, cols{0, 8};
    for (const GemmElement& e : bf16_gemm_reference_at({m, n, k, a, b}, rows, cols)) {
        double exact = 0.0, abs_sum = 0.0;
        for (int kk = 0; kk < k; ++kk) {
            const double prod = static_cast<double>(bf16_to_float(a[static_cast<std::size_t>(e.row) * k + kk])) *
                                bf16_to_float(b[static_cast<std::size_t>(e.col) * k + kk]);
            exact += prod;
            abs_sum += std::fabs(prod);
        }
        CHECK(e.abs_sum == Approx(abs_sum).epsilon(1e-12));
        CHECK(std::fabs(e.value - exact) <= k * std::ldexp(1.0, -24) * abs_sum);
    }
    CHECK(bf16_gemm_bytes(2, 3, 5) == 2.0 * (10 + 15 + 6));
}

TEST_CASE("check_gemm_elements: passes the right BF16 answer, fails a wrong row", "[kernels]") {
    const int m = 8, n = 256, k = 512;
    const auto a = random_fp8_codes(static_cast<std::size_t>(m) * k, 7);
    const auto b = random_fp8_codes(static_cast<std::size_t>(n) * k, 8);
    const auto sa = random_scales(static_cast<std::size_t>(m) * scale_tiles(k), 9);
    const auto sb = random_scales(static_cast<std::size_t>(scale_tiles(n)) * scale_tiles(k), 10);
    std::vector<std::uint16_t> d(static_cast<std::size_t>(m) * n);
    const Fp8GemmParams p{m, n, k, a, sa, b, sb, {}, d};
    fp8_gemm_reference(p);
    const std::vector<int> rows{0, 3, 7}, cols = sample_indices(n, 32, 1);
    const auto ref = fp8_gemm_reference_at(p, rows, cols);

    ErrorCheck good(gemm_check_what(rows.size(), cols.size(), m, n, "2^-10"));
    check_gemm_elements(good, ref, [&](int r, int c) { return d[static_cast<std::size_t>(r) * n + c]; },
                        std::ldexp(1.0, -10));
    CHECK(good.ok());
    CHECK(good.compared() == ref.size());

    // The GPU summing in another order: a relative 2^-12 of Σ|a·b| added to every element.
    ErrorCheck reordered("reordered");
    check_gemm_elements(reordered, ref, [&](int r, int c) {
        for (const auto& e : ref)
            if (e.row == r && e.col == c) return bf16_from_float(static_cast<float>(e.value + std::ldexp(e.abs_sum, -12)));
        return std::uint16_t{0};
    }, std::ldexp(1.0, -10));
    CHECK(reordered.ok());

    // A tiling bug that reads the neighbouring row.
    ErrorCheck shifted("shifted");
    check_gemm_elements(shifted, ref, [&](int r, int c) { return d[static_cast<std::size_t>((r + 1) % m) * n + c]; },
                        std::ldexp(1.0, -10));
    CHECK_FALSE(shifted.ok());
    CHECK(shifted.failures() > ref.size() / 2);
}
