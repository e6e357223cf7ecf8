#pragma once
// Benchmarks of the baselines that the runner calls: the HBM copy and cuBLASLt BF16/FP8 GEMMs.
#include <span>

#include "moesim/kernels/bench_stats.h"
#include "moesim/kernels/fp8_gemm.h"

namespace moesim::kernels {

// kind "memory", impl "hbm_copy": each size copied, timed, and the copy checked word by word.
void bench_hbm_copy(std::span<const double> sizes_bytes, const SuitePlan& plan,
                    const MeasurementSink& sink);

enum class CublasGemmType { Bf16, Fp8 };

// kind "gemm", impl "cublaslt": D (BF16) = A · Bᵀ with A m × k and B n × k K-major, FP32
// accumulation; FP8 with per-tensor scales of 1 (E4M3 in, "TN" as cuBLASLt requires for FP8).
// A GPU without FP8 cuBLASLt support (before sm_89) skips the FP8 points.
void bench_cublaslt_gemm(std::span<const GemmShape> shapes, CublasGemmType type,
                         const SuitePlan& plan, const MeasurementSink& sink);

}  // namespace moesim::kernels
