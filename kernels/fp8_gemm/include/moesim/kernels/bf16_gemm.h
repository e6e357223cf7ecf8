#pragma once
// The BF16 GEMM reference, D = A · Bᵀ with A m × k and B n × k BF16 row-major (K-major) and FP32
// accumulation: what the BF16 grouped GEMM and the cuBLASLt BF16 baseline are checked against.
// Lives beside the FP8 one because both are "the GEMM" of a V3 layer in one precision or the
// other, and share GemmElement. Products of two BF16 values are exact in FP32.
#include <cstdint>
#include <span>
#include <vector>

#include "moesim/kernels/fp8_gemm.h"

namespace moesim::kernels {

struct Bf16GemmParams {
    int m = 0, n = 0, k = 0;
    std::span<const std::uint16_t> a;  // m · k
    std::span<const std::uint16_t> b;  // n · k
};

// Selected elements (value before the BF16 output rounding, and Σ|a·b|), summed in k order.
std::vector<GemmElement> bf16_gemm_reference_at(const Bf16GemmParams& p, std::span<const int> rows,
                                                std::span<const int> cols);

// Bytes a BF16 GEMM moves at least: A, B and D once each, 2 bytes a value.
double bf16_gemm_bytes(double m, double n, double k, double groups = 1);

}  // namespace moesim::kernels
