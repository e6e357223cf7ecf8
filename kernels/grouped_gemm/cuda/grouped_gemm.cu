// The grouped instantiations of the GEMM kernel (kernels/fp8_gemm/cuda/gemm_kernel.cuh): one
// CTA computes a 128 × 128 tile of one group, found from m_indices (contiguous) or blockIdx.z
// (masked); tiles beyond a group's tokens return at once.
#include "moesim/kernels/gemm_launch.cuh"
#include "moesim/kernels/grouped_gemm_cuda.h"

namespace moesim::kernels {

using gemm_detail::launch_instance;

namespace {

template <GemmLayout kLayout>
void launch_layout(const GemmArgs& args, const gemm_detail::KernelParams& p, cudaStream_t stream) {
    if (args.input == GemmInput::Bf16)
        launch_instance<GemmInput::Bf16, kLayout, false>(p, stream);
    else if (args.path == Fp8MmaPath::Portable)
        launch_instance<GemmInput::Fp8BlockScaled, kLayout, true>(p, stream);
    else
        launch_instance<GemmInput::Fp8BlockScaled, kLayout, false>(p, stream);
}

}  // namespace

void launch_grouped_gemm(const GemmArgs& args, cudaStream_t stream) {
    MOESIM_CHECK(args.layout != GemmLayout::Dense, "launch_grouped_gemm: contiguous or masked (dense: launch_gemm)");
    const gemm_detail::KernelParams p = gemm_detail::pack_params(args);
    if (args.layout == GemmLayout::Contiguous)
        launch_layout<GemmLayout::Contiguous>(args, p, stream);
    else
        launch_layout<GemmLayout::Masked>(args, p, stream);
}

}  // namespace moesim::kernels
