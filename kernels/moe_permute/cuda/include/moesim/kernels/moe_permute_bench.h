#pragma once
// Benchmarks of the token permute (plan + row copies; BF16 rows, or E4M3 rows with their 1×128
// scales) and unpermute (weighted combine, BF16): kind "permute", impl "moesim_permute", op
// "permute" | "unpermute", shape tokens, hidden, top_k, experts.
#include <span>

#include "moesim/kernels/bench_stats.h"
#include "moesim/kernels/moe_permute.h"

namespace moesim::kernels {

void bench_permute(std::span<const PermuteShape> shapes, const SuitePlan& plan, const MeasurementSink& sink);

}  // namespace moesim::kernels
