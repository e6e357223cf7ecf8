// The baselines and the NCCL sweep on the GPU, through their benchmarks (each point checks
// itself), and run_suite's selection of kinds with its progress callback.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "gpu_test_util.h"
#include "moesim/kernels/baselines_bench.h"
#ifdef MOESIM_KERNELS_HAVE_NCCL
#include "moesim/kernels/nccl_bench.h"
#endif

using namespace moesim::kernels;

namespace {

std::vector<Measurement> collect(const std::function<void(const MeasurementSink&)>& run) {
    std::vector<Measurement> out;
    run([&](Measurement&& m) { out.push_back(std::move(m)); });
    return out;
}

void check_points(const std::vector<Measurement>& points) {
    REQUIRE_FALSE(points.empty());
    for (const Measurement& m : points) {
        INFO(m.kind << " " << m.impl << " " << m.op << " " << m.dtype << ": " << m.check_detail);
        CHECK(m.reference_ok);
        CHECK(m.time_s > 0);
        CHECK(std::isfinite(m.GBps));
    }
}

}  // namespace

TEST_CASE("GPU HBM copy and cuBLASLt GEMMs check out", "[.gpu]") {
    require_gpu();
    SuitePlan plan;
    plan.warmup = 1;
    plan.repetitions = 2;
    const std::vector<double> sizes{1 << 20, 3 << 20};
    check_points(collect([&](const MeasurementSink& sink) { bench_hbm_copy(sizes, plan, sink); }));
    const std::vector<GemmShape> shapes{{64, 256, 512}, {300, 2112, 7168}};
    check_points(collect([&](const MeasurementSink& sink) { bench_cublaslt_gemm(shapes, CublasGemmType::Bf16, plan, sink); }));
    const DeviceInfo info = query_device();
    const auto fp8 = collect([&](const MeasurementSink& sink) { bench_cublaslt_gemm(shapes, CublasGemmType::Fp8, plan, sink); });
    if (info.cc_major * 10 + info.cc_minor >= 89) check_points(fp8);  // before sm_89 cuBLASLt has no FP8
}

#ifdef MOESIM_KERNELS_HAVE_NCCL
TEST_CASE("GPU NCCL sweep delivers the expected data on every rank", "[.gpu]") {
    require_gpu();
    SuitePlan plan;
    plan.warmup = 1;
    plan.repetitions = 2;
    const std::vector<double> sizes{1024, 1 << 20, 12345 * 4};
    const auto points = collect([&](const MeasurementSink& sink) { bench_collectives(sizes, plan, sink); });
    check_points(points);
    CHECK(points.size() == 15u);
    for (const Measurement& m : points) CHECK(m.busbw_GBps == Approx(m.algbw_GBps * busbw_factor(collective_from_name(m.op), static_cast<int>(m.shape.at("ranks")))).epsilon(1e-9));
}
#endif

TEST_CASE("GPU run_suite runs the selected kinds and reports each point", "[.gpu]") {
    require_gpu();
    SuitePlan plan;
    plan.quick = true;
    plan.warmup = 1;
    plan.repetitions = 2;
    plan.kinds = {"memory"};
    int calls = 0;
    const auto points = run_suite(plan, [&](const Measurement& m) {
        ++calls;
        CHECK(m.kind == "memory");
    });
    CHECK(calls == static_cast<int>(points.size()));
    check_points(points);
    plan.kinds = {"no_such_kind"};
    CHECK_THROWS(run_suite(plan));
}
