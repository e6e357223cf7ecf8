#include "moesim/kernels/cuda_check.h"

namespace moesim::kernels {

void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
    throw CudaError(std::string(file) + ":" + std::to_string(line) + ": " + expr + " failed: " +
                    cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
}

}  // namespace moesim::kernels
