#pragma once
// Benchmarks of the moesim GEMM kernel (dense FP8 block-scaled and BF16), and the host helpers
// every GEMM benchmark shares (this one, the grouped GEMM, cuBLASLt): which elements of D are
// checked, and the check of those elements against the CPU reference.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "moesim/kernels/bench_stats.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/fp8_gemm.h"
#include "moesim/kernels/gemm_cuda.h"

namespace moesim::kernels {

// Summation tolerances, as fractions of Σ|a·b| (gemm_check.h). FP8: room for a tensor-core
// accumulator of ~14 significant bits inside each 128-wide K block (V3 report §3.3.2, measured
// on H800), none for a wrong tile, scale or index, whose error is of the order of the value
// itself, ~Σ|a·b|/√k for random signs. BF16: FP32 accumulation in any order; 2^-12 is ~50× the
// typical FP32 summation error at K = 7168 (√k·2^-24 of Σ|a·b|) and ~30× below a wrong value's
// error at K = 16384.
inline constexpr double kFp8SumTolerance = 1.0 / 1024;
inline constexpr double kBf16SumTolerance = 1.0 / 4096;

// 64 rows × 64 columns of an m × n result (all of a smaller one), edges included.
struct GemmSample {
    std::vector<int> rows, cols;
};
GemmSample gemm_sample(int m, int n, std::uint64_t seed);

// Downloads the sampled rows of D (rows × n, row-major) and checks the sampled elements
// against `reference` with check_gemm_elements; sets m.reference_ok, max_error, check_detail.
void check_gemm_sample(Measurement& m, const DeviceBuffer<std::uint16_t>& d, int rows, int n,
                       const GemmSample& sample, std::span<const GemmElement> reference,
                       double sum_tolerance, const char* sum_tolerance_text);

// Host copies of FP8 operands with scales, deterministic in the shape and seed.
struct Fp8Operands {
    std::vector<std::uint8_t> a, b;      // m × k, groups · n × k
    std::vector<float> a_scales, b_scales;
};
Fp8Operands make_fp8_operands(int m, int n, int k, int groups, std::uint64_t seed);

// The arguments of a dense GEMM (scales only for FP8).
GemmArgs dense_gemm_args(const GemmShape& s, GemmInput input, const void* a, const void* b, std::uint16_t* d,
                         const float* a_scales = nullptr, const float* b_scales = nullptr,
                         Fp8MmaPath path = Fp8MmaPath::Auto);

// kind "gemm", impl "moesim_fp8_block" (Auto path) or "moesim_fp8_block_portable", dtype "fp8".
void bench_fp8_gemm(std::span<const GemmShape> shapes, Fp8MmaPath path, const SuitePlan& plan,
                    const MeasurementSink& sink);

// kind "gemm", impl "moesim_bf16", dtype "bf16": the same kernel on BF16 operands.
void bench_bf16_gemm(std::span<const GemmShape> shapes, const SuitePlan& plan, const MeasurementSink& sink);

}  // namespace moesim::kernels
