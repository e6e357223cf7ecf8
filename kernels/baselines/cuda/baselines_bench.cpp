// Benchmarks of the baselines: HBM copy over a size sweep, cuBLASLt BF16 and FP8 GEMMs at the
// suite's shapes, each point checked (the copy word by word, the GEMMs on sampled elements
// against the CPU references of kernels/fp8_gemm).

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "moesim/kernels/baselines.h"
#include "moesim/kernels/baselines_bench.h"
#include "moesim/kernels/baselines_cuda.h"
#include "moesim/kernels/bf16_gemm.h"
#include "moesim/kernels/cublaslt_api.h"
#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/error_check.h"
#include "moesim/kernels/gemm_bench.h"
#include "moesim/kernels/gpu_timer.h"
#include "moesim/kernels/test_data.h"

#define MOESIM_CUBLAS_CHECK(expr)                                                                \
    do {                                                                                         \
        const cublasStatus_t moesim_status_ = (expr);                                            \
        if (moesim_status_ != CUBLAS_STATUS_SUCCESS)                                             \
            throw ::moesim::kernels::CudaError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                               ": " #expr " failed: " +                          \
                                               cublaslt().cublasLtGetStatusName(moesim_status_) + ": " +    \
                                               cublaslt().cublasLtGetStatusString(moesim_status_));         \
    } while (0)

namespace moesim::kernels {
namespace {

void bench_one_copy(double size_bytes, const SuitePlan& plan, GpuTimer& timer, cudaStream_t stream,
                    const MeasurementSink& sink) {
    const auto bytes = static_cast<std::size_t>(size_bytes);
    DeviceBuffer<unsigned char> src(bytes), dst(bytes);
    const std::uint32_t seed = static_cast<std::uint32_t>(bytes >> 4) ^ 0x5EEDu;
    fill_pattern(src.get(), bytes, seed, stream);
    MOESIM_CUDA_CHECK(cudaMemsetAsync(dst.get(), 0, bytes, stream));
    Measurement m;
    m.kind = "memory";
    m.impl = "hbm_copy";
    m.shape["size_bytes"] = size_bytes;
    m.bytes = hbm_copy_bytes(size_bytes);
    set_rates(m, timer.time(plan.warmup, plan.repetitions,
                            [&] { hbm_copy(src.get(), dst.get(), bytes, stream); }));
    const std::uint64_t wrong = count_pattern_mismatches(dst.get(), bytes, seed, stream);
    ErrorCheck check("every 32-bit word of the destination against the source pattern; "
                     "max_error = words that differ");
    check.add(static_cast<double>(wrong), 0.0, 0.0, 0);
    check.apply(m);
    sink(std::move(m));
}

// One cuBLASLt GEMM: descriptors, the heuristic's first algorithm, and its workspace.
class LtGemm {
public:
    LtGemm(cublasLtHandle_t handle, const GemmShape& s, cudaDataType_t in_type) : handle_(handle) {
        MOESIM_CUBLAS_CHECK(cublaslt().cublasLtMatmulDescCreate(&op_, CUBLAS_COMPUTE_32F, CUDA_R_32F));
        // Row-major D (m × n) is column-major Dᵀ (n × m) = B · Aᵀ: cuBLAS's "A" is our B
        // (k × n column-major, transposed), its "B" our A (k × m column-major): the "TN"
        // layout that FP8 requires.
        const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
        MOESIM_CUBLAS_CHECK(cublaslt().cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof transa));
        MOESIM_CUBLAS_CHECK(cublaslt().cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof transb));
        MOESIM_CUBLAS_CHECK(cublaslt().cublasLtMatrixLayoutCreate(&la_, in_type, s.k, s.n, s.k));
        MOESIM_CUBLAS_CHECK(cublaslt().cublasLtMatrixLayoutCreate(&lb_, in_type, s.k, s.m, s.k));
        MOESIM_CUBLAS_CHECK(cublaslt().cublasLtMatrixLayoutCreate(&ld_, CUDA_R_16BF, s.n, s.m, s.n));
        cublasLtMatmulPreference_t pref = nullptr;
        MOESIM_CUBLAS_CHECK(cublaslt().cublasLtMatmulPreferenceCreate(&pref));
        const std::size_t workspace_bytes = 32u << 20;
        MOESIM_CUBLAS_CHECK(cublaslt().cublasLtMatmulPreferenceSetAttribute(
            pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes, sizeof workspace_bytes));
        int found = 0;
        const cublasStatus_t status =
            cublaslt().cublasLtMatmulAlgoGetHeuristic(handle_, op_, la_, lb_, ld_, ld_, pref, 1, &heuristic_, &found);
        cublaslt().cublasLtMatmulPreferenceDestroy(pref);
        supported_ = status == CUBLAS_STATUS_SUCCESS && found > 0;
        if (status != CUBLAS_STATUS_SUCCESS && status != CUBLAS_STATUS_NOT_SUPPORTED)
            MOESIM_CUBLAS_CHECK(status);
        if (supported_) workspace_ = DeviceBuffer<unsigned char>(heuristic_.workspaceSize);
    }
    ~LtGemm() {
        cublaslt().cublasLtMatrixLayoutDestroy(ld_);
        cublaslt().cublasLtMatrixLayoutDestroy(lb_);
        cublaslt().cublasLtMatrixLayoutDestroy(la_);
        cublaslt().cublasLtMatmulDescDestroy(op_);
    }
    LtGemm(const LtGemm&) = delete;
    LtGemm& operator=(const LtGemm&) = delete;

    bool supported() const { return supported_; }
    void run(const void* a, const void* b, void* d, cudaStream_t stream) const {
        const float alpha = 1.0f, beta = 0.0f;
        MOESIM_CUBLAS_CHECK(cublaslt().cublasLtMatmul(handle_, op_, &alpha, b, la_, a, lb_, &beta, d, ld_, d, ld_,
                                           &heuristic_.algo, workspace_.get(), workspace_.bytes(), stream));
    }

private:
    cublasLtHandle_t handle_;
    cublasLtMatmulDesc_t op_ = nullptr;
    cublasLtMatrixLayout_t la_ = nullptr, lb_ = nullptr, ld_ = nullptr;
    cublasLtMatmulHeuristicResult_t heuristic_{};
    bool supported_ = false;
    DeviceBuffer<unsigned char> workspace_;
};

}  // namespace

void bench_hbm_copy(std::span<const double> sizes_bytes, const SuitePlan& plan, const MeasurementSink& sink) {
    CudaStream stream;
    GpuTimer timer(stream.get());
    for (double size : sizes_bytes) bench_one_copy(size, plan, timer, stream.get(), sink);
}

void bench_cublaslt_gemm(std::span<const GemmShape> shapes, CublasGemmType type, const SuitePlan& plan,
                         const MeasurementSink& sink) {
    const bool fp8 = type == CublasGemmType::Fp8;
    cublasLtHandle_t handle = nullptr;
    MOESIM_CUBLAS_CHECK(cublaslt().cublasLtCreate(&handle));
    struct HandleGuard {
        cublasLtHandle_t h;
        ~HandleGuard() { cublaslt().cublasLtDestroy(h); }
    } guard{handle};
    CudaStream stream;
    GpuTimer timer(stream.get());
    for (const GemmShape& s : shapes) {
        LtGemm gemm(handle, s, fp8 ? CUDA_R_8F_E4M3 : CUDA_R_16BF);
        if (!gemm.supported()) continue;  // e.g. FP8 before sm_89: nothing to measure
        const std::uint64_t seed = 1000003ull * s.m + 1009ull * s.n + s.k + 17;
        const GemmSample sample = gemm_sample(s.m, s.n, seed);
        DeviceBuffer<std::uint16_t> d(static_cast<std::size_t>(s.m) * s.n);
        Measurement m;
        m.kind = "gemm";
        m.impl = "cublaslt";
        m.dtype = fp8 ? "fp8" : "bf16";
        m.shape = {{"m", s.m}, {"n", s.n}, {"k", s.k}};
        m.flops = gemm_flops(s.m, s.n, s.k);
        if (fp8) {
            Fp8Operands o = make_fp8_operands(s.m, s.n, s.k, 1, seed);
            // Per-tensor scales of 1 are the block-scaled reference with every scale 1.
            std::fill(o.a_scales.begin(), o.a_scales.end(), 1.0f);
            std::fill(o.b_scales.begin(), o.b_scales.end(), 1.0f);
            DeviceBuffer<std::uint8_t> da(o.a), db(o.b);
            m.bytes = cublaslt_fp8_gemm_bytes(s.m, s.n, s.k);
            set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] { gemm.run(da.get(), db.get(), d.get(), stream.get()); }));
            const auto reference = fp8_gemm_reference_at({s.m, s.n, s.k, o.a, o.a_scales, o.b, o.b_scales, {}, {}},
                                                         sample.rows, sample.cols);
            check_gemm_sample(m, d, s.m, s.n, sample, reference, kFp8SumTolerance, "2^-10");
        } else {
            const auto a = random_bf16(static_cast<std::size_t>(s.m) * s.k, seed);
            const auto b = random_bf16(static_cast<std::size_t>(s.n) * s.k, seed + 1);
            DeviceBuffer<std::uint16_t> da(a), db(b);
            m.bytes = bf16_gemm_bytes(s.m, s.n, s.k);
            set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] { gemm.run(da.get(), db.get(), d.get(), stream.get()); }));
            const auto reference = bf16_gemm_reference_at({s.m, s.n, s.k, a, b}, sample.rows, sample.cols);
            check_gemm_sample(m, d, s.m, s.n, sample, reference, kBf16SumTolerance, "2^-12");
        }
        sink(std::move(m));
    }
}

}  // namespace moesim::kernels
