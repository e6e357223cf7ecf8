#include "moesim/hw/costs.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

#include "moesim/common/collective_traits.h"
#include "moesim/common/error.h"

namespace moesim::hw {

namespace {

constexpr double kGB = 1e9;
constexpr double kTera = 1e12;

// max(compute time at `efficiency` of the dense peak, HBM floor).
double roofline_time_s(double flops, double bytes, double peak_TFLOPS, double efficiency, const GpuSpec& gpu,
                       const CalibrationProfile& profile) {
    MOESIM_CHECK(peak_TFLOPS > 0 && efficiency > 0, "roofline inputs");
    const double compute_s = flops / (peak_TFLOPS * kTera * efficiency);
    return std::max(compute_s, memory_bound_time_s(bytes, gpu, profile));
}

}  // namespace

// ----- compute and memory ---------------------------------------------------------------

double gemm_flops(const GemmShape& s) { return 2.0 * s.m * s.n * s.k * s.count; }

double gemm_bytes(const GemmShape& s, Dtype dtype) {
    const double b = dtype_bytes(dtype);
    return s.count * (s.m * s.k * b + s.n * s.k * b + s.m * s.n * 2.0);
}

GemmTile gemm_library_tile(std::string_view kernel) {
    if (kernel == "cublas") return {128, 128};
    return {};
}

double wave_utilization(double tiles, int sm_count) {
    MOESIM_CHECK(tiles > 0 && sm_count > 0, "wave inputs");
    return tiles / (std::ceil(tiles / sm_count) * sm_count);
}

namespace {

// eff_table · u(T(M_s, n)) / u(T(M_s, N_s)), capped at 1 (costs.h).
double wave_corrected(const GemmLookup& at, double groups_per_launch, double n, const GpuSpec& gpu) {
    const GemmTile tile = gemm_library_tile(at.kernel);
    if (tile.rows <= 0 || n == at.series_n) return at.efficiency;
    const auto tiles = [&](double rows, double cols) {
        return groups_per_launch * std::ceil(rows / tile.rows) * std::ceil(cols / tile.cols);
    };
    const double ratio = wave_utilization(tiles(at.series_m, n), gpu.sm_count) /
                         wave_utilization(tiles(at.series_m, at.series_n), gpu.sm_count);
    return std::min(1.0, at.efficiency * ratio);
}

}  // namespace

double gemm_efficiency(const GemmShape& s, Dtype dtype, const GpuSpec& gpu, const CalibrationProfile& profile) {
    return wave_corrected(profile.gemm_lookup(s, dtype), 1.0, s.n, gpu);
}

double grouped_gemm_efficiency(const GroupedGemmShape& s, Dtype dtype, const GpuSpec& gpu,
                               const CalibrationProfile& profile) {
    // One launch holds every group's tiles; without grouped points the experts run as
    // separate GEMMs (calibration_profile.h), a launch each.
    const double groups_per_launch = profile.has_grouped_points() ? s.groups : 1.0;
    return wave_corrected(profile.grouped_gemm_lookup(s, dtype), groups_per_launch, s.n, gpu);
}

double gemm_time_s(const GemmShape& s, Dtype dtype, const GpuSpec& gpu, const CalibrationProfile& profile) {
    MOESIM_CHECK(dtype != Dtype::Invalid, "GEMM dtype");
    if (s.m <= 0 || s.n <= 0 || s.k <= 0 || s.count <= 0) return 0.0;
    return roofline_time_s(gemm_flops(s), gemm_bytes(s, dtype), dense_peak_TFLOPS(gpu, dtype),
                           gemm_efficiency(s, dtype, gpu, profile), gpu, profile);
}

double grouped_gemm_flops(const GroupedGemmShape& s) { return 2.0 * s.groups * s.m_per_group * s.n * s.k; }

double grouped_gemm_bytes(const GroupedGemmShape& s, Dtype dtype) {
    const double b = dtype_bytes(dtype);
    return s.groups * (s.m_per_group * s.k * b + s.n * s.k * b + s.m_per_group * s.n * 2.0);
}

double grouped_gemm_time_s(const GroupedGemmShape& s, Dtype dtype, const GpuSpec& gpu,
                           const CalibrationProfile& profile) {
    MOESIM_CHECK(dtype != Dtype::Invalid, "grouped GEMM dtype");
    if (s.groups <= 0 || s.m_per_group <= 0 || s.n <= 0 || s.k <= 0) return 0.0;
    return roofline_time_s(grouped_gemm_flops(s), grouped_gemm_bytes(s, dtype), dense_peak_TFLOPS(gpu, dtype),
                           grouped_gemm_efficiency(s, dtype, gpu, profile), gpu, profile);
}

double memory_bound_time_s(double bytes, const GpuSpec& gpu, const CalibrationProfile& profile) {
    if (bytes <= 0) return 0.0;
    return bytes / (gpu.hbm_GBps * kGB * profile.memory_efficiency(bytes));
}

double memory_op_time_s(const std::string& op, double bytes, const GpuSpec& gpu, const CalibrationProfile& profile) {
    if (bytes <= 0) return 0.0;
    return bytes / (gpu.hbm_GBps * kGB * profile.memory_op_efficiency(op, bytes));
}

namespace {

// Query-key pairs of one sequence (costs.h).
double attention_pairs(const AttentionShape& s) {
    return s.causal ? s.q_len * s.kv_len - s.q_len * (s.q_len - 1) / 2.0 : s.q_len * s.kv_len;
}

}  // namespace

double equivalent_causal_seq_len(const AttentionShape& s) { return 2.0 * attention_pairs(s) / s.q_len - 1.0; }

double attention_flops(const AttentionShape& s) {
    const double forward = 2.0 * s.batch * s.heads_q * (s.qk_head_dim + s.v_head_dim) * attention_pairs(s);
    return s.phase == AttentionPhase::Backward ? 2.5 * forward : forward;
}

double attention_bytes(const AttentionShape& s) {
    return s.batch * s.kv_len * s.kv_bytes_per_token + 2.0 * s.batch * s.q_len * s.heads_q * (s.qk_head_dim + s.v_head_dim);
}

double attention_time_s(const AttentionShape& s, const GpuSpec& gpu, const CalibrationProfile& profile) {
    MOESIM_CHECK(s.phase != AttentionPhase::Invalid, "attention phase");
    MOESIM_CHECK(!s.causal || s.kv_len >= s.q_len, "causal attention needs kv_len >= q_len");
    if (s.batch <= 0 || s.q_len <= 0 || s.kv_len <= 0) return 0.0;
    const AttentionPoint& eff = profile.attention(s.phase);
    const double compute_s =
        attention_flops(s) / (gpu.bf16_dense_TFLOPS * kTera * eff.compute_efficiency_at(equivalent_causal_seq_len(s)));
    if (s.phase != AttentionPhase::Decode) return compute_s;
    const double memory_s = attention_bytes(s) / (gpu.hbm_GBps * kGB * eff.memory_efficiency);
    return std::max(compute_s, memory_s);
}

// ----- collectives: closed forms ---------------------------------------------------------

namespace {

// A flat ring over n GPUs: latency_steps hops, and bus_factor · S bytes through each GPU's link
// (the traits table, moesim/common/collective_traits.h).
double flat_ring_time_s(std::string_view collective, double S, int n, double B_GBps, double latency_s) {
    MOESIM_CHECK(n >= 1 && B_GBps > 0, std::string(collective) + " group");
    if (n == 1 || S <= 0) return 0.0;
    const CollectiveTraits* t = find_collective_traits(collective);
    MOESIM_CHECK(t != nullptr, "no traits for " + std::string(collective));
    return latency_steps(*t, n) * latency_s + bus_factor(*t, n) * S / (B_GBps * kGB);
}

}  // namespace

double ring_all_reduce_time_s(double S, int n, double B_GBps, double latency_s) {
    return flat_ring_time_s("all_reduce", S, n, B_GBps, latency_s);
}

double ring_all_gather_time_s(double S, int n, double B_GBps, double latency_s) {
    return flat_ring_time_s("all_gather", S, n, B_GBps, latency_s);
}

double ring_reduce_scatter_time_s(double S, int n, double B_GBps, double latency_s) {
    return ring_all_gather_time_s(S, n, B_GBps, latency_s);
}

double all_to_all_time_s(double S, int n, double B_GBps, double latency_s) {
    return ring_all_gather_time_s(S, n, B_GBps, latency_s);
}

double p2p_time_s(double S, double B_GBps, double latency_s) {
    MOESIM_CHECK(B_GBps > 0, "p2p bandwidth");
    if (S <= 0) return 0.0;
    return latency_s + S / (B_GBps * kGB);
}

double hierarchical_all_reduce_time_s(double S, const TwoLevelLinks& l) {
    const int g = l.gpus_per_node, N = l.nodes;
    MOESIM_CHECK(g >= 1 && N >= 1, "two-level group");
    if (S <= 0 || g * N == 1) return 0.0;
    const double intra = g > 1 ? 2.0 * ring_reduce_scatter_time_s(S, g, l.nvlink_GBps, l.nvlink_latency_s) : 0.0;
    const double inter = N > 1 ? ring_all_reduce_time_s(S / g, N, l.nic_GBps, l.nic_latency_s) : 0.0;
    return intra + inter;
}

double hierarchical_all_gather_time_s(double S, const TwoLevelLinks& l) {
    const int g = l.gpus_per_node, N = l.nodes;
    MOESIM_CHECK(g >= 1 && N >= 1, "two-level group");
    if (S <= 0 || g * N == 1) return 0.0;
    const double inter = N > 1 ? ring_all_gather_time_s(S / g, N, l.nic_GBps, l.nic_latency_s) : 0.0;
    const double intra = g > 1 ? ring_all_gather_time_s(S, g, l.nvlink_GBps, l.nvlink_latency_s) : 0.0;
    return inter + intra;
}

double hierarchical_reduce_scatter_time_s(double S, const TwoLevelLinks& l) { return hierarchical_all_gather_time_s(S, l); }

double hierarchical_all_to_all_time_s(double S, const TwoLevelLinks& l) {
    const int g = l.gpus_per_node, N = l.nodes, n = g * N;
    MOESIM_CHECK(g >= 1 && N >= 1, "two-level group");
    if (S <= 0 || n == 1) return 0.0;
    const double intra_s = g > 1 ? (g - 1.0) / n * S / (l.nvlink_GBps * kGB) : 0.0;
    const double inter_s = N > 1 ? static_cast<double>(n - g) / n * S / (l.nic_GBps * kGB) : 0.0;
    return std::max(intra_s, inter_s) + (g - 1) * l.nvlink_latency_s + (n - g) * l.nic_latency_s;
}

namespace {

// One binary tree of NCCL's (ncclGetBtree): the parent of `rank` in a tree of n rooted at 0.
int btree_parent(int n, int rank) {
    if (rank == 0) return -1;
    int bit = 1;
    while (bit < n && !(bit & rank)) bit <<= 1;
    const int up = (rank ^ bit) | (bit << 1);
    return up < n ? up : rank ^ bit;
}

}  // namespace

DoubleBinaryTree double_binary_tree(int n) {
    MOESIM_CHECK(n >= 1, "tree size");
    DoubleBinaryTree t;
    for (auto& p : t.parent) p.resize(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r) {
        const auto i = static_cast<std::size_t>(r);
        t.parent[0][i] = btree_parent(n, r);
        if (n % 2 == 0) {  // mirror
            const int u = btree_parent(n, n - 1 - r);
            t.parent[1][i] = u < 0 ? -1 : n - 1 - u;
        } else {  // shift by one rank
            const int u = btree_parent(n, (r - 1 + n) % n);
            t.parent[1][i] = u < 0 ? -1 : (u + 1) % n;
        }
    }
    return t;
}

int tree_depth(int n) {
    MOESIM_CHECK(n >= 1, "tree size");
    int d = 0;
    while ((1 << d) < n) ++d;
    return d;
}

double tree_load_factor(int n) {
    const DoubleBinaryTree t = double_binary_tree(n);
    std::vector<double> load(static_cast<std::size_t>(n), 0.0);
    for (const auto& parent : t.parent)
        for (int r = 0; r < n; ++r) {
            const int p = parent[static_cast<std::size_t>(r)];
            if (p < 0) continue;
            load[static_cast<std::size_t>(r)] += 0.5;  // S/2 up from r
            load[static_cast<std::size_t>(p)] += 0.5;  // S/2 down to r
        }
    return n > 1 ? *std::max_element(load.begin(), load.end()) : 0.0;
}

double tree_all_reduce_time_s(double S, int n, double B_GBps, double latency_s, int chunks) {
    TwoLevelLinks l;
    l.gpus_per_node = 1;
    l.nodes = n;
    l.nvlink_GBps = l.nic_GBps = B_GBps;
    l.nic_latency_s = latency_s;
    return hierarchical_tree_all_reduce_time_s(S, l, chunks);
}

double hierarchical_tree_all_reduce_time_s(double S, const TwoLevelLinks& l, int chunks) {
    const int g = l.gpus_per_node, N = l.nodes;
    MOESIM_CHECK(g >= 1 && N >= 1 && chunks >= 1, "tree all-reduce group");
    MOESIM_CHECK((g == 1 || l.nvlink_GBps > 0) && (N == 1 || l.nic_GBps > 0), "tree all-reduce links");
    if (S <= 0 || g * N == 1) return 0.0;
    const double s = S / (2.0 * g * chunks);  // one chunk
    const int d = tree_depth(N);
    const double nvl_Bps = l.nvlink_GBps * kGB, nic_Bps = l.nic_GBps * kGB;
    const double latency = 2.0 * (g - 1) * l.nvlink_latency_s + 2.0 * d * l.nic_latency_s;
    const double chain_s = g > 1 ? 2.0 * (g - 1) / g * S / nvl_Bps : 0.0;
    const double tree_s = N > 1 ? tree_load_factor(N) * (S / g) / nic_Bps : 0.0;
    // Fill: only where the rail trees bind (the g chains of a node keep its NVLink busy).
    const double fill = N > 2 && tree_s >= chain_s ? (2.0 * d - 1) * s / nic_Bps : 0.0;
    return latency + std::max(chain_s, tree_s) + fill;
}

namespace {

// The group's links at the profile's efficiencies and latencies for `kind` and size S (the
// group's own latencies, when positive, override the profile's).
TwoLevelLinks profiled_links(CollectiveKind kind, double S, const CommGroup& group, const CalibrationProfile& profile) {
    const CollectiveEfficiency intra = profile.collective(kind, Span::Intranode, S);
    const CollectiveEfficiency inter = profile.collective(kind, Span::Internode, S);
    TwoLevelLinks l;
    l.gpus_per_node = std::min(group.gpus_per_node, group.size);
    l.nodes = group.nodes();
    MOESIM_CHECK(l.nodes * l.gpus_per_node == group.size, "group size must be nodes x gpus_per_node");
    l.nvlink_GBps = group.nvlink_GBps * intra.efficiency;
    l.nic_GBps = group.nic_GBps * inter.efficiency;
    l.nvlink_latency_s = group.nvlink_latency_s > 0 ? group.nvlink_latency_s : intra.latency_s;
    l.nic_latency_s = group.nic_latency_s > 0 ? group.nic_latency_s : inter.latency_s;
    return l;
}

}  // namespace

double tree_all_reduce_collective_time_s(double S, const CommGroup& group, const CalibrationProfile& profile) {
    MOESIM_CHECK(group.size >= 1 && group.gpus_per_node >= 1, "collective group");
    if (S <= 0 || group.size == 1) return 0.0;
    return hierarchical_tree_all_reduce_time_s(S, profiled_links(CollectiveKind::AllReduce, S, group, profile));
}

double collective_time_s(CollectiveKind kind, double S, const CommGroup& group, const CalibrationProfile& profile) {
    MOESIM_CHECK(kind != CollectiveKind::Invalid, "collective kind");
    MOESIM_CHECK(group.size >= 1 && group.gpus_per_node >= 1, "collective group");
    if (S <= 0 || group.size == 1) return 0.0;
    const TwoLevelLinks l = profiled_links(kind, S, group, profile);
    MOESIM_CHECK(l.nvlink_GBps > 0 && (l.nodes == 1 || l.nic_GBps > 0), "collective link bandwidths");
    switch (kind) {
        case CollectiveKind::AllReduce: return hierarchical_all_reduce_time_s(S, l);
        case CollectiveKind::AllGather: return hierarchical_all_gather_time_s(S, l);
        case CollectiveKind::ReduceScatter: return hierarchical_reduce_scatter_time_s(S, l);
        case CollectiveKind::AllToAll: return hierarchical_all_to_all_time_s(S, l);
        case CollectiveKind::PointToPoint:
            return l.nodes == 1 ? p2p_time_s(S, l.nvlink_GBps, l.nvlink_latency_s) : p2p_time_s(S, l.nic_GBps, l.nic_latency_s);
        default: break;
    }
    MOESIM_CHECK(false, "unreachable collective kind");
    return 0.0;
}

// ----- DeepEP -----------------------------------------------------------------------------

namespace {

// Probability that `part` of `total` experts receive none of k picks without replacement
// (total_experts > 0), or with replacement (fractions, when the expert count is unknown).
double p_none(double total, double part, int k, bool exact) {
    if (!exact) return std::pow(1.0 - part / total, k);
    double p = 1.0;
    for (int i = 0; i < k; ++i) {
        const double num = total - part - i;
        if (num <= 0) return 0.0;
        p *= num / (total - i);
    }
    return p;
}

}  // namespace

DeepEpTraffic deepep_traffic(const DeepEpShape& s, const EpGroup& grp, DeepEpOp op) {
    MOESIM_CHECK(grp.ep_size >= 1 && grp.gpus_per_node >= 1 && s.top_k >= 1 && s.hidden >= 1, "DeepEP shape");
    MOESIM_CHECK(op != DeepEpOp::Invalid, "DeepEP op");
    const int g = std::min(grp.gpus_per_node, grp.ep_size);
    MOESIM_CHECK(grp.ep_size % g == 0, "ep must be a multiple of gpus_per_node");
    const int N = grp.ep_size / g;
    const int M = s.max_nodes_per_token <= 0 ? N : std::min(s.max_nodes_per_token, N);
    const bool exact = s.num_experts > 0;
    // Expert counts; with an unknown count, work in fractions of the whole (total = 1).
    const double E = exact ? s.num_experts : 1.0;
    const double per_node = E / N, per_rank = E / grp.ep_size;
    const int k = s.top_k;

    DeepEpTraffic t;
    if (M < N) {
        t.k_nodes = std::min(M, k);
        t.local_nodes = t.k_nodes / N;
        t.ranks = static_cast<double>(M) * g * (1.0 - p_none(M * per_node, per_rank, k, exact));
    } else {
        const double none = p_none(E, per_node, k, exact);
        t.k_nodes = N * (1.0 - none);
        t.local_nodes = 1.0 - none;
        t.ranks = grp.ep_size * (1.0 - p_none(E, per_rank, k, exact));
    }
    t.bytes_per_copy = op == DeepEpOp::Dispatch && s.fp8_dispatch ? s.hidden + s.hidden / 128.0 * 4.0 : s.hidden * 2.0;
    t.counted_rdma_bytes = s.tokens * t.k_nodes * t.bytes_per_copy;
    t.rdma_bytes = N > 1 ? s.tokens * (t.k_nodes - t.local_nodes) * t.bytes_per_copy : 0.0;
    t.nvlink_bytes = s.tokens * t.ranks * t.bytes_per_copy;
    t.low_latency_bytes = s.tokens * k * t.bytes_per_copy;
    return t;
}

DeepEpTimes deepep_times(DeepEpOp op, DeepEpMode mode, const DeepEpShape& s, const EpGroup& grp,
                         const CalibrationProfile& profile) {
    MOESIM_CHECK(mode != DeepEpMode::Invalid, "DeepEP mode");
    MOESIM_CHECK(grp.nvlink_GBps > 0 && grp.nic_GBps > 0, "DeepEP group links");
    DeepEpTimes out;
    if (s.tokens <= 0 || grp.ep_size <= 1) return out;
    const DeepEpTraffic t = deepep_traffic(s, grp, op);
    const ProfileReference& ref = profile.reference();
    const double nvl_scale = grp.nvlink_GBps / ref.nvlink_GBps, nic_scale = grp.nic_GBps / ref.nic_GBps;
    const bool one_node = grp.ep_size <= grp.gpus_per_node;
    if (mode == DeepEpMode::Normal) {
        const DeepEpNormalRates& r = profile.deepep_normal_rates(op);
        if (one_node) {
            out.nvlink_s = t.nvlink_bytes / (r.intranode_nvlink_GBps * nvl_scale * kGB);
        } else {
            out.rdma_s = t.rdma_bytes / (r.internode_rdma_GBps * nic_scale * kGB);
            out.nvlink_s = t.nvlink_bytes / (r.internode_nvlink_GBps * nvl_scale * kGB);
        }
        out.time_s = std::max(out.rdma_s, out.nvlink_s);
        return out;
    }
    const DeepEpLowLatencyRates& r = profile.deepep_low_latency_rates(op);
    const double f = std::min(1.0, static_cast<double>(grp.gpus_per_node) / grp.ep_size);
    const double X = t.low_latency_bytes;
    const double nvlink = f * X / (r.nvlink_GBps * nvl_scale * kGB), rdma = (1 - f) * X / (r.rdma_GBps * nic_scale * kGB);
    out.time_s = r.latency_s + std::max(nvlink, rdma);
    out.rdma_s = r.latency_s + rdma;
    out.nvlink_s = r.latency_s + nvlink;
    return out;
}

double deepep_time_s(DeepEpOp op, DeepEpMode mode, const DeepEpShape& s, const EpGroup& grp,
                     const CalibrationProfile& profile) {
    return deepep_times(op, mode, s, grp, profile).time_s;
}

double deepep_dispatch_time_s(const DeepEpShape& s, const EpGroup& g, DeepEpMode mode, const CalibrationProfile& profile) {
    return deepep_time_s(DeepEpOp::Dispatch, mode, s, g, profile);
}

double deepep_combine_time_s(const DeepEpShape& s, const EpGroup& g, DeepEpMode mode, const CalibrationProfile& profile) {
    return deepep_time_s(DeepEpOp::Combine, mode, s, g, profile);
}

double deepep_normal_reported_GBps(DeepEpOp op, const DeepEpShape& s, const EpGroup& g, const CalibrationProfile& profile) {
    const double t_s = deepep_time_s(op, DeepEpMode::Normal, s, g, profile);
    const DeepEpTraffic tr = deepep_traffic(s, g, op);
    const bool one_node = g.ep_size <= g.gpus_per_node;
    return (one_node ? tr.nvlink_bytes : tr.counted_rdma_bytes) / t_s / kGB;
}

}  // namespace moesim::hw
