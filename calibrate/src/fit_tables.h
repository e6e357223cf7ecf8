#pragma once
// Internal to calibrate: the table fits fit_profile assembles (rules in moesim/calib/fit.h).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/hw/gpu_spec.h"
#include "moesim/kernels/runner.h"

namespace moesim::calib::detail {

using Points = std::vector<kernels::Measurement>;

// A shape value the fit needs; CalibrationError naming the point when it is missing or not
// a positive finite number.
double shape_value(const kernels::Measurement& m, const char* key);

// achieved / peak, refused (CalibrationError naming the point, the peak and the spec) when
// not in (0, 1]: a rate above the datasheet peak means the spec does not describe this GPU.
double efficiency_of(const kernels::Measurement& m, double achieved, const char* unit, double peak,
                     const char* peak_name, const hw::GpuSpec& gpu);

// The `source` of a fitted point: what was measured, how, and its reference check.
std::string measured_citation(const kernels::Measurement& m, const kernels::SuitePlan& plan, const std::string& rate);

// Each returns the table's JSON array; CalibrationError when the suite measured no point the
// table needs.
nlohmann::json fit_gemm(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan);
nlohmann::json fit_grouped_gemm(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan);
nlohmann::json fit_attention(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan);
nlohmann::json fit_memory_bound(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan);

struct CollectiveFit {
    nlohmann::json points = nlohmann::json::array();  // intranode series, "any" included; empty: none measured
    int ranks = 0;                                    // the ranks the series were measured with
    std::vector<std::string> notes;                   // the latency fit of each op, capped points
};
CollectiveFit fit_intranode_collectives(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan);

}  // namespace moesim::calib::detail
