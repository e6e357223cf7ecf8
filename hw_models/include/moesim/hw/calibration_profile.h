#pragma once
// Calibration profile, format 1: achieved efficiency as a function of shape (DESIGN.md 5,
// STYLE.md 9). Versioned JSON, read only by hw_models; `moesim calibrate` writes measured
// ones, calibrations/h800-published.json is built from published measurements.
//
// Document (keys with units; every table point carries its own "source" citation):
//   format      1 (a larger number: "written by a newer moesim" -> CalibrationError)
//   name, gpu, created, source       provenance strings
//   kind        "published" | "measured"; measured profiles also need
//   versions    {"driver", "cuda", "nccl"}  (strings)
//   notes       optional array of strings
//   reference   {"bf16_dense_TFLOPS", "fp8_dense_TFLOPS", "hbm_GBps", "nvlink_GBps", "nic_GBps",
//                "note"?}: the peaks every efficiency below is a fraction of
//   gemm        [{m, n, k, dtype, kernel?, efficiency, TFLOPS?, source}]  efficiency = TFLOPS / peak(dtype)
//   grouped_gemm[{groups, m_per_group, n, k, dtype, kernel?, layout?, efficiency, TFLOPS?, source}]
//   attention   [{phase: "prefill"|"decode"|"backward", kernel?, compute_efficiency,
//                 memory_efficiency (decode only), TFLOPS?, GBps?, by_seq_len?, source}]
//               by_seq_len optional (prefill, backward) [{seq_len, compute_efficiency, TFLOPS?}]:
//               the kernel's speed along the length of a causal self-attention, seq_len
//               strictly increasing; the point's source cites it. Absent: compute_efficiency at
//               every length
//   kernel      optional, the library or kernel the point measures (the scenario's "software"
//               section picks one, DESIGN.md §3): GEMMs "deepgemm" | "cublas", attention "fa2" |
//               "fa3" | "flashmla". Absent: the default kernel of its dtype or phase —
//               FP8 GEMMs DeepGEMM, BF16 GEMMs cuBLAS; prefill and backward attention
//               FlashAttention-3, decode FlashMLA — so a profile without the key reads as before.
//   memory_bound[{size_bytes, efficiency, GBps?, source}]            efficiency = GBps / hbm_GBps
//   collectives [{kind: "any"|"all_reduce"|…|"p2p", span: "intranode"|"internode",
//                 size_bytes, efficiency, latency_us, source}]        efficiency of the link peak
//   deepep_normal      [{scope: "intranode"|"internode", ep, gpus_per_node, tokens, hidden,
//                        top_k, max_nodes_per_token, num_experts, dispatch_GBps, combine_GBps, source}]
//   deepep_low_latency [{ep, gpus_per_node, tokens, hidden, top_k, num_experts,
//                        dispatch_us, combine_us, source}]
//   memory_bound_ops optional [{op: "rotary"|"elementwise", efficiency, source}]: the HBM
//                efficiency of one class of memory-bound kernel, used for that class instead of
//                the memory_bound table (a trace fit writes them; absent: the table's)
//   latencies   optional [{what: "deepep_notify", latency_us, source}]: fixed times of kernels
//                that move no payload — DeepEP's notify (the metadata exchange and barrier of
//                the EP group before each normal dispatch or combine); absent: 0
//   held_out    optional {"gemm": [...], "grouped_gemm": [...], "deepep_normal": [...],
//                "deepep_low_latency": [...]}: published points deliberately NOT used by any
//                lookup or fit; tests predict them to measure the model's error.
// Validation (CalibrationError naming file and JSON path): a missing table, unknown keys,
// non-positive or non-finite numbers, an efficiency > 1 (or a TFLOPS/GBps that disagrees by
// more than 1% with efficiency x reference peak), and a size axis that is not strictly
// increasing within its series, in file order.
//
// Interpolation rules (all clamped at the ends of a series, never extrapolated):
//  * GEMM: points form series keyed by (dtype, N, K). Take the series of the requested dtype
//    whose (N, K) is nearest in (log2 N, log2 K) Euclidean distance (first in file order on a
//    tie), then interpolate efficiency piecewise-linearly in log2(M). If the profile has no
//    point of the requested dtype, the other dtype's series are used and their efficiency
//    (a fraction of *their* peak) is applied to the requested dtype's peak: e.g. a BF16 GEMM
//    with only FP8 points runs at the FP8 fraction of the BF16 peak, on the ground that the
//    same tensor cores at half the rate are no harder to feed. These are the table's values;
//    costs.h gemm_efficiency corrects them for the wave quantization of an N other than the
//    series' (libraries with a fixed tile, cuBLAS).
//  * Grouped GEMM: the same, keyed by (dtype, N, K), along log2(m_per_group).
//  * Memory-bound: piecewise-linear in log2(size_bytes).
//  * Collectives: the series (kind, span) if present, else (any, span); piecewise-linear in
//    log2(size_bytes) for efficiency and latency.
//  * Attention: one point per phase; "backward" falls back to "prefill" when absent. A point
//    with by_seq_len: piecewise-linear in log2(seq_len) along it (AttentionPoint::
//    compute_efficiency_at); costs.h maps a shape to the causal length with as many key
//    positions per query.
//  * Kernel selection (with_kernels): the lookups above see only the selected kernels' points.
//    Default: every point whose kernel is the default of its own dtype / phase (exactly the
//    tables of a profile without "kernel" keys). A chosen GEMM library: its points only (of
//    either dtype: the dtype rule above applies within the library); when it has no grouped
//    points, a grouped GEMM runs at the library's dense efficiency for m_per_group × n × k
//    (the experts as separate GEMMs). A chosen attention kernel: its point for each phase it
//    has, the default kernel's for the others (attention_kernel() says which).
//  * DeepEP: fitted once at load from the points (see DeepEpNormalRates / DeepEpLowLatencyRates).
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/hw/types.h"

namespace moesim::hw {

inline constexpr int kProfileFormat = 1;

struct ProfileReference {
    double bf16_dense_TFLOPS = 0;
    double fp8_dense_TFLOPS = 0;
    double hbm_GBps = 0;
    double nvlink_GBps = 0;  // per GPU, per direction
    double nic_GBps = 0;     // per GPU, per direction
    std::string note;
};

// Kernel names of the "kernel" key (file comment); the defaults by dtype and phase.
inline constexpr const char* kGemmKernels[] = {"deepgemm", "cublas"};
inline constexpr const char* kAttentionKernels[] = {"fa2", "fa3", "flashmla"};
const char* default_gemm_kernel(Dtype d);               // FP8 "deepgemm", BF16 "cublas"
const char* default_attention_kernel(AttentionPhase p);  // prefill, backward "fa3"; decode "flashmla"

// The kernels a profile's lookups use (the scenario's "software" section); empty = the
// default of each dtype / phase.
struct KernelChoice {
    std::string gemm;       // "" | "deepgemm" | "cublas"
    std::string attention;  // "" | "fa2" | "fa3" | "flashmla"
};

struct GemmPoint {
    double m = 0, n = 0, k = 0;
    Dtype dtype = Dtype::Invalid;
    std::string kernel;  // resolved: the "kernel" key or the dtype's default
    double efficiency = 0;
    double TFLOPS = 0;  // 0 when the document gives only the efficiency
    std::string source;
};

// A GEMM table lookup: the efficiency interpolated on the nearest series, that series' N, the
// M it was measured at, and the kernel (library) that measured it.
struct GemmLookup {
    double efficiency = 0;
    double series_n = 0;
    double series_m = 0;      // the M (m_per_group) the value was measured at: the asked one, clamped to the series
    std::string_view kernel;  // the point's, alive as long as the profile
};

struct GroupedGemmPoint {
    double groups = 0, m_per_group = 0, n = 0, k = 0;
    Dtype dtype = Dtype::Invalid;
    std::string kernel;  // resolved, as GemmPoint's
    std::string layout;
    double efficiency = 0;
    double TFLOPS = 0;
    std::string source;
};

// One point of by_seq_len (file comment).
struct AttentionSeqPoint {
    double seq_len = 0;             // tokens of a causal self-attention
    double compute_efficiency = 0;  // of the BF16 dense peak
};

struct AttentionPoint {
    AttentionPhase phase = AttentionPhase::Invalid;
    std::string kernel;  // resolved: the "kernel" key or the phase's default
    double compute_efficiency = 0;  // of the BF16 dense peak
    double memory_efficiency = 0;   // of hbm_GBps (decode); 0 = not given
    std::vector<AttentionSeqPoint> by_seq_len;  // empty: compute_efficiency at every length
    std::string source;

    // At a causal self-attention of `seq_len` tokens: by_seq_len interpolated in log2(seq_len),
    // clamped at its ends; compute_efficiency without one.
    double compute_efficiency_at(double seq_len) const;
    // The most it reaches at any length (a bound for searches).
    double peak_compute_efficiency() const;
};

struct MemoryPoint {
    double size_bytes = 0;
    double efficiency = 0;
    std::string source;
};

// memory_bound_ops and latencies (file comment).
inline constexpr const char* kMemoryOps[] = {"rotary", "elementwise"};
inline constexpr const char* kLatencies[] = {"deepep_notify"};

struct MemoryOpPoint {
    std::string op;
    double efficiency = 0;
    std::string source;
};

struct LatencyPoint {
    std::string what;
    double latency_s = 0;
    std::string source;
};

struct CollectivePoint {
    CollectiveKind kind = CollectiveKind::Invalid;  // Invalid = "any"
    Span span = Span::Invalid;
    double size_bytes = 0;
    double efficiency = 0;
    double latency_s = 0;
    std::string source;
};

struct DeepEpNormalPoint {
    Span scope = Span::Invalid;
    EpGroup group;  // link bandwidths unused (the reference's apply)
    DeepEpShape shape;
    double dispatch_GBps = 0;  // DeepEP's "bottleneck bandwidth": NVL bytes (intranode) or
    double combine_GBps = 0;   // all-target-node RDMA bytes (internode) per second
    std::string source;
};

struct DeepEpLowLatencyPoint {
    EpGroup group;
    DeepEpShape shape;
    double dispatch_us = 0;
    double combine_us = 0;
    std::string source;
};

// Achieved rates of DeepEP's normal kernels, fitted from the deepep_normal points. Each
// point's traffic (deepep_traffic in costs.h) gives the rate it implies on every link it
// uses; a link's capacity is the largest rate any point of its regime implies (a point
// bound elsewhere implies less than the capacity). Regimes: intranode kernel (NVLink only)
// and internode kernel (RDMA + NVLink forwarding). GB/s of the reference links.
struct DeepEpNormalRates {
    double intranode_nvlink_GBps = 0;
    double internode_rdma_GBps = 0;
    double internode_nvlink_GBps = 0;
};

// Low-latency kernels: time = latency + max(f·X / nvlink, (1−f)·X / rdma), X = bytes sent,
// f = min(1, gpus_per_node / ep) the share of copies that stay in the node. Fitted from the
// deepep_low_latency points: a least-squares line t = latency + (1−f)·X / rdma through the
// internode points (ep > gpus_per_node; needs two distinct X), then nvlink = X / (t − latency)
// averaged over the intranode points.
struct DeepEpLowLatencyRates {
    double latency_s = 0;
    double nvlink_GBps = 0;
    double rdma_GBps = 0;
};

struct CollectiveEfficiency {
    double efficiency = 0;
    double latency_s = 0;
};

struct HeldOutPoints {
    std::vector<GemmPoint> gemm;
    std::vector<GroupedGemmPoint> grouped_gemm;
    std::vector<DeepEpNormalPoint> deepep_normal;
    std::vector<DeepEpLowLatencyPoint> deepep_low_latency;
};

class CalibrationProfile {
public:
    // Parse and validate; `file` names the document in errors. Throws CalibrationError.
    static CalibrationProfile from_json(const nlohmann::json& j, const std::string& file);

    const std::string& name() const { return name_; }
    const std::string& gpu() const { return gpu_; }
    const std::string& kind() const { return kind_; }
    const std::string& source() const { return source_; }
    const std::string& created() const { return created_; }
    const std::string& driver_version() const { return driver_; }
    const std::string& cuda_version() const { return cuda_; }
    const std::string& nccl_version() const { return nccl_; }
    const ProfileReference& reference() const { return reference_; }
    const std::vector<GemmPoint>& gemm_points() const { return gemm_; }
    const std::vector<GroupedGemmPoint>& grouped_gemm_points() const { return grouped_; }
    const std::vector<MemoryPoint>& memory_points() const { return memory_; }
    const std::vector<MemoryOpPoint>& memory_op_points() const { return memory_ops_; }
    const std::vector<LatencyPoint>& latency_points() const { return latencies_; }
    const std::vector<CollectivePoint>& collective_points() const { return collectives_; }
    const std::vector<DeepEpNormalPoint>& deepep_normal_points() const { return deepep_normal_; }
    const std::vector<DeepEpLowLatencyPoint>& deepep_low_latency_points() const { return deepep_ll_; }
    const HeldOutPoints& held_out() const { return held_out_; }
    // Every attention point of the document, whatever kernel (attention() sees the selected ones).
    const std::vector<AttentionPoint>& all_attention_points() const { return all_attention_; }

    // This profile with its lookups restricted to `choice`'s kernels (file comment). Throws
    // CalibrationError when the profile has no point of a chosen kernel.
    CalibrationProfile with_kernels(const KernelChoice& choice) const;
    const KernelChoice& kernels() const { return kernels_; }
    // The kernel whose point attention(phase) returns.
    const std::string& attention_kernel(AttentionPhase phase) const { return attention(phase).kernel; }
    // Whether grouped GEMMs are priced from grouped points (false: as dense GEMMs, file comment).
    bool has_grouped_points() const { return !grouped_.empty(); }
    // The document this profile was read from (compact JSON), so a run can record exactly
    // which profile it used.
    const std::string& document() const { return document_; }

    // Lookups (rules in the file comment). Efficiencies are fractions in (0, 1].
    // The table's efficiency at a shape, as measured on the series it comes from; costs.h's
    // gemm_efficiency adds what the series' N does not show (wave quantization).
    double gemm_efficiency(const GemmShape& shape, Dtype dtype) const { return gemm_lookup(shape, dtype).efficiency; }
    double grouped_gemm_efficiency(const GroupedGemmShape& shape, Dtype dtype) const {
        return grouped_gemm_lookup(shape, dtype).efficiency;
    }
    GemmLookup gemm_lookup(const GemmShape& shape, Dtype dtype) const;
    GemmLookup grouped_gemm_lookup(const GroupedGemmShape& shape, Dtype dtype) const;
    const AttentionPoint& attention(AttentionPhase phase) const;
    double memory_efficiency(double size_bytes) const;
    // `op`'s memory_bound_ops point when the profile has one, else memory_efficiency(size).
    double memory_op_efficiency(const std::string& op, double size_bytes) const;
    // The latencies point of `what` (one of kLatencies), 0 when the profile has none.
    double latency_s(const std::string& what) const;
    CollectiveEfficiency collective(CollectiveKind kind, Span span, double size_bytes) const;
    const DeepEpNormalRates& deepep_normal_rates(DeepEpOp op) const;
    const DeepEpLowLatencyRates& deepep_low_latency_rates(DeepEpOp op) const;

private:
    std::string name_, gpu_, kind_, source_, created_, driver_, cuda_, nccl_;
    ProfileReference reference_;
    std::vector<GemmPoint> gemm_;                 // the selected kernels' points (lookups)
    std::vector<GroupedGemmPoint> grouped_;
    std::vector<AttentionPoint> attention_;
    std::vector<GemmPoint> all_gemm_;             // every point of the document
    std::vector<GroupedGemmPoint> all_grouped_;
    std::vector<AttentionPoint> all_attention_;
    KernelChoice kernels_;
    void select_kernels();
    std::vector<MemoryPoint> memory_;
    std::vector<MemoryOpPoint> memory_ops_;
    std::vector<LatencyPoint> latencies_;
    std::vector<CollectivePoint> collectives_;
    std::vector<DeepEpNormalPoint> deepep_normal_;
    std::vector<DeepEpLowLatencyPoint> deepep_ll_;
    HeldOutPoints held_out_;
    std::string document_;
    std::array<DeepEpNormalRates, 2> normal_rates_{};    // [Dispatch, Combine]
    std::array<DeepEpLowLatencyRates, 2> ll_rates_{};    // [Dispatch, Combine]
};

// Built-in profile names (embedded calibrations/*.json without ".json"), sorted.
std::vector<std::string> builtin_profile_names();

// A built-in profile by name ("h800-published", with or without ".json"), or a profile file:
// a path resolved against `base_dir` when relative. A path that does not exist but whose
// file name is a built-in's (e.g. "calibrations/h800-published.json" from another
// directory) loads the built-in. Throws CalibrationError.
CalibrationProfile load_profile(const std::string& name_or_path, const std::string& base_dir);

// The embedded h800-published profile.
const CalibrationProfile& default_profile();

}  // namespace moesim::hw
