// The host side shared by every kernel benchmark: median and rates, the element-wise check,
// the deterministic test data and the sampled indices, and the suite's shapes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "moesim/common/error.h"
#include "moesim/kernels/bench_stats.h"
#include "moesim/kernels/error_check.h"
#include "moesim/kernels/fp8.h"
#include "moesim/kernels/suite_shapes.h"
#include "moesim/kernels/test_data.h"

using namespace moesim::kernels;

TEST_CASE("median and rates of timed repetitions", "[kernels]") {
    CHECK(median_s({3e-3, 1e-3, 2e-3}) == 2e-3);
    CHECK(median_s({4e-3, 1e-3, 2e-3, 3e-3}) == Approx(2.5e-3));
    CHECK_THROWS_AS(median_s({}), moesim::InternalError);
    CHECK_THROWS_AS(median_s({1e-3, 0.0}), moesim::InternalError);
    CHECK_THROWS_AS(median_s({1e-3, std::nan("")}), moesim::InternalError);

    Measurement m;
    m.flops = 2.0 * 4096 * 7168 * 16384;
    m.bytes = 4096.0 * 16384 + 7168.0 * 16384 + 2.0 * 4096 * 7168;
    set_rates(m, {700e-6, 633e-6, 650e-6});
    CHECK(m.time_s == 650e-6);
    CHECK(m.TFLOPS == Approx(m.flops / 650e-6 / 1e12));
    CHECK(m.GBps == Approx(m.bytes / 650e-6 / 1e9));
}

TEST_CASE("ErrorCheck: tolerance per element, NaN fails, worst element reported", "[kernels]") {
    ErrorCheck check("test values");
    check.add(1.0, 1.0005, 1e-3, 0);
    check.add(2.0, 2.0, 0.0, 1);
    CHECK(check.ok());
    CHECK(check.max_error() == Approx(5e-4));
    check.add(10.0, 9.0, 0.5, 7);  // fails: error 1 > 0.5
    CHECK_FALSE(check.ok());
    CHECK(check.failures() == 1);
    CHECK(check.max_error() == Approx(1.0));
    CHECK_THAT(check.detail(), Catch::Contains("3 compared, 1 beyond tolerance") &&
                                   Catch::Contains("worst at index 7"));
    Measurement m;
    check.apply(m);
    CHECK_FALSE(m.reference_ok);
    CHECK(m.max_error == Approx(1.0));

    ErrorCheck nan_check("nan");
    nan_check.add(std::nan(""), 1.0, 1e9, 0);
    CHECK_FALSE(nan_check.ok());
    ErrorCheck inf_check("inf");
    inf_check.add(std::numeric_limits<double>::infinity(), 1.0, 1e300, 0);
    CHECK_FALSE(inf_check.ok());
    CHECK_FALSE(ErrorCheck("nothing compared").ok());
}

TEST_CASE("test data: deterministic, NaN-free FP8, BF16 in range, positive scales", "[kernels]") {
    const auto codes = random_fp8_codes(100000, 1);
    CHECK(codes == random_fp8_codes(100000, 1));
    CHECK(codes != random_fp8_codes(100000, 2));
    std::set<int> distinct;
    for (auto c : codes) {
        CHECK_FALSE(std::isnan(fp8_e4m3_decode(c)));
        distinct.insert(c);
    }
    CHECK(distinct.size() == 254u);  // every code but the two NaNs

    const auto bf = random_bf16(10000, 3, -3, 0);
    bool negative = false, positive = false;
    for (auto b : bf) {
        const float v = bf16_to_float(b);
        CHECK(std::fabs(v) >= 0.125f);
        CHECK(std::fabs(v) < 2.0f);
        negative |= v < 0;
        positive |= v > 0;
    }
    CHECK((negative && positive));

    for (float s : random_scales(1000, 4, -6, 2)) {
        CHECK(s >= std::ldexp(1.0f, -6));
        CHECK(s < std::ldexp(1.0f, 3));
    }
}

TEST_CASE("sample_indices keeps the edges and is distinct and sorted", "[kernels]") {
    const auto s = sample_indices(4096, 64, 9);
    REQUIRE(s.size() == 64u);
    CHECK(s.front() == 0);
    CHECK(s.back() == 4095);
    CHECK(std::is_sorted(s.begin(), s.end()));
    CHECK(std::adjacent_find(s.begin(), s.end()) == s.end());
    CHECK(sample_indices(10, 64, 9).size() == 10u);
    CHECK(sample_indices(10, 1, 9) == std::vector<int>{0});
    CHECK(s == sample_indices(4096, 64, 9));
}

TEST_CASE("suite shapes: V3's GEMMs of PUBLISHED.md E, quick a subset of the full sweep", "[kernels]") {
    const SuiteShapes full = suite_shapes(false), quick = suite_shapes(true);
    // Every (M, N, K) of the DeepGEMM table: M 64, 128, 4096 at the six V3 layers.
    for (int m : {64, 128, 4096})
        for (const GemmShape& nk : v3_gemm_nk()) {
            INFO("m " << m << " n " << nk.n << " k " << nk.k);
            CHECK(std::any_of(full.gemm.begin(), full.gemm.end(), [&](const GemmShape& s) {
                return s.m == m && s.n == nk.n && s.k == nk.k;
            }));
        }
    // The target shape: M 4096 in the quick run too.
    CHECK(std::any_of(quick.gemm.begin(), quick.gemm.end(), [](const GemmShape& s) { return s.m == 4096; }));
    CHECK(quick.gemm.size() < full.gemm.size());
    for (const GemmShape& q : quick.gemm)
        CHECK(std::any_of(full.gemm.begin(), full.gemm.end(),
                          [&](const GemmShape& s) { return s.m == q.m && s.n == q.n && s.k == q.k; }));
    CHECK(full.copy_sizes_bytes.front() == 1 << 20);
    CHECK(full.copy_sizes_bytes.back() == std::ldexp(1.0, 32));
    for (double b : full.copy_sizes_bytes) CHECK(std::fmod(b, 16.0) == 0.0);
}

TEST_CASE("suite shapes: collectives from 1 KiB to 1 GiB", "[kernels]") {
    const SuiteShapes full = suite_shapes(false), quick = suite_shapes(true);
    CHECK(full.collective_sizes_bytes.front() == 1024.0);
    CHECK(full.collective_sizes_bytes.back() == std::ldexp(1.0, 30));
    CHECK(full.collective_sizes_bytes.size() == 21u);
    CHECK(quick.collective_sizes_bytes.size() < full.collective_sizes_bytes.size());
}
