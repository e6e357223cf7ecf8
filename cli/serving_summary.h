#pragma once
#include <ostream>

#include "moesim/inference/max_load.h"
#include "moesim/inference/ratio_search.h"
#include "moesim/inference/serving_sim.h"
#include "moesim/inference/setup.h"

namespace moesim::cli {

// The terminal summary of one serving run: the deployment, its memory, the traffic, latency
// percentiles against the SLO, throughput per node, KV-cache use, dollars per million tokens,
// the --find-max-load search when there was one (its spread over seeds, each pool's rate
// alone and the ratio they imply; the --find-ratio search), and the
// assumptions behind the numbers.
void print_serving_summary(std::ostream& out, const inference::ServingSetup& setup, const workload::Scenario& s,
                           const inference::ServingRun& run, const inference::MaxLoad* max_load,
                           const inference::MaxLoadSpread* spread = nullptr,
                           const inference::PoolCapacities* pools = nullptr,
                           const inference::RatioSearch* ratio = nullptr);

}  // namespace moesim::cli
