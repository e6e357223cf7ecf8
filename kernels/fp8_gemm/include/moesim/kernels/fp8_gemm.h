#pragma once
// FP8 E4M3 GEMM with DeepSeek-V3's fine-grained scaling (V3 technical report §3.3.2; the
// layout DeepGEMM uses): D = A · Bᵀ, with
//   A: m × k E4M3 codes, row-major (K-major), one FP32 scale per row and 128-column tile;
//   B: n × k E4M3 codes, row-major (K-major), one FP32 scale per 128 × 128 block;
//   D: m × n, row-major, FP32 or BF16.
// The reference accumulates each 128-element K block in FP32 and then promotes it into an
// FP32 accumulator after multiplying by both scales, as the Hopper kernels do with their
// limited-precision tensor-core accumulators.
//
// K and N need not be multiples of 128: the last tile or block is partial and still has one
// scale. (V3's shapes are all multiples of 128; a GPU kernel may require it, the reference
// does not.) Inconsistent sizes throw InternalError naming file:line (MOESIM_CHECK).
#include <cstdint>
#include <span>
#include <vector>

namespace moesim::kernels {

inline constexpr int kFp8ScaleTile = 128;

// A GEMM problem D (m × n) = A (m × k) · Bᵀ (B n × k), as the suite names it.
struct GemmShape {
    int m = 0, n = 0, k = 0;
};

// Number of 128-wide tiles covering n elements.
inline constexpr int scale_tiles(int n) { return (n + kFp8ScaleTile - 1) / kFp8ScaleTile; }

struct Fp8GemmParams {
    int m = 0, n = 0, k = 0;
    std::span<const std::uint8_t> a;    // m · k
    std::span<const float> a_scales;    // m · scale_tiles(k), row-major
    std::span<const std::uint8_t> b;    // n · k
    std::span<const float> b_scales;    // scale_tiles(n) · scale_tiles(k), row-major
    std::span<float> d_f32;             // m · n, or empty when d_bf16 is the output
    std::span<std::uint16_t> d_bf16;    // m · n, or empty when d_f32 is the output
};

// A matrix in E4M3 with its scales: codes rows × cols, scales as the layout says.
struct Fp8Matrix {
    int rows = 0, cols = 0;
    std::vector<std::uint8_t> codes;
    std::vector<float> scales;
};

// Quantize row-major floats. Each tile's scale is amax / 448 (1 for an all-zero tile), and
// each element is encoded as x / scale, so the tile's largest magnitude maps to ±448.
Fp8Matrix quantize_1x128(std::span<const float> x, int rows, int cols);    // activations
Fp8Matrix quantize_128x128(std::span<const float> x, int rows, int cols);  // weights

// Code value × scale, exact in double.
std::vector<double> dequantize_1x128(const Fp8Matrix& q);
std::vector<double> dequantize_128x128(const Fp8Matrix& q);

// The reference GEMM described above; writes exactly one of d_f32, d_bf16.
void fp8_gemm_reference(const Fp8GemmParams& p);

// Selected elements of the same reference, for checking a GPU result whose full reference
// would take too long on the CPU (d_f32 and d_bf16 are not used). For each row × column pair:
// the FP32 value before the output conversion, and Σ|a·b| over K of the dequantized inputs,
// the scale of any summation-order difference.
struct GemmElement {
    int row = 0, col = 0;
    float value = 0.0f;
    double abs_sum = 0.0;
};
std::vector<GemmElement> fp8_gemm_reference_at(const Fp8GemmParams& p, std::span<const int> rows,
                                                  std::span<const int> cols);

// Analytic counts for benchmarks (PUBLISHED.md E, DeepGEMM): FLOPs = 2·m·n·k, and
// bytes = m·k + groups·n·k (FP8 inputs) + 2·m·n (BF16 output), scales not counted.
double gemm_flops(double m, double n, double k);
double deepgemm_bytes(double m, double n, double k, double groups = 1);

}  // namespace moesim::kernels
