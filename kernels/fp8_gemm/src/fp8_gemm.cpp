#include "moesim/kernels/fp8_gemm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "moesim/common/error.h"
#include "moesim/kernels/fp8.h"

namespace moesim::kernels {
namespace {

std::size_t area(int rows, int cols) {
    return static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
}

// Quantize with tiles of tile_rows × 128 (1 for activations, 128 for weights).
Fp8Matrix quantize_tiled(std::span<const float> x, int rows, int cols, int tile_rows) {
    MOESIM_CHECK(rows > 0 && cols > 0, "quantize: empty matrix");
    MOESIM_CHECK(x.size() == area(rows, cols), "quantize: " + std::to_string(x.size()) +
                                                   " values for " + std::to_string(rows) + "×" +
                                                   std::to_string(cols));
    Fp8Matrix q{rows, cols, std::vector<std::uint8_t>(area(rows, cols)), {}};
    const int row_tiles = (rows + tile_rows - 1) / tile_rows;
    const int col_tiles = scale_tiles(cols);
    q.scales.assign(area(row_tiles, col_tiles), 1.0f);
    for (int tr = 0; tr < row_tiles; ++tr) {
        const int r0 = tr * tile_rows, r1 = std::min(rows, r0 + tile_rows);
        for (int tc = 0; tc < col_tiles; ++tc) {
            const int c0 = tc * kFp8ScaleTile, c1 = std::min(cols, c0 + kFp8ScaleTile);
            float amax = 0.0f;
            for (int r = r0; r < r1; ++r)
                for (int c = c0; c < c1; ++c) amax = std::max(amax, std::fabs(x[area(r, cols) + c]));
            const float scale = amax > 0.0f ? amax / kFp8E4M3Max : 1.0f;
            q.scales[area(tr, col_tiles) + tc] = scale;
            for (int r = r0; r < r1; ++r)
                for (int c = c0; c < c1; ++c)
                    q.codes[area(r, cols) + c] = fp8_e4m3_encode(x[area(r, cols) + c] / scale);
        }
    }
    return q;
}

std::vector<double> dequantize_tiled(const Fp8Matrix& q, int tile_rows) {
    MOESIM_CHECK(q.codes.size() == area(q.rows, q.cols), "dequantize: codes do not match rows×cols");
    const int col_tiles = scale_tiles(q.cols);
    const int row_tiles = (q.rows + tile_rows - 1) / tile_rows;
    MOESIM_CHECK(q.scales.size() == area(row_tiles, col_tiles), "dequantize: wrong scale count");
    const float* lut = fp8_e4m3_decode_table();
    std::vector<double> out(q.codes.size());
    for (int r = 0; r < q.rows; ++r)
        for (int c = 0; c < q.cols; ++c)
            out[area(r, q.cols) + c] =
                static_cast<double>(lut[q.codes[area(r, q.cols) + c]]) *
                static_cast<double>(q.scales[area(r / tile_rows, col_tiles) + c / kFp8ScaleTile]);
    return out;
}

}  // namespace

Fp8Matrix quantize_1x128(std::span<const float> x, int rows, int cols) {
    return quantize_tiled(x, rows, cols, 1);
}
Fp8Matrix quantize_128x128(std::span<const float> x, int rows, int cols) {
    return quantize_tiled(x, rows, cols, kFp8ScaleTile);
}
std::vector<double> dequantize_1x128(const Fp8Matrix& q) { return dequantize_tiled(q, 1); }
std::vector<double> dequantize_128x128(const Fp8Matrix& q) {
    return dequantize_tiled(q, kFp8ScaleTile);
}

namespace {

void check_params(const Fp8GemmParams& p) {
    MOESIM_CHECK(p.m > 0 && p.n > 0 && p.k > 0, "fp8_gemm: m, n and k must be positive");
    const int kt = scale_tiles(p.k);
    MOESIM_CHECK(p.a.size() == area(p.m, p.k), "fp8_gemm: A must hold m·k codes");
    MOESIM_CHECK(p.b.size() == area(p.n, p.k), "fp8_gemm: B must hold n·k codes");
    MOESIM_CHECK(p.a_scales.size() == area(p.m, kt),
                 "fp8_gemm: A scales must be m · ceil(k/128) (1×128 tiles)");
    MOESIM_CHECK(p.b_scales.size() == area(scale_tiles(p.n), kt),
                 "fp8_gemm: B scales must be ceil(n/128) · ceil(k/128) (128×128 blocks)");
}

// One element of D before the output conversion, the A row already decoded.
float element(const Fp8GemmParams& p, const float* a_row, int i, int j) {
    const float* lut = fp8_e4m3_decode_table();
    const int kt = scale_tiles(p.k);
    const std::uint8_t* b_row = p.b.data() + area(j, p.k);
    float acc = 0.0f;  // the promoted FP32 accumulator
    for (int t = 0; t < kt; ++t) {
        const int k0 = t * kFp8ScaleTile, k1 = std::min(p.k, k0 + kFp8ScaleTile);
        float block = 0.0f;  // one 128-element K block, unscaled, in FP32
        for (int kk = k0; kk < k1; ++kk) block += a_row[kk] * lut[b_row[kk]];
        acc += block * p.a_scales[area(i, kt) + t] * p.b_scales[area(j / kFp8ScaleTile, kt) + t];
    }
    return acc;
}

std::vector<float> decode_row(const Fp8GemmParams& p, int i) {
    const float* lut = fp8_e4m3_decode_table();
    std::vector<float> row(static_cast<std::size_t>(p.k));
    for (int kk = 0; kk < p.k; ++kk) row[kk] = lut[p.a[area(i, p.k) + kk]];
    return row;
}

}  // namespace

void fp8_gemm_reference(const Fp8GemmParams& p) {
    check_params(p);
    MOESIM_CHECK(p.d_f32.empty() != p.d_bf16.empty(), "fp8_gemm: give exactly one output");
    MOESIM_CHECK(p.d_f32.empty() || p.d_f32.size() == area(p.m, p.n), "fp8_gemm: D must be m·n");
    MOESIM_CHECK(p.d_bf16.empty() || p.d_bf16.size() == area(p.m, p.n), "fp8_gemm: D must be m·n");
    for (int i = 0; i < p.m; ++i) {
        const std::vector<float> a_row = decode_row(p, i);
        for (int j = 0; j < p.n; ++j) {
            const float acc = element(p, a_row.data(), i, j);
            if (!p.d_f32.empty())
                p.d_f32[area(i, p.n) + j] = acc;
            else
                p.d_bf16[area(i, p.n) + j] = bf16_from_float(acc);
        }
    }
}

std::vector<GemmElement> fp8_gemm_reference_at(const Fp8GemmParams& p, std::span<const int> rows,
                                                  std::span<const int> cols) {
    check_params(p);
    const float* lut = fp8_e4m3_decode_table();
    const int kt = scale_tiles(p.k);
    std::vector<GemmElement> out;
    out.reserve(rows.size() * cols.size());
    for (int i : rows) {
        MOESIM_CHECK(i >= 0 && i < p.m, "fp8_gemm_reference_at: row outside A");
        const std::vector<float> a_row = decode_row(p, i);
        for (int j : cols) {
            MOESIM_CHECK(j >= 0 && j < p.n, "fp8_gemm_reference_at: column outside D");
            double abs_sum = 0.0;
            const std::uint8_t* b_row = p.b.data() + area(j, p.k);
            for (int kk = 0; kk < p.k; ++kk)
                abs_sum += std::fabs(static_cast<double>(a_row[kk]) * lut[b_row[kk]] *
                                     p.a_scales[area(i, kt) + kk / kFp8ScaleTile] *
                                     p.b_scales[area(j / kFp8ScaleTile, kt) + kk / kFp8ScaleTile]);
            out.push_back({i, j, element(p, a_row.data(), i, j), abs_sum});
        }
    }
    return out;
}

double gemm_flops(double m, double n, double k) { return 2.0 * m * n * k; }

double deepgemm_bytes(double m, double n, double k, double groups) {
    return m * k + groups * n * k + 2.0 * m * n;
}

}  // namespace moesim::kernels
