#pragma once
// Clusters and groups for the network tests: the bundled profile, an H800-like cluster of
// `nodes` nodes (8 GPUs and 8 NICs each) on a topology, and runs of global ranks.
#include <vector>

#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/topology.h"

namespace moesim::test {

inline const hw::CalibrationProfile& profile() { return hw::default_profile(); }

inline hw::TopologySpec h800(hw::TopologyKind kind, int nodes, double oversubscription = 1.0) {
    hw::TopologySpec s;
    s.kind = kind;
    s.nodes = nodes;
    s.oversubscription = oversubscription;
    return s;
}

// first, first + stride, … (n ranks).
inline std::vector<int> iota(int n, int first = 0, int stride = 1) {
    std::vector<int> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = first + i * stride;
    return v;
}

}  // namespace moesim::test
