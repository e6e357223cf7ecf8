#pragma once
// Memory a GPU cannot give to weights, optimizer state, activations or KV cache: what the
// process holds before its first tensor, the expert-parallel communication buffers, and what
// the caching allocator loses to fragmentation of short-lived tensors.
//
//   runtime        gpu.runtime_reserve_bytes: CUDA context and library workspaces
//   ep buffers     gpu.ep_buffer_bytes when the GPU is one of an expert-parallel group (> 1)
//   fragmentation  transient · f / (1 − f), f = gpu.fragmentation_fraction: fragmentation is
//                  measured as (reserved − allocated) / reserved of the allocator's pool, so
//                  holding `transient` bytes of short-lived tensors reserves transient / (1 − f)
// Long-lived allocations (weights, gradients, optimizer state, a pre-allocated KV pool) are
// made once at start-up and do not fragment. Defaults: docs/PUBLISHED.md B "Memory reserve".
#include "moesim/hw/gpu_spec.h"

namespace moesim::hw {

struct MemoryReserve {
    double runtime_bytes = 0;
    double ep_buffer_bytes = 0;
    double fragmentation_bytes = 0;
    double total_bytes() const { return runtime_bytes + ep_buffer_bytes + fragmentation_bytes; }
};

// What the three reserve fields of a spec say: `fraction` of a transient pool is lost.
struct ReservePolicy {
    double runtime_bytes = 0;
    double ep_buffer_bytes = 0;
    double fragmentation_fraction = 0;  // in [0, 1)
};

ReservePolicy reserve_policy(const GpuSpec& gpu);

// The reserve of one GPU holding `transient_bytes` of short-lived tensors; `expert_parallel`
// when it exchanges tokens with other GPUs' experts (ep > 1).
MemoryReserve memory_reserve(const ReservePolicy& policy, double transient_bytes, bool expert_parallel);

}  // namespace moesim::hw
