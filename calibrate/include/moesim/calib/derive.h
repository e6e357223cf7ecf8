#pragma once
// Deriving one GPU's profile from a profile measured on another GPU of the same chip whose
// links differ: an H800 from an H100 (the same GH100 die, compute and HBM peaks; NVLink
// capped at 400 GB/s bidirectional against the H100's 900, PUBLISHED.md B "H800 NVLink").
//
// The rule:
//  * The chips must match: BF16 and FP8 dense peaks and HBM bandwidth of the target spec
//    within 1% of the source profile's reference, else CalibrationError.
//  * gemm, grouped_gemm, attention, memory_bound: efficiencies carry over unchanged (the
//    same fraction of the same peaks); the measured TFLOPS / GBps fields are dropped (the
//    target's rates were not measured), each citation says it was carried over.
//  * intranode collectives: the bandwidth each point achieved, e·B_src, carries over unless
//    it exceeds what NCCL reaches of the target's link, η·B_dst, where η is the largest
//    efficiency of that (kind) series on the source (its bandwidth-bound regime):
//    e' = min(e·B_src/B_dst, η). Latency-bound points keep their bandwidth and their latency;
//    bandwidth-bound points cap at the target link. B = reference nvlink_GBps (per
//    direction: H100 450, H800 200).
//  * internode collectives, deepep_normal, deepep_low_latency, held_out: carried verbatim
//    (a measured profile's are copies of the published H800 profile's points; the NICs are
//    the same 400 Gb/s class).
//  * reference: the target spec's peaks; gpu: the target; name "<target>-derived-from-<source
//    name>"; kind and versions the source's; `created` the source's (the date of the
//    measurement); source and notes say derived-from, the rule, and the date of derivation.
#include <string>

#include <nlohmann/json.hpp>

#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/gpu_spec.h"

namespace moesim::calib {

struct DeriveOptions {
    std::string from_label;  // how the source was named on the command line (file path)
    std::string date;        // the date of the derivation, "YYYY-MM-DD"
    std::string name;        // empty: "<target>-derived-from-<source name>", lower case
};

// The derived document (loads with CalibrationProfile::from_json). Throws CalibrationError.
nlohmann::json derive_profile(const hw::CalibrationProfile& from, const hw::GpuSpec& target,
                              const DeriveOptions& options);

}  // namespace moesim::calib
