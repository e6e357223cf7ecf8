#include "moesim/kernels/gpu_timer.h"

#include <stdexcept>

namespace moesim::kernels {

GpuTimer::GpuTimer(cudaStream_t stream, bool flush_l2) : stream_(stream) {
    MOESIM_CUDA_CHECK(cudaEventCreate(&start_));
    MOESIM_CUDA_CHECK(cudaEventCreate(&stop_));
    if (flush_l2) {
        int device = 0, l2_bytes = 0;
        MOESIM_CUDA_CHECK(cudaGetDevice(&device));
        MOESIM_CUDA_CHECK(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, device));
        flush_ = DeviceBuffer<unsigned char>(2 * static_cast<std::size_t>(l2_bytes));
    }
}

GpuTimer::~GpuTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
}

std::vector<double> GpuTimer::time(int warmup, int repetitions, const std::function<void()>& enqueue) {
    if (warmup < 0 || repetitions < 1)
        throw std::invalid_argument("GpuTimer::time: warmup ≥ 0 and repetitions ≥ 1");
    for (int i = 0; i < warmup; ++i) enqueue();
    MOESIM_CUDA_CHECK(cudaStreamSynchronize(stream_));
    std::vector<double> times_s;
    times_s.reserve(static_cast<std::size_t>(repetitions));
    for (int i = 0; i < repetitions; ++i) {
        if (flush_.size() > 0)
            MOESIM_CUDA_CHECK(cudaMemsetAsync(flush_.get(), i & 0xFF, flush_.bytes(), stream_));
        MOESIM_CUDA_CHECK(cudaEventRecord(start_, stream_));
        enqueue();
        MOESIM_CUDA_CHECK(cudaEventRecord(stop_, stream_));
        MOESIM_CUDA_CHECK(cudaEventSynchronize(stop_));
        float ms = 0.0f;
        MOESIM_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
        times_s.push_back(static_cast<double>(ms) * 1e-3);
    }
    return times_s;
}

}  // namespace moesim::kernels
