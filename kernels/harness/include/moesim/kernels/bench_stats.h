#pragma once
// Turning timed repetitions and analytic counts into a Measurement (runner.h): the median time,
// and TFLOPS and GB/s computed from the op's FLOP and byte counts, as DeepGEMM and FlashMLA
// report them. Pure host code, tested everywhere.
#include <functional>
#include <vector>

#include "moesim/kernels/runner.h"

namespace moesim::kernels {

// Where a benchmark hands each finished point (the runner stores it and reports progress).
using MeasurementSink = std::function<void(Measurement&&)>;

// The median of the samples (the mean of the middle two for an even count). Throws
// InternalError for an empty set or a sample that is not positive and finite.
double median_s(std::vector<double> samples_s);

// Sets m.time_s to the median of times_s, and m.TFLOPS = flops / time / 1e12 and
// m.GBps = bytes / time / 1e9 from m.flops and m.bytes (0 where the count is 0).
void set_rates(Measurement& m, const std::vector<double>& times_s);

}  // namespace moesim::kernels
