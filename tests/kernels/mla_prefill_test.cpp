// MLA prefill reference: a single visible key returns its value, rows match the full
// reference, causality (a later key changes nothing before it), and the counts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/kernels/mla_decode.h"
#include "moesim/kernels/mla_prefill.h"
#include "moesim/kernels/suite_shapes.h"

using namespace moesim::kernels;

namespace {

std::vector<float> normal(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

}  // namespace

TEST_CASE("MLA prefill reference: causal softmax attention per head", "[kernels]") {
    const int b = 2, s = 9, h = 3;
    const std::size_t rows = static_cast<std::size_t>(b) * s * h;
    auto q = normal(rows * kMlaQkDim, 1), k = normal(rows * kMlaQkDim, 2), v = normal(rows * kMlaVDim, 3);
    std::vector<float> out(rows * kMlaVDim);
    const float scale = 1.0f / std::sqrt(192.0f);
    MlaPrefillParams p{b, s, h, scale, q, k, v, out};
    mla_prefill_reference(p);
    // Position 0 sees only itself: out = v.
    for (int hh = 0; hh < h; ++hh)
        for (int d = 0; d < kMlaVDim; ++d)
            CHECK(out[static_cast<std::size_t>(hh) * kMlaVDim + d] == Approx(v[static_cast<std::size_t>(hh) * kMlaVDim + d]).margin(1e-6));
    // A row equals the full reference's; the row of an explicit softmax for (1, 4, 2).
    const auto row = mla_prefill_reference_row(p, 1, 4, 2);
    const std::size_t r = (static_cast<std::size_t>(1) * s + 4) * h + 2;
    std::vector<double> w;
    double sum = 0;
    for (int j = 0; j <= 4; ++j) {
        const std::size_t rj = (static_cast<std::size_t>(1) * s + j) * h + 2;
        double dot = 0;
        for (int d = 0; d < kMlaQkDim; ++d) dot += static_cast<double>(q[r * kMlaQkDim + d]) * k[rj * kMlaQkDim + d];
        w.push_back(std::exp(dot * scale));
        sum += w.back();
    }
    for (int d = 0; d < kMlaVDim; ++d) {
        double want = 0;
        for (int j = 0; j <= 4; ++j) want += w[static_cast<std::size_t>(j)] / sum * v[((static_cast<std::size_t>(1) * s + j) * h + 2) * kMlaVDim + d];
        CHECK(row[static_cast<std::size_t>(d)] == Approx(want).epsilon(1e-9));
        CHECK(out[r * kMlaVDim + d] == Approx(want).epsilon(1e-6));
    }
    // Causality: changing the last key and value leaves every earlier position as it was.
    auto k2 = k, v2 = v;
    for (int hh = 0; hh < h; ++hh)
        for (int d = 0; d < kMlaQkDim; ++d) k2[((static_cast<std::size_t>(0) * s + 8) * h + hh) * kMlaQkDim + d] += 5.0f;
    std::vector<float> out2(out.size());
    mla_prefill_reference({b, s, h, scale, q, k2, v2, out2});
    for (std::size_t i = 0; i < static_cast<std::size_t>(8) * h * kMlaVDim; ++i) CHECK(out2[i] == out[i]);
    CHECK(out2[(static_cast<std::size_t>(8) * h) * kMlaVDim] != out[(static_cast<std::size_t>(8) * h) * kMlaVDim]);
    // Bad sizes.
    auto bad = p;
    bad.v = std::span<const float>(v).first(v.size() - 1);
    CHECK_THROWS_AS(mla_prefill_reference(bad), moesim::InternalError);
}

TEST_CASE("MLA prefill counts", "[kernels]") {
    const MlaPrefillShape s{2, 128, 4096};
    CHECK(mla_prefill_flops(s) == 2.0 * (4096.0 * 4097 / 2) * 320 * 2 * 128);
    CHECK(mla_prefill_bytes(s) == 2.0 * 2 * 4096 * 128 * (384 + 256));
}

TEST_CASE("MLA decode: one row of the reference equals the full reference's row", "[kernels]") {
    const int batch = 2, s_q = 2, heads = 3;
    const std::vector<int> lens{70, 5};
    const int max_blocks = 2;
    auto cache = normal(4u * 64 * kMlaKDim, 4);
    const std::vector<std::int32_t> table{3, 0, 1, 2};
    auto q = normal(static_cast<std::size_t>(batch) * s_q * heads * kMlaKDim, 5);
    std::vector<float> out(static_cast<std::size_t>(batch) * s_q * heads * kMlaLatentDim);
    const MlaDecodeParams p{batch, s_q, heads, 0.05f, lens, q, cache, table, max_blocks, out};
    mla_decode_reference(p);
    for (auto [b, t, h] : {std::tuple{0, 0, 0}, std::tuple{0, 1, 2}, std::tuple{1, 0, 1}}) {
        const auto row = mla_decode_reference_row(p, b, t, h);
        const std::size_t r = (static_cast<std::size_t>(b) * s_q + t) * heads + h;
        for (int d = 0; d < kMlaLatentDim; ++d) CHECK(static_cast<float>(row[static_cast<std::size_t>(d)]) == out[r * kMlaLatentDim + d]);
    }
    CHECK_THROWS_AS(mla_decode_reference_row(p, 2, 0, 0), moesim::InternalError);
}

TEST_CASE("suite shapes: FlashMLA's decode grid and the issue's target, prefill", "[kernels]") {
    CHECK(flashmla_decode_grid().size() == 16u);
    for (const bool quick : {false, true}) {
        const SuiteShapes s = suite_shapes(quick);
        CHECK(std::any_of(s.mla_decode.begin(), s.mla_decode.end(), [](const MlaDecodeShape& d) {
            return d.batch == 128 && d.s_q == 1 && d.heads == 128 && d.cached_tokens == 4096;
        }));
        CHECK_FALSE(s.mla_prefill.empty());
    }
    for (const MlaDecodeShape& d : flashmla_decode_grid()) {
        CHECK(d.batch == 128);
        CHECK((d.cached_tokens == 4096 || d.cached_tokens == 8192));
    }
}
