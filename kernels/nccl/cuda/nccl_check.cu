// Fill and check kernels of the NCCL sweep.
#include <cuda_runtime.h>

#include <algorithm>

#include "moesim/kernels/cuda_check.h"
#include "moesim/kernels/nccl_cuda.h"

namespace moesim::kernels {
namespace {

constexpr int kThreads = 256;

unsigned grid_for(std::size_t n) {
    return static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>((n + kThreads - 1) / kThreads, 4096)));
}

__global__ void fill_kernel(float* send, std::size_t count, int rank) {
    for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
         i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
        send[i] = collective_send_value(rank, i);
}

__global__ void check_kernel(const float* recv, CollectiveOp op, int rank, int ranks, CollectiveCounts c,
                             unsigned long long* wrong) {
    const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
    const std::size_t rounds = (c.recv_count + stride - 1) / stride;  // same for every thread
    std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
    for (std::size_t r = 0; r < rounds; ++r, i += stride) {
        const int bad = i < c.recv_count && recv[i] != collective_expected(op, rank, i, ranks, c);
        const int count = __syncthreads_count(bad);
        if (threadIdx.x == 0 && count > 0) atomicAdd(wrong, static_cast<unsigned long long>(count));
    }
}

}  // namespace

void fill_collective_send(float* send, std::size_t count, int rank, cudaStream_t stream) {
    if (count == 0) return;
    fill_kernel<<<grid_for(count), kThreads, 0, stream>>>(send, count, rank);
    MOESIM_CUDA_CHECK_LAUNCH();
}

void count_collective_wrong(const float* recv, CollectiveOp op, int rank, int ranks, const CollectiveCounts& c,
                            unsigned long long* wrong, cudaStream_t stream) {
    if (c.recv_count == 0) return;
    check_kernel<<<grid_for(c.recv_count), kThreads, 0, stream>>>(recv, op, rank, ranks, c, wrong);
    MOESIM_CUDA_CHECK_LAUNCH();
}

}  // namespace moesim::kernels
