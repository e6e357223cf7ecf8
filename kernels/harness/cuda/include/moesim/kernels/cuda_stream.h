#pragma once
// An owned non-blocking CUDA stream on the current device.
#include <cuda_runtime_api.h>

#include "moesim/kernels/cuda_check.h"

namespace moesim::kernels {

class CudaStream {
public:
    CudaStream() { MOESIM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
    ~CudaStream() { cudaStreamDestroy(stream_); }
    CudaStream(const CudaStream&) = delete;
    CudaStream& operator=(const CudaStream&) = delete;
    cudaStream_t get() const { return stream_; }
    void synchronize() const { MOESIM_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

private:
    cudaStream_t stream_ = nullptr;
};

}  // namespace moesim::kernels
