// The dense GEMMs of gemm_cuda.h: FP8 with V3's block scaling (either MMA path) and BF16.
#include "moesim/kernels/gemm_launch.cuh"

namespace moesim::kernels {

using gemm_detail::launch_instance;

void launch_gemm(const GemmArgs& args, cudaStream_t stream) {
    MOESIM_CHECK(args.layout == GemmLayout::Dense, "launch_gemm: dense only (grouped: launch_grouped_gemm)");
    const gemm_detail::KernelParams p = gemm_detail::pack_params(args);
    if (args.input == GemmInput::Bf16)
        launch_instance<GemmInput::Bf16, GemmLayout::Dense, false>(p, stream);
    else if (args.path == Fp8MmaPath::Portable)
        launch_instance<GemmInput::Fp8BlockScaled, GemmLayout::Dense, true>(p, stream);
    else
        launch_instance<GemmInput::Fp8BlockScaled, GemmLayout::Dense, false>(p, stream);
}

bool gemm_uses_fp8_mma() {
    cudaFuncAttributes attr{};
    MOESIM_CUDA_CHECK(cudaFuncGetAttributes(
        &attr, gemm_detail::gemm_kernel<GemmInput::Fp8BlockScaled, GemmLayout::Dense, false>));
    // The image this device runs was compiled from PTX for sm_89+ only if the FP8 MMA is in it
    // (MOESIM_HAVE_FP8_MMA in device_utils.cuh).
    return attr.ptxVersion >= 89;
}

}  // namespace moesim::kernels
