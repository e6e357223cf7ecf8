#pragma once
// The grouped GEMMs on the GPU (C++17, includable from .cu files): GemmArgs of gemm_cuda.h with
// layout Contiguous or Masked (see there for the arrays each needs).
#include <cuda_runtime_api.h>

#include "moesim/kernels/gemm_cuda.h"

namespace moesim::kernels {

void launch_grouped_gemm(const GemmArgs& args, cudaStream_t stream);

}  // namespace moesim::kernels
