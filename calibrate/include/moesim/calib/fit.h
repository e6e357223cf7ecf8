#pragma once
// Fitting a calibration profile (format 1, hw/calibration_profile.h) from the points the
// bundled kernels measured (kernels/runner.h). The document this returns loads with
// hw::CalibrationProfile::from_json; kind "measured".
//
// Tables, from the points (efficiency = measured / the GPU spec's datasheet peak):
//  * gemm:         one point per (dtype, M, N, K). FP8 from the fine-grained-scaled kernel
//                  ("moesim_fp8_block", or its portable fallback "moesim_fp8_block_portable":
//                  the 1x128 / 128x128 scaling DeepSeek-V3 trains with)
//                  when it measured that shape, else the fastest implementation of the shape
//                  (cuBLASLt for BF16). efficiency = TFLOPS / peak(dtype).
//  * grouped_gemm: series (dtype, N, K) along m_per_group; both layouts in one series (the
//                  lookup has no layout or group-count axis): a size measured more than once
//                  gets the mean efficiency of its measurements.
//  * attention:    decode: compute_efficiency = the largest decode TFLOPS / BF16 peak,
//                  memory_efficiency = the largest decode GB/s / HBM peak (the cost model is a
//                  roofline, max(flops/compute, bytes/memory): a point bound by one resource
//                  understates the other's ceiling, so each ceiling is the best any shape
//                  reached, as FlashMLA reports "up to"). prefill: the largest prefill TFLOPS /
//                  BF16 peak, and, when the suite measured two or more seq_len, by_seq_len: the
//                  fastest point of each length (the suite's 16K tokens per point, as FA3's
//                  paper benchmarks). No backward kernel is measured: the profile's lookup falls back
//                  to prefill. Only BF16 attention points are fitted.
//  * memory_bound: the HBM copy, keyed by the bytes it moves (read + write, the count
//                  memory_bound_time_s takes); the fastest point per size. efficiency = GB/s /
//                  HBM peak. Permute points are stored raw only.
//  * collectives (intranode): one series per NCCL op measured with the most ranks (>= 2; all
//                  GPUs of this machine). The cost model is t = steps·α + factor·S/(B·e(S))
//                  (costs.h; steps 2(n-1) all-reduce, n-1 all-gather / reduce-scatter /
//                  all-to-all, 1 send/recv; factor the nccl-tests bus-bandwidth factor; B the
//                  spec's NVLink peak per direction). Latency α: the intercept a of the
//                  least-squares line t = a + b·S through the sizes up to 64 KiB (at least the
//                  two smallest), divided by steps; an intercept <= 0 (noise) falls back to the
//                  smallest size's time. Then e(S) = factor·S / (B·(t(S) - steps·α)), so the
//                  model reproduces every measured time; e is capped at 1 (a point whose time is
//                  all latency, or an NVLS all-reduce whose bus bandwidth exceeds the link's),
//                  and the capped points are listed in the notes. Kind "any" is a copy of the
//                  all-reduce series (else of the first op measured).
// Copied from a base profile (default: the bundled published profile of the GPU's family,
// h800-published for Hopper), each point keeping its citation, and listed in the notes:
// internode collectives, deepep_normal, deepep_low_latency (one machine cannot measure them),
// and the intranode collectives when fewer than two GPUs took part.
//
// Provenance: `source` names the device (name, SMs, clocks, GPUs), driver, CUDA and NCCL
// versions, the moesim version and the plan; `versions` holds driver / CUDA / NCCL; the first
// note is the same as key=value pairs.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/kernels/runner.h"

namespace moesim::calib {

struct FitOptions {
    std::string date;          // "YYYY-MM-DD", the profile's `created` (UTC date of the run)
    std::string name;          // profile name; empty: default_profile_name(gpu, date)
    std::string tool_version;  // e.g. "moesim 0.1.0 (abc123)"
    kernels::SuitePlan plan;   // what was run (quick or full, warm-up, repetitions)
    // Tables one machine cannot measure come from here; null: base_profile_for(device).
    const hw::CalibrationProfile* base = nullptr;
};

// Throws CalibrationError naming every point whose result disagreed with its CPU reference
// (kernel, shape, largest error, what was compared): no profile may be fitted from them.
void require_reference_checks(const std::vector<kernels::Measurement>& points);

// Whether `device` can be measured: a usable GPU, and NCCL loaded (every profile holds the
// collective sweeps). Throws CalibrationError saying why not, before anything is written.
void check_can_measure(const kernels::DeviceInfo& device);

// The bundled published profile of the device's family: h800-published for Hopper (compute
// capability 9.x). Throws CalibrationError for another family (pass a base profile).
const hw::CalibrationProfile& base_profile_for(const kernels::DeviceInfo& device);

// The built-in GPU spec this device is, by name ("NVIDIA H100 80GB HBM3" -> "H100"), checked
// against the spec's SM count (an H100 PCIe is not an H100 SXM). Throws CalibrationError
// when no built-in matches (pass --gpu NAME or a spec file).
hw::GpuSpec gpu_spec_for(const kernels::DeviceInfo& device);

// "<gpu>-measured-<date>", lower case: "h100-measured-2025-07-01".
std::string default_profile_name(const hw::GpuSpec& gpu, const std::string& date);

// The profile document. Calls require_reference_checks first. Throws CalibrationError when a
// table cannot be fitted (no points of a kind the suite must measure, a measured rate above
// the spec's peak, a device whose SM count differs from the spec's).
nlohmann::json fit_profile(const std::vector<kernels::Measurement>& points, const kernels::DeviceInfo& device,
                           const hw::GpuSpec& gpu, const FitOptions& options);

}  // namespace moesim::calib
