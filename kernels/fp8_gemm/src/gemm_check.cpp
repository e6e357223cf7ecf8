#include "moesim/kernels/gemm_check.h"

#include <cmath>

#include "moesim/kernels/fp8.h"

namespace moesim::kernels {

double gemm_element_tolerance(const GemmElement& ref, double sum_tolerance) {
    const double summation = sum_tolerance * ref.abs_sum;
    return summation + std::ldexp(std::fabs(static_cast<double>(ref.value)) + summation, -8) + 1e-30;
}

void check_gemm_elements(ErrorCheck& check, std::span<const GemmElement> reference,
                         const std::function<std::uint16_t(int row, int col)>& got_bf16,
                         double sum_tolerance) {
    for (const GemmElement& e : reference) {
        const double got = bf16_to_float(got_bf16(e.row, e.col));
        check.add(got, e.value, gemm_element_tolerance(e, sum_tolerance),
                  static_cast<std::size_t>(e.row) * 1000000u + static_cast<std::size_t>(e.col));
    }
}

std::string gemm_check_what(std::size_t rows, std::size_t cols, int m, int n, const char* sum_tolerance) {
    return std::to_string(rows) + "×" + std::to_string(cols) + " sampled elements of D (" +
           std::to_string(m) + "×" + std::to_string(n) +
           ", first and last rows and columns included) against the CPU reference; tolerance " +
           sum_tolerance + "·Σ|a·b| + 2^-8·(|ref| + that) (BF16 output rounding); index = row·10^6 + col";
}

}  // namespace moesim::kernels
