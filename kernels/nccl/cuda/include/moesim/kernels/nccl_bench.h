#pragma once
// The NCCL sweep: every collective of collectives.h over the given sizes, on all GPUs of this
// machine in one process (ncclCommInitAll), FP32 elements, timed as nccl-tests times them and
// checked element by element on every rank. kind "collective", impl "nccl", op the collective.
#include <span>
#include <stdexcept>

#include "moesim/kernels/bench_stats.h"
#include "moesim/kernels/collectives.h"

namespace moesim::kernels {

struct NcclError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void bench_collectives(std::span<const double> sizes_bytes, const SuitePlan& plan, const MeasurementSink& sink);

}  // namespace moesim::kernels
