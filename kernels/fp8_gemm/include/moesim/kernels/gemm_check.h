#pragma once
// Checking a GPU GEMM's BF16 output against reference elements (fp8_gemm_reference_at,
// bf16_gemm_reference_at). Each element may differ by
//   sum_tolerance · Σ|a·b|            the GPU's summation order and accumulator width, and
//   2^-8 · (|ref| + that)             BF16 output rounding (half a unit in the last place),
// so a GPU result that agrees passes whatever its summation order, and a wrong tile, scale or
// index (an error of the order of the value itself) fails.
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "moesim/kernels/error_check.h"
#include "moesim/kernels/fp8_gemm.h"

namespace moesim::kernels {

double gemm_element_tolerance(const GemmElement& ref, double sum_tolerance);

// Adds every reference element to `check`, reading the GPU's BF16 bits with got_bf16(row, col).
void check_gemm_elements(ErrorCheck& check, std::span<const GemmElement> reference,
                         const std::function<std::uint16_t(int row, int col)>& got_bf16,
                         double sum_tolerance);

// The phrase for ErrorCheck's `what`: "<rows>×<cols> sampled elements of D (m×n) …".
std::string gemm_check_what(std::size_t rows, std::size_t cols, int m, int n, const char* sum_tolerance);

}  // namespace moesim::kernels
