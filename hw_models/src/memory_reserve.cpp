#include "moesim/hw/memory_reserve.h"

#include "moesim/common/error.h"

namespace moesim::hw {

ReservePolicy reserve_policy(const GpuSpec& gpu) {
    return {gpu.runtime_reserve_bytes, gpu.ep_buffer_bytes, gpu.fragmentation_fraction};
}

MemoryReserve memory_reserve(const ReservePolicy& policy, double transient_bytes, bool expert_parallel) {
    const double f = policy.fragmentation_fraction;
    MOESIM_CHECK(f >= 0 && f < 1 && transient_bytes >= 0, "reserve policy not validated");
    MemoryReserve r;
    r.runtime_bytes = policy.runtime_bytes;
    r.ep_buffer_bytes = expert_parallel ? policy.ep_buffer_bytes : 0.0;
    r.fragmentation_bytes = transient_bytes * f / (1.0 - f);
    return r;
}

}  // namespace moesim::hw
