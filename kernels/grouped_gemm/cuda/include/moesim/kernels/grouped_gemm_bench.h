#pragma once
// Benchmarks of the grouped GEMMs: kind "grouped_gemm", impl "moesim_grouped", op the layout
// ("contiguous" | "masked"), dtype "fp8" | "bf16", shape groups, m_per_group, n, k.
#include <span>

#include "moesim/kernels/bench_stats.h"
#include "moesim/kernels/gemm_cuda.h"
#include "moesim/kernels/grouped_gemm.h"

namespace moesim::kernels {

// The rows each group holds in the benchmark. Contiguous: m_per_group each (DeepGEMM's test).
// Masked: m_per_group · (0.7 + 0.6·u) with u uniform and deterministic in the shape, as
// DeepGEMM's test draws masked_m, and m_max the largest rounded up to 128.
std::vector<int> benchmark_rows_per_group(const GroupedGemmShape& s, GemmLayout layout);

void bench_grouped_gemm(std::span<const GroupedGemmShape> shapes, GemmLayout layout, GemmInput input,
                        const SuitePlan& plan, const MeasurementSink& sink);

}  // namespace moesim::kernels
