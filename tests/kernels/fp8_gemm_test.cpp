// The FP8 block-scaled GEMM reference against double-precision GEMMs, its bad input, and the
// analytic counts against a published DeepGEMM row.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/kernels/fp8.h"
#include "moesim/kernels/fp8_gemm.h"

using namespace moesim::kernels;

namespace {

std::vector<float> random_matrix(int rows, int cols, unsigned seed, float lo = -1.0f,
                                 float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> x(static_cast<std::size_t>(rows) * cols);
    for (auto& v : x) v = dist(rng);
    return x;
}

// D = A · Bᵀ in double, and Σ|a||b| per element (the scale of the rounding error).
template <typename T>
void gemm_double(const std::vector<T>& a, const std::vector<T>& b, int m, int n, int k,
                 std::vector<double>& d, std::vector<double>& abs_sum) {
    d.assign(static_cast<std::size_t>(m) * n, 0.0);
    abs_sum.assign(d.size(), 0.0);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double s = 0.0, s_abs = 0.0;
            for (int kk = 0; kk < k; ++kk) {
                const double p = static_cast<double>(a[static_cast<std::size_t>(i) * k + kk]) *
                                 static_cast<double>(b[static_cast<std::size_t>(j) * k + kk]);
                s += p;
                s_abs += std::fabs(p);
            }
            d[static_cast<std::size_t>(i) * n + j] = s;
            abs_sum[static_cast<std::size_t>(i) * n + j] = s_abs;
        }
}

struct Case {
    int m, n, k;
    Fp8Matrix qa, qb;
    std::vector<float> a, b, d;
};

Case run_case(int m, int n, int k, unsigned seed) {
    Case c{m, n, k, {}, {}, random_matrix(m, k, seed), random_matrix(n, k, seed + 1), {}};
    // Give rows and blocks different magnitudes so that the scales matter.
    for (int i = 0; i < m; ++i)
        for (int kk = 0; kk < k; ++kk) c.a[static_cast<std::size_t>(i) * k + kk] *= 1.0f + (i % 7) * 10.0f;
    for (int j = 0; j < n; ++j)
        for (int kk = 0; kk < k; ++kk)
            c.b[static_cast<std::size_t>(j) * k + kk] *= std::ldexp(1.0f, (j / 128 + kk / 128) % 5 - 2);
    c.qa = quantize_1x128(c.a, m, k);
    c.qb = quantize_128x128(c.b, n, k);
    c.d.assign(static_cast<std::size_t>(m) * n, 0.0f);
    fp8_gemm_reference({m, n, k, c.qa.codes, c.qa.scales, c.qb.codes, c.qb.scales, c.d, {}});
    return c;
}

}  // namespace

TEST_CASE("FP8 quantization: scales are tile amax / 448, codes within range", "[kernels]") {
    const int rows = 130, cols = 300;  // partial tiles in both directions
    const auto x = random_matrix(rows, cols, 7, -3.0f, 3.0f);
    const auto qa = quantize_1x128(x, rows, cols);
    REQUIRE(qa.scales.size() == static_cast<std::size_t>(rows) * 3);
    const auto qb = quantize_128x128(x, rows, cols);
    REQUIRE(qb.scales.size() == 2u * 3u);
    float amax = 0.0f;  // row 5, columns 256..299 (the partial last tile)
    for (int c = 256; c < cols; ++c) amax = std::max(amax, std::fabs(x[5 * cols + c]));
    CHECK(qa.scales[5 * 3 + 2] == amax / 448.0f);
    // Dequantized values are within half an E4M3 step (2^-4 relative) or a subnormal quantum.
    const auto back = dequantize_1x128(qa);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double s = qa.scales[(i / cols) * 3 + (i % cols) / 128];
        CHECK(std::fabs(back[i] - x[i]) <= std::max(std::fabs(x[i]) / 16.0, s * std::ldexp(1.0, -10)) * (1 + 1e-6));
    }
    // An all-zero tile gets scale 1 and zero codes.
    const std::vector<float> zeros(128 * 128, 0.0f);
    const auto qz = quantize_128x128(zeros, 128, 128);
    CHECK(qz.scales[0] == 1.0f);
    CHECK(qz.codes[77] == 0);
}

TEST_CASE("FP8 GEMM: matches a double GEMM of the dequantized inputs", "[kernels]") {
    for (auto [m, n, k] : {std::tuple{64, 256, 512}, std::tuple{17, 200, 200}, std::tuple{3, 129, 1}}) {
        INFO("m " << m << " n " << n << " k " << k);
        const Case c = run_case(m, n, k, 42 + k);
        std::vector<double> ref, abs_sum;
        gemm_double(dequantize_1x128(c.qa), dequantize_128x128(c.qb), m, n, k, ref, abs_sum);
        // Products of E4M3 values are exact in FP32; what is left is FP32 summation inside a
        // 128-block and across the ceil(k/128) promotions: ≤ (128 + k/128 + 2)·2^-24 of Σ|ab|.
        const double bound = (128.0 + k / 128.0 + 2.0) * std::ldexp(1.0, -24);
        double worst = 0.0;
        for (std::size_t i = 0; i < ref.size(); ++i) {
            const double err = std::fabs(c.d[i] - ref[i]) / std::max(abs_sum[i], 1e-30);
            worst = std::max(worst, err);
        }
        CHECK(worst <= bound);
    }
}

TEST_CASE("FP8 GEMM: within FP8 error of the unquantized float GEMM", "[kernels]") {
    const int m = 64, n = 256, k = 512;
    const Case c = run_case(m, n, k, 9);
    std::vector<double> ref, abs_sum;
    gemm_double(c.a, c.b, m, n, k, ref, abs_sum);
    // Loose on purpose: each E4M3 input is off by at most 2^-4 relative (3 mantissa bits), so
    // each product by at most 2·2^-4 + 2^-8 ≈ 0.13 — a per-element bound of 0.13·Σ|ab|. On
    // random data the errors partly cancel: the whole matrix is within 5% (Frobenius) of the exact
    // one (3.6% measured here).
    double err2 = 0.0, ref2 = 0.0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        CHECK(std::fabs(c.d[i] - ref[i]) <= 0.13 * abs_sum[i]);
        err2 += (c.d[i] - ref[i]) * (c.d[i] - ref[i]);
        ref2 += ref[i] * ref[i];
    }
    CHECK(std::sqrt(err2 / ref2) < 0.05);
}

TEST_CASE("FP8 GEMM: BF16 output is the FP32 result rounded to nearest even", "[kernels]") {
    const int m = 8, n = 130, k = 256;
    const Case c = run_case(m, n, k, 3);
    std::vector<std::uint16_t> d16(static_cast<std::size_t>(m) * n);
    fp8_gemm_reference({m, n, k, c.qa.codes, c.qa.scales, c.qb.codes, c.qb.scales, {}, d16});
    for (std::size_t i = 0; i < d16.size(); ++i) CHECK(d16[i] == bf16_from_float(c.d[i]));
}

TEST_CASE("FP8 GEMM: inconsistent sizes throw naming the file and line", "[kernels]") {
    const int m = 4, n = 128, k = 256;
    const Case c = run_case(m, n, k, 5);
    std::vector<float> d(static_cast<std::size_t>(m) * n);
    std::vector<std::uint16_t> d16(d.size());
    const std::vector<float> few_scales(c.qa.scales.begin(), c.qa.scales.end() - 1);
    Fp8GemmParams p{m, n, k, c.qa.codes, c.qa.scales, c.qb.codes, c.qb.scales, d, {}};
    REQUIRE_NOTHROW(fp8_gemm_reference(p));
    auto bad = p;
    bad.a_scales = few_scales;
    CHECK_THROWS_WITH(fp8_gemm_reference(bad), Catch::Contains("fp8_gemm.cpp:") &&
                                                   Catch::Contains("1×128 tiles"));
    bad = p;
    bad.k = 255;  // codes no longer match m·k
    CHECK_THROWS_AS(fp8_gemm_reference(bad), moesim::InternalError);
    bad = p;
    bad.d_bf16 = d16;  // two outputs
    CHECK_THROWS_WITH(fp8_gemm_reference(bad), Catch::Contains("exactly one output"));
    bad = p;
    bad.m = 0;
    CHECK_THROWS_AS(fp8_gemm_reference(bad), moesim::InternalError);
}

TEST_CASE("FP8 GEMM: analytic counts reproduce a published DeepGEMM row", "[kernels]") {
    CHECK(gemm_flops(2, 3, 5) == 60.0);
    CHECK(gemm_flops(4096, 7168, 16384) == 2.0 * 4096 * 7168 * 16384);
    CHECK(deepgemm_bytes(2, 3, 5) == 2 * 5 + 3 * 5 + 2 * 2 * 3);
    CHECK(deepgemm_bytes(2, 3, 5, 4) == 2 * 5 + 4 * 3 * 5 + 2 * 2 * 3);
    // PUBLISHED.md E: M 4096, N 7168, K 16384 at 1520 TFLOPS is 633 µs and 384 GB/s.
    const double t = gemm_flops(4096, 7168, 16384) / 1520e12;
    CHECK(t * 1e6 == Approx(633).margin(0.5));
    CHECK(deepgemm_bytes(4096, 7168, 16384) / t / 1e9 == Approx(384).margin(1.0));
    // and M 64, N 2112, K 7168 at 206 TFLOPS is 1688 GB/s (206 is rounded: ±0.25%).
    const double t2 = gemm_flops(64, 2112, 7168) / 206e12;
    CHECK(deepgemm_bytes(64, 2112, 7168) / t2 / 1e9 == Approx(1688).epsilon(0.0025));
}
