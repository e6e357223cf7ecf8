#pragma once
// Naming a measured point, and turning measured points into the rows of the results
// database's `calibration_points` (kind, key, value, unit, source): one row per point, so
// the database keeps every raw measurement of a calibration (DESIGN.md §4). calibrate does
// not depend on reports: the cli hands these rows to the store.
#include <string>
#include <vector>

#include "moesim/kernels/runner.h"

namespace moesim::calib {

// The shape in the runner's key order for its kind (gemm m n k; grouped_gemm groups
// m_per_group n k; attention batch s_q heads cached_tokens|seq_len; memory size_bytes; collective
// size_bytes ranks; permute tokens hidden top_k experts), then any other key by name:
// "m=4096 n=7168 k=2048".
std::string shape_text(const kernels::Measurement& m);

// "gemm moesim_fp8_block fp8 m=4096 n=7168 k=2048" (empty fields left out).
std::string describe(const kernels::Measurement& m);

struct RawPoint {
    std::string kind;    // the measurement's kind
    std::string key;     // impl, op, dtype and shape: describe() without the kind
    double value = 0;    // the rate the fit uses: TFLOPS (gemm, grouped_gemm, attention),
    std::string unit;    // GB/s (memory, permute), bus GB/s (collective)
    std::string source;  // "measured by moesim calibrate: time_us=…, flops=…, bytes=…, …, check ok …"
};

std::vector<RawPoint> raw_points(const std::vector<kernels::Measurement>& points);

// Achieved rates of a point: its TFLOPS / GBps, or, when the runner left them 0, the
// analytic counts over the time.
double achieved_TFLOPS(const kernels::Measurement& m);
double achieved_GBps(const kernels::Measurement& m);

// The number as the profile and the database write it: integers without a decimal point.
std::string number_text(double v);

}  // namespace moesim::calib
