#pragma once
// Each collective's traits, in the one table that the CLI (`moesim comm`), the NCCL sweep
// (kernels/nccl) and the calibration fitter (calibrate) read (nccl-tests' conventions,
// STYLE.md):
//   bus-bandwidth factor  busbw = algbw · factor, factor = passes·(n−1)/n — 2(n−1)/n for
//                         all-reduce (a reduce-scatter, then an all-gather), (n−1)/n for
//                         all-gather, reduce-scatter and all-to-all —, 1 for point-to-point:
//                         so that busbw compares with the link bandwidth whatever n is;
//   latency steps         of the flat ring forms in hw/costs.h: passes·(n−1), 1 for p2p.
// Header-only: the kernels link nothing but moesim_common.
#include <string_view>

namespace moesim {

struct CollectiveTraits {
    std::string_view name;       // the calibration profile's and `moesim comm`'s: all_reduce … p2p
    std::string_view nccl_name;  // nccl-tests' and the kernel runner's: all_reduce … send_recv
    int ring_passes = 0;         // passes of n−1 ring steps; 0: one point-to-point transfer
};

inline constexpr CollectiveTraits kCollectiveTraits[] = {
    {"all_reduce", "all_reduce", 2},         {"all_gather", "all_gather", 1}, {"reduce_scatter", "reduce_scatter", 1},
    {"all_to_all", "all_to_all", 1},         {"p2p", "send_recv", 0},
};

// The row whose name or nccl_name is `name`; nullptr for none.
inline const CollectiveTraits* find_collective_traits(std::string_view name) {
    for (const CollectiveTraits& t : kCollectiveTraits)
        if (t.name == name || t.nccl_name == name) return &t;
    return nullptr;
}

inline double bus_factor(const CollectiveTraits& t, int n) {
    return t.ring_passes == 0 ? 1.0 : t.ring_passes * (n - 1.0) / n;
}

inline double latency_steps(const CollectiveTraits& t, int n) {
    return t.ring_passes == 0 ? 1.0 : t.ring_passes * (n - 1.0);
}

}  // namespace moesim
