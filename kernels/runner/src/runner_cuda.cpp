// runner.h with CUDA: what device is here, and the benchmark suite over every bundled kernel.
#include <cuda_runtime_api.h>
#ifdef MOESIM_KERNELS_HAVE_NCCL
#include "moesim/kernels/nccl_api.h"
#include "moesim/kernels/nccl_bench.h"
#endif

#include <algorithm>
#include <string>

#include "moesim/common/error.h"
#include "moesim/kernels/baselines_bench.h"
#include "moesim/kernels/cuda_check.h"
#include "moesim/kernels/gemm_bench.h"
#include "moesim/kernels/grouped_gemm_bench.h"
#include "moesim/kernels/mla_bench.h"
#include "moesim/kernels/moe_permute_bench.h"
#include "moesim/kernels/runner.h"
#include "moesim/kernels/suite_shapes.h"

namespace moesim::kernels {
namespace {

// CUDA encodes versions as 1000·major + 10·minor (12040 → "12.4").
std::string cuda_version_string(int v) {
    return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

std::string cuda_error_text(cudaError_t status) {
    return std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
}

void query_nccl(DeviceInfo& info) {
#ifdef MOESIM_KERNELS_HAVE_NCCL
    int v = 0;
    const NcclApi* api = nullptr;
    try {
        api = &nccl();  // loaded here, on first use: a missing library is reported, not fatal
    } catch (const NcclError& e) {
        info.nccl_unavailable_reason = e.what();
        return;
    }
    if (api->ncclGetVersion(&v) != ncclSuccess || v <= 0) {
        info.nccl_unavailable_reason = "ncclGetVersion failed";
    } else {
        info.nccl_available = true;
        // NCCL_VERSION(): 1000·major + 100·minor + patch up to 2.8, 10000·major + 100·minor +
        // patch from 2.9 on.
        const bool old = v < 20900;
        const int major = old ? v / 1000 : v / 10000;
        const int minor = old ? (v % 1000) / 100 : (v % 10000) / 100;
        info.nccl_version = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
    }
#else
    info.nccl_unavailable_reason = "built without NCCL (nccl.h or libnccl was not found at configure time)";
#endif
}

}  // namespace

DeviceInfo query_device() {
    DeviceInfo info;
    int runtime = 0, driver = 0;
    if (cudaRuntimeGetVersion(&runtime) == cudaSuccess) info.cuda_version = cuda_version_string(runtime);
    if (cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0)
        info.driver_version = cuda_version_string(driver);
    query_nccl(info);

    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
        cudaGetLastError();  // clear it: a later call in this process should not report it again
        info.unavailable_reason = "no CUDA device: cudaGetDeviceCount failed: " + cuda_error_text(status) +
                                  (driver == 0 ? " (no NVIDIA driver was found)" : "");
        return info;
    }
    if (count == 0) {
        info.unavailable_reason = "no CUDA device: the driver reports none";
        return info;
    }
    cudaDeviceProp prop{};
    MOESIM_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    int sm_clock_kHz = 0, memory_clock_kHz = 0;
    MOESIM_CUDA_CHECK(cudaDeviceGetAttribute(&sm_clock_kHz, cudaDevAttrClockRate, 0));
    MOESIM_CUDA_CHECK(cudaDeviceGetAttribute(&memory_clock_kHz, cudaDevAttrMemoryClockRate, 0));
    info.name = prop.name;
    info.sm_count = prop.multiProcessorCount;
    info.cc_major = prop.major;
    info.cc_minor = prop.minor;
    info.sm_clock_MHz = sm_clock_kHz / 1000.0;
    info.memory_clock_MHz = memory_clock_kHz / 1000.0;
    info.memory_bytes = static_cast<double>(prop.totalGlobalMem);
    // The kernels are built for sm_90 and as compute_80 PTX (cmake/cuda.cmake): older GPUs
    // cannot load them.
    if (prop.major < 8) {
        info.unavailable_reason = "GPU 0 (" + info.name + ") has compute capability " +
                                  std::to_string(prop.major) + "." + std::to_string(prop.minor) +
                                  "; the bundled kernels need 8.0 or newer";
        return info;
    }
    info.device_count = count;
    info.available = true;
    return info;
}

std::vector<Measurement> run_suite(const SuitePlan& plan, const std::function<void(const Measurement&)>& progress) {
    const DeviceInfo info = query_device();
    if (!info.available) throw KernelUnavailable(info.unavailable_reason);
    MOESIM_CHECK(plan.warmup >= 0 && plan.repetitions >= 1, "run_suite: warmup ≥ 0, repetitions ≥ 1");
    const std::vector<std::string> known = suite_kinds();
    for (const std::string& kind : plan.kinds)
        MOESIM_CHECK(std::find(known.begin(), known.end(), kind) != known.end(), "run_suite: unknown kind '" + kind + "'");
    MOESIM_CUDA_CHECK(cudaSetDevice(0));
    const SuiteShapes shapes = suite_shapes(plan.quick);

    std::vector<Measurement> all;
    const MeasurementSink sink = [&](Measurement&& m) {
        all.push_back(std::move(m));
        if (progress) progress(all.back());
    };
    const auto wanted = [&](const char* kind) {
        return plan.kinds.empty() || std::find(plan.kinds.begin(), plan.kinds.end(), kind) != plan.kinds.end();
    };
    if (wanted("memory")) bench_hbm_copy(shapes.copy_sizes_bytes, plan, sink);
    if (wanted("gemm")) {
        bench_cublaslt_gemm(shapes.gemm, CublasGemmType::Bf16, plan, sink);
        bench_cublaslt_gemm(shapes.gemm, CublasGemmType::Fp8, plan, sink);
        bench_fp8_gemm(shapes.gemm, Fp8MmaPath::Auto, plan, sink);
        bench_bf16_gemm(shapes.gemm, plan, sink);
    }
    if (wanted("grouped_gemm"))
        for (const GemmInput input : {GemmInput::Fp8BlockScaled, GemmInput::Bf16}) {
            bench_grouped_gemm(shapes.grouped_contiguous, GemmLayout::Contiguous, input, plan, sink);
            bench_grouped_gemm(shapes.grouped_masked, GemmLayout::Masked, input, plan, sink);
        }
    if (wanted("permute")) bench_permute(shapes.permute, plan, sink);
    if (wanted("attention")) {
        bench_mla_decode(shapes.mla_decode, plan, sink);
        bench_mla_prefill(shapes.mla_prefill, plan, sink);
    }
#ifdef MOESIM_KERNELS_HAVE_NCCL
    if (wanted("collective")) bench_collectives(shapes.collective_sizes_bytes, plan, sink);
#endif
    MOESIM_CUDA_CHECK(cudaSetDevice(0));
    MOESIM_CUDA_CHECK(cudaDeviceSynchronize());
    return all;
}

}  // namespace moesim::kernels
