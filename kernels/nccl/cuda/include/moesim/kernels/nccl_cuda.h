#pragma once
// Device side of the NCCL sweep's data check (C++17, includable from .cu files): fill a send
// buffer with collective_send_value and count the receive elements that differ from
// collective_expected. Both run on the current device and `stream`.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "moesim/kernels/collective_values.h"

namespace moesim::kernels {

void fill_collective_send(float* send, std::size_t count, int rank, cudaStream_t stream);

// Adds the number of wrong elements to *wrong (device memory).
void count_collective_wrong(const float* recv, CollectiveOp op, int rank, int ranks, const CollectiveCounts& c,
                            unsigned long long* wrong, cudaStream_t stream);

}  // namespace moesim::kernels
