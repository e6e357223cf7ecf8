#include "moesim/network/ep_exchange.h"

#include "moesim/common/error.h"
#include "moesim/hw/costs.h"

namespace moesim::network {

hw::DeepEpTimes ep_exchange_times(const Network& net, EpKernel kernel, hw::DeepEpOp op, const hw::DeepEpShape& shape,
                                  std::span<const int> ranks) {
    switch (kernel) {
        case EpKernel::DeepEpNormal: return net.deepep_times(op, hw::DeepEpMode::Normal, shape, ranks);
        case EpKernel::DeepEpLowLatency: return net.deepep_times(op, hw::DeepEpMode::LowLatency, shape, ranks);
        case EpKernel::NcclAllToAll: {
            hw::EpGroup g;
            g.ep_size = static_cast<int>(ranks.size());
            g.gpus_per_node = g.ep_size;  // low_latency_bytes does not depend on the placement
            const double bytes = hw::deepep_traffic(shape, g, op).low_latency_bytes;
            const double t = net.collective_time_s(hw::CollectiveKind::AllToAll, bytes, ranks);
            return {t, t, t};
        }
        default: break;
    }
    MOESIM_CHECK(false, "EP kernel");
    return {};
}

double ep_notify_latency_s(EpKernel kernel, const hw::CalibrationProfile& profile) {
    switch (kernel) {
        case EpKernel::DeepEpNormal: return profile.latency_s("deepep_notify");
        case EpKernel::DeepEpLowLatency:
        case EpKernel::NcclAllToAll: return 0.0;
        default: break;
    }
    MOESIM_CHECK(false, "EP kernel");
    return 0.0;
}

}  // namespace moesim::network
