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
// The trace fixes a class's level, the base profile its shape dependence. A trace shows the
// shapes of one pair only; a GEMM's efficiency depends on its shape far more than a class
// average says (DeepGEMM's own table: 0.10 of the FP8 peak at M = 64, 0.77 at M = 4096 for one
// N, K), so one class-wide efficiency would price a decode GEMM or a dense FFN the trace never
// ran at the pair's average. Instead, per GEMM class:
//     ratio = base_s / (real_s · compute_sm_share),  base_s = Σ_shapes FLOPs / (peak · base_eff(shape))
// the trace's speed against what the base profile prices the same work at, and every point of
// the class's table is the base's efficiency times that ratio (capped at 1): the base's own
// points (the table's main class's ratio: gemm_fp8 for FP8 GEMMs, gemm_bf16, grouped_gemm_fp8)
// and a point at each shape the pair runs (its own class's ratio: gemm_wgrad at the weight-
// gradient shapes). At the traced shapes the class then costs exactly its traced time (below
// the cap). The memory-bound pool is scaled the same way at the mean size of one operator.
// Written where the cost model looks them up (hw/calibration_profile.h), each traced point
// citing the trace (file name, sha256), its class, the time and count, and every kernel name
// that made it, each scaled base point its own source and the ratio:
//   gemm          FP8 (gemm_fp8 at forward and input-gradient shapes, gemm_wgrad at the weight-
//                 gradient shapes) and BF16 (gemm_bf16 at all three) points, merged into the
//                 base's scaled series (a traced point replaces a base point of the same shape);
//   grouped_gemm  grouped_gemm_fp8 at forward / input-gradient shapes, gemm_wgrad at weight-
//                 gradient shapes, merged the same way into the base's scaled FP8 series;
//   attention     prefill (attention_fwd) and backward (attention_bwd) compute efficiencies;
//                 decode kept;
//   memory_bound  the base's points scaled by the pooled class's ratio at the mean bytes of one
//                 memory-bound operator;
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
    double flops = 0;  // what this shape adds to its class's FLOPs over the pair (runs included)
};
struct GroupedGemmAt {
    ModelClass model = ModelClass::Invalid;
    hw::GroupedGemmShape shape;
    double flops = 0;
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
    double base_ratio = 0;  // GEMM and memory-bound classes: the traced speed / the base profile's (above)
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
