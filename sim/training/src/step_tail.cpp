#include "step_tail.h"

#include <algorithm>

#include "moesim/common/error.h"

namespace moesim::training::detail {

ChunkWindows chunk_windows(const std::vector<StageCosts>& costs, const std::vector<int>& held) {
    MOESIM_CHECK(!held.empty(), "a pipeline rank holds at least one stage");
    ChunkWindows w;
    for (int s : held) {
        const StageCosts& c = costs.at(static_cast<std::size_t>(s));
        w.forward_s += c.forward.total_s() + c.forward_comm.total_s();
        w.backward_s += c.backward_input.total_s() + c.recompute.total_s() + c.backward_weight.total_s() +
                        c.backward_comm.total_s();
    }
    w.forward_s /= static_cast<double>(held.size());
    w.backward_s /= static_cast<double>(held.size());
    return w;
}

double reduce_scatter_exposed_s(const DataParallelTimes& dp, const ChunkWindows& w) {
    return std::max(0.0, dp.reduce_scatter_s - w.backward_s);
}

double all_gather_exposed_s(const DataParallelTimes& dp, const ChunkWindows& w) {
    return std::max(0.0, dp.all_gather_s - w.forward_s);
}

}  // namespace moesim::training::detail
