// The GPU GEMM kernel (dense FP8 block-scaled on both MMA paths, dense BF16) against the CPU
// references, on shapes with partial tiles in M and N and on V3 shapes (sampled there).
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "gpu_test_util.h"
#include "moesim/kernels/bf16_gemm.h"
#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/gemm_bench.h"
#include "moesim/kernels/gemm_check.h"
#include "moesim/kernels/test_data.h"

using namespace moesim::kernels;

namespace {

std::vector<int> all(int n) {
    std::vector<int> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

// Full check for small shapes, 64 × 64 samples for large ones.
GemmSample sample_for(int m, int n) {
    if (static_cast<long long>(m) * n <= 300 * 600) return {all(m), all(n)};
    return gemm_sample(m, n, 77);
}

}  // namespace

TEST_CASE("GPU FP8 block-scaled GEMM matches the CPU reference", "[.gpu]") {
    require_gpu();
    const DeviceInfo info = query_device();
    if (info.cc_major * 10 + info.cc_minor >= 90) CHECK(gemm_uses_fp8_mma());
    CudaStream stream;
    for (const GemmShape s : {GemmShape{1, 128, 128}, GemmShape{130, 258, 384}, GemmShape{256, 512, 1024},
                              GemmShape{300, 600, 256}, GemmShape{128, 2112, 7168}, GemmShape{4096, 4096, 7168}})
        for (const Fp8MmaPath path : {Fp8MmaPath::Auto, Fp8MmaPath::Portable}) {
            INFO("m " << s.m << " n " << s.n << " k " << s.k << (path == Fp8MmaPath::Auto ? " auto" : " portable"));
            const Fp8Operands o = make_fp8_operands(s.m, s.n, s.k, 1, 5);
            DeviceBuffer<std::uint8_t> a(o.a), b(o.b);
            DeviceBuffer<float> sa(o.a_scales), sb(o.b_scales);
            DeviceBuffer<std::uint16_t> d(static_cast<std::size_t>(s.m) * s.n);
            launch_gemm(dense_gemm_args(s, GemmInput::Fp8BlockScaled, a.get(), b.get(), d.get(), sa.get(), sb.get(), path),
                        stream.get());
            stream.synchronize();
            const GemmSample sample = sample_for(s.m, s.n);
            const auto ref = fp8_gemm_reference_at({s.m, s.n, s.k, o.a, o.a_scales, o.b, o.b_scales, {}, {}},
                                                   sample.rows, sample.cols);
            Measurement m;
            check_gemm_sample(m, d, s.m, s.n, sample, ref, kFp8SumTolerance, "2^-10");
            INFO(m.check_detail);
            CHECK(m.reference_ok);
        }
}

TEST_CASE("GPU BF16 GEMM matches the CPU reference", "[.gpu]") {
    require_gpu();
    CudaStream stream;
    for (const GemmShape s : {GemmShape{1, 128, 64}, GemmShape{130, 258, 192}, GemmShape{512, 7168, 2048}}) {
        INFO("m " << s.m << " n " << s.n << " k " << s.k);
        const auto ha = random_bf16(static_cast<std::size_t>(s.m) * s.k, 8);
        const auto hb = random_bf16(static_cast<std::size_t>(s.n) * s.k, 9);
        DeviceBuffer<std::uint16_t> a(ha), b(hb), d(static_cast<std::size_t>(s.m) * s.n);
        launch_gemm(dense_gemm_args(s, GemmInput::Bf16, a.get(), b.get(), d.get()), stream.get());
        stream.synchronize();
        const GemmSample sample = sample_for(s.m, s.n);
        const auto ref = bf16_gemm_reference_at({s.m, s.n, s.k, ha, hb}, sample.rows, sample.cols);
        Measurement m;
        check_gemm_sample(m, d, s.m, s.n, sample, ref, kBf16SumTolerance, "2^-12");
        INFO(m.check_detail);
        CHECK(m.reference_ok);
    }
}

TEST_CASE("GPU GEMM refuses shapes it does not support", "[.gpu]") {
    require_gpu();
    GemmArgs args;
    args.m = 4;
    args.n = 128;
    args.k = 200;  // not a multiple of 128
    DeviceBuffer<std::uint8_t> buf(4096);
    DeviceBuffer<float> scales(64);
    DeviceBuffer<std::uint16_t> d(4 * 128);
    args.a = args.b = buf.get();
    args.a_scales = args.b_scales = scales.get();
    args.d = d.get();
    CHECK_THROWS_WITH(launch_gemm(args, nullptr), Catch::Contains("gemm_launch.cuh:") && Catch::Contains("multiple of 128"));
}
