#pragma once
// Timing a piece of GPU work the way DeepGEMM's and FlashMLA's tests do: warm-up runs, then
// each repetition bracketed by CUDA events on the work's stream, with the L2 cache flushed
// before each (a memset of twice its size, outside the events) so that no repetition reads
// what the previous one left in L2.
#include <cuda_runtime_api.h>

#include <functional>
#include <vector>

#include "moesim/kernels/device_buffer.h"

namespace moesim::kernels {

class GpuTimer {
public:
    explicit GpuTimer(cudaStream_t stream, bool flush_l2 = true);
    ~GpuTimer();
    GpuTimer(const GpuTimer&) = delete;
    GpuTimer& operator=(const GpuTimer&) = delete;

    // Runs `enqueue` (which must only enqueue work on the stream) warmup times, then
    // repetitions times; returns the seconds of each timed repetition.
    std::vector<double> time(int warmup, int repetitions, const std::function<void()>& enqueue);

private:
    cudaStream_t stream_;
    cudaEvent_t start_ = nullptr, stop_ = nullptr;
    DeviceBuffer<unsigned char> flush_;
};

}  // namespace moesim::kernels
