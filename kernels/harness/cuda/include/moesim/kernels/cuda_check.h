#pragma once
// Host-side CUDA error checks (STYLE.md 8): a failing runtime call throws CudaError naming the
// file, line, call and CUDA's own error name and text, instead of exiting or being ignored.
// Usable from .cpp (g++) and .cu (nvcc) files alike.
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace moesim::kernels {

struct CudaError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line);

}  // namespace moesim::kernels

#define MOESIM_CUDA_CHECK(expr)                                                             \
    do {                                                                                    \
        const cudaError_t moesim_cuda_status_ = (expr);                                     \
        if (moesim_cuda_status_ != cudaSuccess)                                             \
            ::moesim::kernels::throw_cuda_error(moesim_cuda_status_, #expr, __FILE__, __LINE__); \
    } while (0)

// After a kernel launch: a bad configuration shows here; a fault inside the kernel shows at
// the next synchronising call.
#define MOESIM_CUDA_CHECK_LAUNCH() MOESIM_CUDA_CHECK(cudaGetLastError())
