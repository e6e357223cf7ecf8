#pragma once
// Fitting a calibration profile (format 1) from a profiler trace: each operator-model class's
// efficiency is what the traced kernels of that class achieved on the work the scenario's
// operators ask of it over the traced span:
//     efficiency = ideal_s / real_s,   ideal_s = FLOPs / peak (GEMMs, attention),
//                                      bytes / HBM peak (memory-bound), counted RDMA bytes /
//                                      NIC peak (DeepEP, DeepEP's "bottleneck bandwidth")
// with the peaks of the scenario's GPU spec — the same that the cost model divides by. The
// traced kernels ran beside DeepEP's, which hold comm_sms of the SMs; the cost model slows
// computation inside a DualPipe pair by SMs / (SMs − comm_sms) (training/chunk_program.h), so
// a computation class's efficiency is of the whole GPU: ideal_s / (real_s · compute_sm_share).
// The simulator, given this profile, then spends each class's traced time on that class.
// The caller (which may see the simulator; calibrate may not) supplies the work (PairWork).
//
// Written where the cost model looks them up (hw/calibration_profile.h), one point per shape
// the scenario's operators run, each citing the trace (file name, sha256), its class, the
// time and count, and every kernel name that made it:
//   gemm          FP8 (gemm_fp8 at forward and input-gradient shapes, gemm_wgrad at the weight-
//                 gradient shapes) and BF16 (gemm_bf16 at all three) points; the base profile's
//                 points of a dtype written here are dropped (a nearer base series would win);
//   grouped_gemm  grouped_gemm_fp8 at forward / input-gradient shapes, gemm_wgrad at weight-
//                 gradient shapes; the base's FP8 points dropped;
//   attention     prefill (attention_fwd) and backward (attention_bwd) compute efficiencies;
//                 decode kept;
//   memory_bound  one point (the pooled class) at the mean bytes of one memory-bound operator;
//   memory_bound_ops  rotary and elementwise: each class's own HBM efficiency;
//   latencies     deepep_notify: the notify kernels' time per DeepEP call (dispatch or combine);
//   deepep_normal one internode point at the scenario's EP shape (dispatch_GBps, combine_GBps =
//                 counted RDMA bytes per call / mean kernel time); the base's internode points
//                 dropped, intranode kept.
// A class with no traced kernel keeps the base's points (said in the notes). Everything else
// (collectives, low-latency DeepEP, held_out) is the base's. kind "measured"; versions say the
// trace does not record them.
//
// Errors (CalibrationError naming the trace; nothing is written): the trace's GPU is not the
// scenario's (deviceProperties name or SM count), its layer count differs from the scenario's
// chunk, its DeepEP kernel count does not fit the MoE layers, a class has kernels but the
// scenario no work of it, or an efficiency above 1 (the kernels did less time than the
// scenario's work needs at the peak: another configuration, e.g. a smaller hidden size).
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/calib/trace_rules.h"
#include "moesim/calib/trace_summary.h"
#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/hw/types.h"

namespace moesim::calib {

inline constexpr std::size_t kModelClasses = static_cast<std::size_t>(ModelClass::None) + 1;

struct GemmAt {
    ModelClass model = ModelClass::Invalid;
    hw::Dtype dtype = hw::Dtype::Invalid;
    hw::GemmShape shape;
};
struct GroupedGemmAt {
    ModelClass model = ModelClass::Invalid;
    hw::GroupedGemmShape shape;
};

// What the scenario's operators ask over the traced span (one GPU).
struct PairWork {
    std::string scenario;        // its name, for the citation
    std::string what;            // "forward of stage 1 (layers 3-6) + backward of stage 1"
    hw::GpuSpec gpu;             // the scenario's GPU: its peaks
    int forward_layers = 0, backward_layers = 0, moe_layers_forward = 0, moe_layers_backward = 0;
    std::array<double, kModelClasses> flops{};  // GEMM and attention classes
    std::array<double, kModelClasses> bytes{};  // memory_bound, rotary, elementwise: HBM bytes; DeepEP: counted RDMA bytes
    double ep_calls = 0;                        // DeepEP dispatch + combine calls (each with one notify)
    std::vector<GemmAt> gemm;                   // shapes the operators run (one launch each)
    std::vector<GroupedGemmAt> grouped;
    double memory_ops = 0;                      // memory-bound operator launches (for the point's size)
    double compute_sm_share = 1.0;              // (SMs − comm_sms) / SMs: what computation had
    bool has_ep = false;                        // DeepEP between GPUs (ep > 1)
    hw::DeepEpShape ep_shape;
    hw::EpGroup ep_group;
    double dispatch_counted_bytes = 0, combine_counted_bytes = 0;  // one call each, forward
};

// Seconds at efficiency 1 of `model`'s work.
double ideal_s(const PairWork& w, ModelClass model);

struct FittedClass {
    ModelClass model = ModelClass::Invalid;
    double real_s = 0;
    double ideal_s = 0;
    double efficiency = 0;  // 0: not fitted (deepep_notify: latency_s instead)
    double latency_s = 0;   // deepep_notify: the traced time per DeepEP call
    std::int64_t kernels = 0;
    std::string why_not;    // when not fitted
};

struct TraceFitOptions {
    std::string trace_name;    // the trace's file name (no directory)
    std::string trace_sha256;
    std::string date;          // "YYYY-MM-DD"
    std::string name;          // profile name; empty: "<gpu>-trace-<date>", lower case
    std::string tool_version;
};

struct TraceFit {
    std::vector<FittedClass> classes;  // model_classes() order, None left out
    nlohmann::json profile;            // loads with hw::CalibrationProfile::from_json
};

// The checks in the file comment that need no efficiency. `file` names the trace.
void check_trace_matches(const Trace& trace, const TraceSummary& s, const PairWork& w);

TraceFit fit_trace(const Trace& trace, const TraceSummary& s, const PairWork& w, const hw::CalibrationProfile& base,
                   const TraceFitOptions& options);

}  // namespace moesim::calib
