#include "moesim/kernels/bf16_gemm.h"

#include <cmath>

#include "moesim/common/error.h"
#include "moesim/kernels/fp8.h"

namespace moesim::kernels {

std::vector<GemmElement> bf16_gemm_reference_at(const Bf16GemmParams& p, std::span<const int> rows,
                                                std::span<const int> cols) {
    MOESIM_CHECK(p.m > 0 && p.n > 0 && p.k > 0, "bf16_gemm: m, n and k must be positive");
    const auto k = static_cast<std::size_t>(p.k);
    MOESIM_CHECK(p.a.size() == static_cast<std::size_t>(p.m) * k, "bf16_gemm: A must hold m·k values");
    MOESIM_CHECK(p.b.size() == static_cast<std::size_t>(p.n) * k, "bf16_gemm: B must hold n·k values");
    std::vector<GemmElement> out;
    out.reserve(rows.size() * cols.size());
    std::vector<float> a_row(k);
    for (int i : rows) {
        MOESIM_CHECK(i >= 0 && i < p.m, "bf16_gemm_reference_at: row outside A");
        for (std::size_t kk = 0; kk < k; ++kk) a_row[kk] = bf16_to_float(p.a[i * k + kk]);
        for (int j : cols) {
            MOESIM_CHECK(j >= 0 && j < p.n, "bf16_gemm_reference_at: column outside D");
            float acc = 0.0f;
            double abs_sum = 0.0;
            for (std::size_t kk = 0; kk < k; ++kk) {
                const float prod = a_row[kk] * bf16_to_float(p.b[j * k + kk]);
                acc += prod;
                abs_sum += std::fabs(static_cast<double>(prod));
            }
            out.push_back({i, j, acc, abs_sum});
        }
    }
    return out;
}

double bf16_gemm_bytes(double m, double n, double k, double groups) {
    return 2.0 * (m * k + groups * n * k + m * n);
}

}  // namespace moesim::kernels
