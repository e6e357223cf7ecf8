// Benchmarks of the dense moesim GEMMs, checked on sampled elements against the CPU references.
#include "moesim/kernels/gemm_bench.h"

#include <algorithm>
#include <cmath>

#include "moesim/kernels/bf16_gemm.h"
#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/gemm_check.h"
#include "moesim/kernels/gpu_timer.h"
#include "moesim/kernels/test_data.h"

namespace moesim::kernels {

GemmSample gemm_sample(int m, int n, std::uint64_t seed) {
    return {sample_indices(m, 64, seed), sample_indices(n, 64, seed ^ 0xC0FFEEull)};
}

void check_gemm_sample(Measurement& m, const DeviceBuffer<std::uint16_t>& d, int rows, int n,
                       const GemmSample& sample, std::span<const GemmElement> reference,
                       double sum_tolerance, const char* sum_tolerance_text) {
    std::vector<std::vector<std::uint16_t>> d_rows;
    d_rows.reserve(sample.rows.size());
    for (int r : sample.rows)
        d_rows.push_back(d.download(static_cast<std::size_t>(r) * static_cast<std::size_t>(n), static_cast<std::size_t>(n)));
    ErrorCheck check(gemm_check_what(sample.rows.size(), sample.cols.size(), rows, n, sum_tolerance_text));
    check_gemm_elements(check, reference, [&](int row, int col) {
        const auto it = std::lower_bound(sample.rows.begin(), sample.rows.end(), row);
        return d_rows[static_cast<std::size_t>(it - sample.rows.begin())][static_cast<std::size_t>(col)];
    }, sum_tolerance);
    check.apply(m);
}

Fp8Operands make_fp8_operands(int m, int n, int k, int groups, std::uint64_t seed) {
    Fp8Operands o;
    const auto kt = static_cast<std::size_t>(scale_tiles(k));
    o.a = random_fp8_codes(static_cast<std::size_t>(m) * k, seed);
    o.b = random_fp8_codes(static_cast<std::size_t>(groups) * n * k, seed + 1);
    o.a_scales = random_scales(static_cast<std::size_t>(m) * kt, seed + 2);
    o.b_scales = random_scales(static_cast<std::size_t>(groups) * scale_tiles(n) * kt, seed + 3);
    return o;
}

GemmArgs dense_gemm_args(const GemmShape& s, GemmInput input, const void* a, const void* b, std::uint16_t* d,
                         const float* a_scales, const float* b_scales, Fp8MmaPath path) {
    GemmArgs args;
    args.input = input;
    args.path = path;
    args.m = s.m;
    args.n = s.n;
    args.k = s.k;
    args.a = a;
    args.b = b;
    args.a_scales = a_scales;
    args.b_scales = b_scales;
    args.d = d;
    return args;
}

namespace {

std::uint64_t shape_seed(const GemmShape& s) { return 1000003ull * s.m + 1009ull * s.n + s.k; }

Measurement gemm_measurement(const GemmShape& s, const char* impl, const char* dtype) {
    Measurement m;
    m.kind = "gemm";
    m.impl = impl;
    m.dtype = dtype;
    m.shape = {{"m", s.m}, {"n", s.n}, {"k", s.k}};
    m.flops = gemm_flops(s.m, s.n, s.k);
    return m;
}

}  // namespace

void bench_fp8_gemm(std::span<const GemmShape> shapes, Fp8MmaPath path, const SuitePlan& plan,
                    const MeasurementSink& sink) {
    CudaStream stream;
    GpuTimer timer(stream.get());
    const bool portable = path == Fp8MmaPath::Portable;
    for (const GemmShape& s : shapes) {
        const std::uint64_t seed = shape_seed(s);
        const Fp8Operands o = make_fp8_operands(s.m, s.n, s.k, 1, seed);
        DeviceBuffer<std::uint8_t> a(o.a), b(o.b);
        DeviceBuffer<float> sa(o.a_scales), sb(o.b_scales);
        DeviceBuffer<std::uint16_t> d(static_cast<std::size_t>(s.m) * s.n);
        const GemmArgs args = dense_gemm_args(s, GemmInput::Fp8BlockScaled, a.get(), b.get(), d.get(), sa.get(),
                                              sb.get(), path);
        Measurement m = gemm_measurement(s, portable ? "moesim_fp8_block_portable" : "moesim_fp8_block", "fp8");
        m.bytes = deepgemm_bytes(s.m, s.n, s.k);
        set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] { launch_gemm(args, stream.get()); }));
        const GemmSample sample = gemm_sample(s.m, s.n, seed);
        const auto reference = fp8_gemm_reference_at(
            {s.m, s.n, s.k, o.a, o.a_scales, o.b, o.b_scales, {}, {}}, sample.rows, sample.cols);
        check_gemm_sample(m, d, s.m, s.n, sample, reference, kFp8SumTolerance, "2^-10");
        sink(std::move(m));
    }
}

void bench_bf16_gemm(std::span<const GemmShape> shapes, const SuitePlan& plan, const MeasurementSink& sink) {
    CudaStream stream;
    GpuTimer timer(stream.get());
    for (const GemmShape& s : shapes) {
        const std::uint64_t seed = shape_seed(s);
        const auto ha = random_bf16(static_cast<std::size_t>(s.m) * s.k, seed);
        const auto hb = random_bf16(static_cast<std::size_t>(s.n) * s.k, seed + 1);
        DeviceBuffer<std::uint16_t> a(ha), b(hb), d(static_cast<std::size_t>(s.m) * s.n);
        const GemmArgs args = dense_gemm_args(s, GemmInput::Bf16, a.get(), b.get(), d.get());
        Measurement m = gemm_measurement(s, "moesim_bf16", "bf16");
        m.bytes = bf16_gemm_bytes(s.m, s.n, s.k);
        set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] { launch_gemm(args, stream.get()); }));
        const GemmSample sample = gemm_sample(s.m, s.n, seed);
        const auto reference = bf16_gemm_reference_at({s.m, s.n, s.k, ha, hb}, sample.rows, sample.cols);
        check_gemm_sample(m, d, s.m, s.n, sample, reference, kBf16SumTolerance, "2^-12");
        sink(std::move(m));
    }
}

}  // namespace moesim::kernels
