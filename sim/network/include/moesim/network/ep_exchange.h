#pragma once
// One MoE dispatch or combine of an EP group by the kernel the scenario's software section
// chooses (DESIGN.md §3): DeepEP's normal or low-latency kernels (Network::deepep_times, on the
// profile's deepep_normal / deepep_low_latency tables), or NCCL's all-to-all.
//
// NCCL all-to-all (Megatron-style token exchange): each GPU sends every token once per routed
// expert it picked, S = tokens · top_k · b bytes (b as DeepEP's: FP8 with scales to dispatch,
// BF16 to combine; hw::deepep_traffic's low_latency_bytes) with no node-limited forwarding,
// as one all-to-all of the EP group: Network::collective_time_s(AllToAll, S) on the profile's
// "all_to_all" collective series (its "any" series when it has none). The uniform split over
// the group is the closed form's. The time is not split by link class: rdma_s = nvlink_s =
// time_s, so a rank with more load on either class scales the whole time.
#include <span>

#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/types.h"
#include "moesim/network/network.h"

namespace moesim::network {

enum class EpKernel { Invalid, DeepEpNormal, DeepEpLowLatency, NcclAllToAll };

hw::DeepEpTimes ep_exchange_times(const Network& net, EpKernel kernel, hw::DeepEpOp op, const hw::DeepEpShape& shape,
                                  std::span<const int> ranks);

// The fixed time one dispatch or combine call of `kernel` pays before it moves any payload,
// added to ep_exchange_times' by training and serving alike. DeepEP's normal kernels start with
// a notify (the EP group's exchange of per-rank counts and its barrier): the profile's
// "deepep_notify" latency, 0 unless the profile has one (calibrate --from-trace fits it from
// DeepEP's notify kernels). DeepEP's low-latency kernels have none: their buffers are sized in
// advance, which is why decode uses them. NCCL's all-to-all is charged none either: its split
// sizes travel in a separate small all-to-all of its own that no profile measures, and the
// "deepep_notify" latency is DeepEP's kernel, not NCCL's (not modelled).
double ep_notify_latency_s(EpKernel kernel, const hw::CalibrationProfile& profile);

}  // namespace moesim::network
