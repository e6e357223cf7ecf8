// The grouped GEMM's layouts (DeepGEMM's contiguous and masked), its per-group reference, and
// its analytic counts against published DeepGEMM rows.
#include <catch2/catch.hpp>

#include <algorithm>

#include "moesim/common/error.h"
#include "moesim/kernels/grouped_gemm.h"
#include "moesim/kernels/suite_shapes.h"
#include "moesim/kernels/test_data.h"

using namespace moesim::kernels;

TEST_CASE("contiguous layout: groups start at multiples of 128, padding is -1", "[kernels]") {
    const std::vector<int> rows{1, 200, 0, 128};
    const ContiguousLayout c = contiguous_layout(rows);
    CHECK(c.total_rows == 128 + 256 + 0 + 128);
    REQUIRE(c.groups.size() == 4u);
    CHECK(c.groups[0].first_row == 0);
    CHECK(c.groups[1].first_row == 128);
    CHECK(c.groups[2].first_row == 384);
    CHECK(c.groups[2].rows == 0);
    CHECK(c.groups[3].first_row == 384);
    CHECK(c.m_indices[0] == 0);
    CHECK(c.m_indices[1] == -1);
    CHECK(c.m_indices[127] == -1);
    CHECK(c.m_indices[128] == 1);
    CHECK(c.m_indices[327] == 1);
    CHECK(c.m_indices[328] == -1);
    CHECK(c.m_indices[384] == 3);
    CHECK(c.m_indices[511] == 3);
    CHECK(std::count(c.m_indices.begin(), c.m_indices.end(), -1) == 127 + 56);

    const auto masked = masked_groups(std::vector<int>{3, 0, 64}, 64);
    CHECK(masked[1].first_row == 64);
    CHECK(masked[2].first_row == 128);
    CHECK(masked[2].rows == 64);
    CHECK_THROWS_AS(masked_groups(std::vector<int>{65}, 64), moesim::InternalError);
}

TEST_CASE("grouped reference: each group's rows are the dense reference of its expert", "[kernels]") {
    const int n = 256, k = 256;
    const std::vector<int> rows{3, 130, 0, 1};
    const ContiguousLayout c = contiguous_layout(rows);
    const auto kt = static_cast<std::size_t>(scale_tiles(k));
    const auto a = random_fp8_codes(static_cast<std::size_t>(c.total_rows) * k, 1);
    const auto sa = random_scales(static_cast<std::size_t>(c.total_rows) * kt, 2);
    const auto b = random_fp8_codes(4u * n * k, 3);
    const auto sb = random_scales(4u * scale_tiles(n) * kt, 4);
    const std::vector<int> sample_rows{0, 2, 128, 200, 257, 384}, cols{0, 129, 255};
    const auto got = grouped_fp8_reference_at(c.groups, n, k, a, sa, b, sb, sample_rows, cols);
    REQUIRE(got.size() == sample_rows.size() * cols.size());
    for (const GemmElement& e : got) {
        const int g = c.m_indices[static_cast<std::size_t>(e.row)];
        REQUIRE(g >= 0);
        const GroupRows gr = c.groups[static_cast<std::size_t>(g)];
        const std::size_t r0 = static_cast<std::size_t>(gr.first_row);
        const std::vector<int> local{e.row - gr.first_row}, col{e.col};
        const Fp8GemmParams dense{gr.rows, n, k,
                                  std::span(a).subspan(r0 * k, static_cast<std::size_t>(gr.rows) * k),
                                  std::span(sa).subspan(r0 * kt, static_cast<std::size_t>(gr.rows) * kt),
                                  std::span(b).subspan(static_cast<std::size_t>(g) * n * k, static_cast<std::size_t>(n) * k),
                                  std::span(sb).subspan(static_cast<std::size_t>(g) * scale_tiles(n) * kt,
                                                        static_cast<std::size_t>(scale_tiles(n)) * kt),
                                  {}, {}};
        CHECK(e.value == fp8_gemm_reference_at(dense, local, col)[0].value);
    }
    // A padding row belongs to no group.
    const std::vector<int> padding{5};
    CHECK_THROWS_AS(grouped_fp8_reference_at(c.groups, n, k, a, sa, b, sb, padding, cols), moesim::InternalError);

    const auto abf = random_bf16(static_cast<std::size_t>(c.total_rows) * k, 5);
    const auto bbf = random_bf16(4u * n * k, 6);
    const auto got16 = grouped_bf16_reference_at(c.groups, n, k, abf, bbf, sample_rows, cols);
    for (const GemmElement& e : got16) {
        const int g = c.m_indices[static_cast<std::size_t>(e.row)];
        const GroupRows gr = c.groups[static_cast<std::size_t>(g)];
        const std::vector<int> local{e.row - gr.first_row}, col{e.col};
        const auto r0 = static_cast<std::size_t>(gr.first_row);
        CHECK(e.value == bf16_gemm_reference_at({gr.rows, n, k, std::span(abf).subspan(r0 * k, static_cast<std::size_t>(gr.rows) * k),
                                                 std::span(bbf).subspan(static_cast<std::size_t>(g) * n * k, static_cast<std::size_t>(n) * k)},
                                                local, col)[0].value);
    }
}

TEST_CASE("grouped counts reproduce DeepGEMM's published rows", "[kernels]") {
    // PUBLISHED.md E, contiguous 4 × 8192 (N 4096, K 7168): 1346 TFLOPS, 434 GB/s.
    const std::vector<int> rows(4, 8192);
    const ContiguousLayout c = contiguous_layout(rows);
    const double t = grouped_gemm_flops(c.groups, 4096, 7168) / 1346e12;
    CHECK(grouped_gemm_bytes(c.groups, 4096, 7168, true) / t / 1e9 == Approx(434).epsilon(0.003));
    // Masked 1 × 1024 (N 4096, K 7168): 1233 TFLOPS, 924 GB/s; 4 × 256 (7168, 2048): 815, 2047.
    const auto one = masked_groups(std::vector<int>{1024}, 1024);
    const double t1 = grouped_gemm_flops(one, 4096, 7168) / 1233e12;
    CHECK(grouped_gemm_bytes(one, 4096, 7168, true) / t1 / 1e9 == Approx(924).epsilon(0.003));
    const auto four = masked_groups(std::vector<int>{256, 256, 256, 256}, 256);
    const double t4 = grouped_gemm_flops(four, 7168, 2048) / 815e12;
    CHECK(grouped_gemm_bytes(four, 7168, 2048, true) / t4 / 1e9 == Approx(2047).epsilon(0.003));
    // BF16 moves two bytes a value.
    CHECK(grouped_gemm_bytes(four, 7168, 2048, false) == 2.0 * (1024.0 * 2048 + 4.0 * 7168 * 2048 + 1024.0 * 7168));
}

TEST_CASE("suite shapes: V3's grouped GEMMs, and a dense GEMM of each contiguous total", "[kernels]") {
    for (const bool quick : {false, true}) {
        const SuiteShapes s = suite_shapes(quick);
        CHECK_FALSE(s.grouped_contiguous.empty());
        CHECK_FALSE(s.grouped_masked.empty());
        for (const GroupedGemmShape& g : s.grouped_contiguous)
            CHECK(std::any_of(s.gemm.begin(), s.gemm.end(), [&](const GemmShape& d) {
                return d.m == g.groups * g.m_per_group && d.n == g.n && d.k == g.k;
            }));
    }
    const SuiteShapes full = suite_shapes(false);
    auto has = [](const std::vector<GroupedGemmShape>& v, const GroupedGemmShape& s) {
        return std::any_of(v.begin(), v.end(), [&](const GroupedGemmShape& t) {
            return t.groups == s.groups && t.m_per_group == s.m_per_group && t.n == s.n && t.k == s.k;
        });
    };
    for (const auto& s : v3_grouped_contiguous()) CHECK(has(full.grouped_contiguous, s));
    for (const auto& s : v3_grouped_masked()) CHECK(has(full.grouped_masked, s));
    CHECK(v3_grouped_contiguous().size() == 4u);
    CHECK(v3_grouped_masked().size() == 6u);
}
