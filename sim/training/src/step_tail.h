#pragma once
// Internal to sim/training: data parallelism after a pipeline rank's last operation, shared by
// the one-replica event mode and the full simulation. The gradient reduce-scatter overlaps the
// rank's last backward chunk and the parameter all-gather the next step's first forward chunk
// (Megatron's overlap-grad-reduce / overlap-param-gather); only the excess is exposed; the Adam
// step runs in between.
#include <vector>

#include "moesim/training/analytic.h"

namespace moesim::training::detail {

// The windows the DP collectives overlap with: a pipeline rank's mean forward and backward
// chunk over the stages it holds (computation and its EP/TP/PP communication).
struct ChunkWindows {
    double forward_s = 0, backward_s = 0;
};
ChunkWindows chunk_windows(const std::vector<StageCosts>& stage_costs, const std::vector<int>& held_stages);

// What the DP collectives expose beyond those windows, per step.
double reduce_scatter_exposed_s(const DataParallelTimes& dp, const ChunkWindows& w);
double all_gather_exposed_s(const DataParallelTimes& dp, const ChunkWindows& w);

}  // namespace moesim::training::detail
