#pragma once
// Host side of gemm_kernel.cuh: argument checks, packing, and the launch of one instantiation.
#include <cstdint>
#include <string>

#include "moesim/common/error.h"
#include "moesim/kernels/cuda_check.h"
#include "moesim/kernels/gemm_kernel.cuh"

namespace moesim::kernels::gemm_detail {

inline KernelParams pack_params(const GemmArgs& args) {
    const bool fp8 = args.input == GemmInput::Fp8BlockScaled;
    MOESIM_CHECK(args.m > 0 && args.n > 0 && args.k > 0 && args.groups > 0,
                 "gemm: m, n, k and groups must be positive");
    MOESIM_CHECK(args.n % 2 == 0, "gemm: n must be even (D is stored in BF16 pairs)");
    MOESIM_CHECK(args.k % (fp8 ? 128 : 64) == 0,
                 "gemm: k = " + std::to_string(args.k) + " must be a multiple of " + (fp8 ? "128" : "64"));
    MOESIM_CHECK(args.a && args.b && args.d, "gemm: A, B and D are required");
    MOESIM_CHECK(reinterpret_cast<std::uintptr_t>(args.a) % 16 == 0 &&
                     reinterpret_cast<std::uintptr_t>(args.b) % 16 == 0 &&
                     reinterpret_cast<std::uintptr_t>(args.d) % 4 == 0,
                 "gemm: A and B must be 16-byte aligned, D 4-byte aligned");
    MOESIM_CHECK(!fp8 || (args.a_scales && args.b_scales), "gemm: FP8 needs A and B scales");
    MOESIM_CHECK(args.layout != GemmLayout::Dense || args.groups == 1, "gemm: a dense GEMM has one group");
    MOESIM_CHECK(args.layout != GemmLayout::Contiguous || (args.m_indices && args.m % kBlockM == 0),
                 "gemm: the contiguous layout needs m_indices and m a multiple of 128");
    MOESIM_CHECK(args.layout != GemmLayout::Masked || args.masked_m, "gemm: the masked layout needs masked_m");
    KernelParams p{};
    p.a = static_cast<const std::uint8_t*>(args.a);
    p.b = static_cast<const std::uint8_t*>(args.b);
    p.a_scales = args.a_scales;
    p.b_scales = args.b_scales;
    p.m_indices = args.m_indices;
    p.masked_m = args.masked_m;
    p.d = args.d;
    p.m = args.m;
    p.n = args.n;
    p.k = args.k;
    p.groups = args.groups;
    p.row_bytes = static_cast<long long>(args.k) * (fp8 ? 1 : 2);
    p.num_stages = static_cast<int>(p.row_bytes / kStageBytes);
    p.k_blocks = args.k / kScaleBlock;
    p.n_blocks = (args.n + kScaleBlock - 1) / kScaleBlock;
    return p;
}

template <GemmInput kInput, GemmLayout kLayout, bool kPortable>
void launch_instance(const KernelParams& p, cudaStream_t stream) {
    auto* kernel = gemm_kernel<kInput, kLayout, kPortable>;
    // Once per process (device 0): the 72 KiB of shared memory need the opt-in.
    static const bool configured = [kernel] {
        MOESIM_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes));
        return true;
    }();
    (void)configured;
    const dim3 grid((p.n + kBlockN - 1) / kBlockN, (p.m + kBlockM - 1) / kBlockM,
                    kLayout == GemmLayout::Masked ? p.groups : 1);
    kernel<<<grid, kThreads, kSmemBytes, stream>>>(p);
    MOESIM_CUDA_CHECK_LAUNCH();
}

}  // namespace moesim::kernels::gemm_detail
