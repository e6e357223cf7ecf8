#pragma once
// Pure cost functions (STYLE.md 4): no globals, no engine. Each returns seconds for one GPU
// (or one member of a collective) and writes its formula here. Units: bytes, seconds, GB/s
// (1 GB = 1e9 B), TFLOPS (1e12 FLOP/s).
#include <string_view>
#include <vector>

#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/hw/types.h"

namespace moesim::hw {

// ---------------------------------------------------------------------------------------
// Compute and memory
// ---------------------------------------------------------------------------------------

// FLOPs of one GEMM shape: 2·m·n·k·count.
double gemm_flops(const GemmShape& s);
// HBM bytes of one GEMM shape (DeepGEMM's convention, PUBLISHED.md E):
// count·(m·k·b + n·k·b + m·n·2), b = dtype_bytes(dtype); output in BF16.
double gemm_bytes(const GemmShape& s, Dtype dtype);

// GEMM efficiency on `gpu`: the profile's table value (the nearest (N, K) series, along M)
// times the wave quantization that series' N does not show. A kernel with a fixed CTA tile
// bm × bn (gemm_library_tile) runs T = ceil(m/bm)·ceil(n/bn) tiles per launch (× groups in one
// grouped launch) in ceil(T/S) waves on S = gpu.sm_count SMs; the SMs the last wave leaves idle
// are lost, so it runs at u(T) = T / (ceil(T/S)·S) of full occupancy. The table measured
// u(T(M_s, N_s)) into its value, N_s the series' N and M_s the asked m clamped to the series'
// range (a value read past the series' ends was measured at its end), so another N runs at
//     eff_gemm = min(1, eff_table · u(T(M_s, n)) / u(T(M_s, N_s)))
// (unchanged on the series' own N). Only N is corrected: below a series' smallest M a library
// switches kernels (split-K, GEMV) that no table point shows, so M keeps the table's rule. E.g. the router's 4096 × 256 GEMM in 128 × 128 tiles is 64
// tiles on 132 SMs: u = 0.48, against 0.97 for the N = 2048 series, the half speed DeepSeek's
// trace shows for it. DeepGEMM picks its block sizes per shape to fill the last wave, so its
// points carry no correction (gemm_library_tile gives none).
double gemm_efficiency(const GemmShape& s, Dtype dtype, const GpuSpec& gpu, const CalibrationProfile& profile);
double grouped_gemm_efficiency(const GroupedGemmShape& s, Dtype dtype, const GpuSpec& gpu,
                               const CalibrationProfile& profile);
// The CTA tile (rows × columns of the output) a GEMM library runs every shape with, or
// {0, 0} when it chooses per shape. "cublas": 128 × 128, the tile of the sm90_xmma_gemm_bf16
// kernels in DeepSeek's H800 profiler trace; "deepgemm": per shape (DeepGEMM
// get_best_configs, deep_gemm/jit_kernels/gemm.py, minimises waves, then last-wave idling).
struct GemmTile {
    double rows = 0, cols = 0;
};
GemmTile gemm_library_tile(std::string_view kernel);
// u(T): the fraction of S SMs busy over the waves of T equal tiles.
double wave_utilization(double tiles, int sm_count);

// gemm_time_s = max( flops / (peak(dtype)·1e12 · eff_gemm(shape, dtype)),
//                    bytes / (hbm_GBps·1e9 · eff_mem(bytes)) )
// peak(dtype) = gpu.fp8_dense_TFLOPS or gpu.bf16_dense_TFLOPS; eff_gemm from the profile's
// GEMM table (per GEMM of the batch) by gemm_efficiency above; the memory roofline is a floor.
double gemm_time_s(const GemmShape& s, Dtype dtype, const GpuSpec& gpu, const CalibrationProfile& profile);

// Grouped GEMM (MoE experts in one launch), same form with the grouped-GEMM table:
// flops = 2·groups·m_per_group·n·k; bytes = groups·(m_per_group·k·b + n·k·b + m_per_group·n·2).
double grouped_gemm_flops(const GroupedGemmShape& s);
double grouped_gemm_bytes(const GroupedGemmShape& s, Dtype dtype);
double grouped_gemm_time_s(const GroupedGemmShape& s, Dtype dtype, const GpuSpec& gpu,
                           const CalibrationProfile& profile);

// memory_bound_time_s = bytes / (hbm_GBps·1e9 · eff_mem(bytes)).
double memory_bound_time_s(double bytes, const GpuSpec& gpu, const CalibrationProfile& profile);
// The same for one class of memory-bound kernel (kMemoryOps: "rotary", "elementwise") at the
// profile's efficiency for it (memory_op_efficiency: its own point, else the size table's).
double memory_op_time_s(const std::string& op, double bytes, const GpuSpec& gpu, const CalibrationProfile& profile);

// Attention FLOPs (FlashMLA / FlashAttention convention, PUBLISHED.md E):
//   pairs = q_len·kv_len                              (causal = false)
//         = q_len·kv_len − q_len·(q_len − 1)/2        (causal: the q_len new tokens are the
//                                                      last ones of the kv_len context)
//   forward  = 2·batch·heads_q·(qk_head_dim + v_head_dim)·pairs
//   backward = 2.5 × forward (dQ, dK, dV, and the recomputed scores: 5 matmuls vs 2).
double attention_flops(const AttentionShape& s);
// Decode bytes = batch·kv_len·kv_bytes_per_token + 2·batch·q_len·heads_q·(qk_head_dim + v_head_dim)
// (KV cache read + Q read + O write in BF16; FlashMLA's metric with kv_bytes_per_token = 576·2).
double attention_bytes(const AttentionShape& s);
// The length L of the causal self-attention with as many key positions per query as `s`
// (L(L + 1)/2 pairs over L queries): 2·pairs/q_len − 1. A chunk of q new tokens after a
// prefix of c is 2c + q; a causal L is L. The axis of a profile's by_seq_len curve: a tiled
// attention kernel pays a fixed cost per query tile (pipeline fill, the masked diagonal)
// and amortises it over the keys that tile visits, so its speed follows keys per query. For
// a batch priced as its mean sequence (serving's groups), pairs/q_len is the token-weighted
// mean, which is what that per-tile cost sees.
double equivalent_causal_seq_len(const AttentionShape& s);
// Prefill / Backward: flops / (bf16_dense_TFLOPS·1e12 · compute_eff(phase, equivalent_causal_seq_len)).
// Decode: max(flops / (bf16 peak · compute_eff(decode)), bytes / (hbm_GBps·1e9 · memory_eff(decode)))
// — FlashMLA's roofline (compute-bound when heads_q·q_len ≳ 128 on H800).
double attention_time_s(const AttentionShape& s, const GpuSpec& gpu, const CalibrationProfile& profile);

// ---------------------------------------------------------------------------------------
// Collectives: closed forms (α–β model), nccl-tests conventions.
// S = size_bytes as nccl-tests counts it: all-reduce S = the buffer on each rank;
// all-gather S = the gathered output (each rank contributes S/n); reduce-scatter S = the
// input on each rank (each keeps S/n); all-to-all S = each rank's send buffer (S/n to each
// peer, itself included); p2p S = bytes sent. algbw = S / t; busbw = algbw · factor with
// factor = 2(n−1)/n (all-reduce), (n−1)/n (all-gather, reduce-scatter, all-to-all), 1 (p2p),
// so that busbw compares with the link bandwidth B whatever n is.
// B (GB/s) is an achieved per-GPU per-direction bandwidth; α (s) a per-step latency.
// ---------------------------------------------------------------------------------------

// Ring all-reduce: 2(n−1)·α + 2(n−1)/n · S / B.
double ring_all_reduce_time_s(double size_bytes, int n, double B_GBps, double latency_s);
// Ring all-gather / reduce-scatter: (n−1)·α + (n−1)/n · S / B.
double ring_all_gather_time_s(double size_bytes, int n, double B_GBps, double latency_s);
double ring_reduce_scatter_time_s(double size_bytes, int n, double B_GBps, double latency_s);
// Pairwise all-to-all on a flat link: (n−1)·α + (n−1)/n · S / B.
double all_to_all_time_s(double size_bytes, int n, double B_GBps, double latency_s);
// Point-to-point: α + S / B.
double p2p_time_s(double size_bytes, double B_GBps, double latency_s);

// Two-level variants over g = gpus_per_node GPUs in each of N = nodes nodes (n = N·g), one
// NIC path per GPU (rail-optimized): intranode steps at B_nvl (α_nvl), internode at B_nic (α_nic).
//  all-reduce:     RS intranode (g−1)/g·S/B_nvl + AR internode of S/g: 2(N−1)/N·(S/g)/B_nic
//                  + AG intranode (g−1)/g·S/B_nvl; latency 2(g−1)·α_nvl + 2(N−1)·α_nic
//  all-gather:     AG internode of S/g: (N−1)/N·(S/g)/B_nic + AG intranode (g−1)/g·S/B_nvl;
//                  latency (N−1)·α_nic + (g−1)·α_nvl
//  reduce-scatter: the mirror of all-gather (same time)
//  all-to-all:     the intranode share (g−1)/n·S over NVLink and the internode share
//                  (n−g)/n·S over the NIC run concurrently:
//                  max((g−1)/n·S/B_nvl, (n−g)/n·S/B_nic) + (g−1)·α_nvl + (n−g)·α_nic
// With N = 1 each reduces to its flat NVLink form; with g = 1 to its flat NIC form.
struct TwoLevelLinks {
    int gpus_per_node = 0;
    int nodes = 0;
    double nvlink_GBps = 0, nic_GBps = 0;
    double nvlink_latency_s = 0, nic_latency_s = 0;
};
double hierarchical_all_reduce_time_s(double size_bytes, const TwoLevelLinks& l);
double hierarchical_all_gather_time_s(double size_bytes, const TwoLevelLinks& l);
double hierarchical_reduce_scatter_time_s(double size_bytes, const TwoLevelLinks& l);
double hierarchical_all_to_all_time_s(double size_bytes, const TwoLevelLinks& l);

// Tree all-reduce: NCCL's double binary tree (NCCL 2.4+; NVIDIA's blog "Massively Scale
// Your Deep Learning Training with NCCL 2.4", 2019, after Sanders, Speck & Träff's two-tree
// algorithms; NVIDIA/nccl#545, #372, #919). Two binary trees over the n ranks, complementary
// (a rank inner in one is a leaf in the other), each carries half the buffer S: reduced up to
// the root, broadcast down, pipelined in C = kTreeChunks chunks of s = S/(2C) per tree.
//  * Shape (ncclGetBtree / ncclGetDtree): tree 0 puts rank r under (r^b)|(b<<1), or r^b
//    when that is ≥ n, b = r's lowest set bit; rank 0 is the root with one child. Tree 1
//    mirrors it (r → n−1−r) when n is even, shifts it by one rank when n is odd. Depth of
//    each: d = ⌈log2 n⌉ edges.
//  * Traffic: a rank sends, per tree, s·C = S/2 up unless it is the root, and S/2 down to
//    each child. An inner rank of one tree (2 children) that is a leaf of the other sends
//    S/2 + 2·S/2 + S/2 = 2S and receives as much ("2*S, except for the root", NVIDIA/nccl
//    #457; NCCL's tuning takes tree algbw = busbw/2). L(n) = the largest per-rank load in
//    units of S, from the shape: 1 (n = 2: each rank is one tree's root), 1.5 (n = 3), 2
//    (n ≥ 4). Bandwidth term L·S/B, against the ring's 2(n−1)/n·S/B: for n ≥ 4 the tree's
//    busbw = 2(n−1)/n·S/t → (n−1)/n·B stays below the ring's B.
//  * Latency: a chunk climbs d edges and comes down d: 2d·α, against the ring's 2(n−1)·α,
//    so the tree wins on small buffers from n = 4 on.
//  * Pipeline fill: the links are busy from the start (every rank is a leaf of one tree),
//    but the last chunk still has 2d−1 hops to make after the bulk: (2d−1)·s/B. n = 2 has no
//    fill (both links busy to the end). The estimate is rough (with C = 8 the flows on the
//    engine were 3–7% off at n = 4, 5, 16, 32: odd trees leave fewer links idle, deep trees
//    fill more slowly), so C = 64, as NCCL splits large buffers into many chunks: the fill is
//    then small, and flows and closed form agree within 1.2% at 1 GB for n = 2…32 on one GPU
//    per node and for 1, 2, 4, 8 nodes × 8 GPUs (tests/network/tree_collectives_test.cpp).
//   t = 2d·α + L(n)·S/B + (2d−1)·S/(2C·B)          (n ≥ 3; n = 2: 2α + S/B)
// The flows overlap latency with the fill, so on small buffers they come in below this
// (by 7–13% at 1 MB for n = 4…16).
constexpr int kTreeChunks = 64;
struct DoubleBinaryTree {
    std::vector<int> parent[2];  // parent[t][r], −1 at the root
};
DoubleBinaryTree double_binary_tree(int n);
int tree_depth(int n);                 // ⌈log2 n⌉; 0 for n = 1
double tree_load_factor(int n);        // L(n): the busiest rank's bytes each way, in units of S
double tree_all_reduce_time_s(double size_bytes, int n, double B_GBps, double latency_s,
                              int chunks = kTreeChunks);
// Two-level (as NCCL on NVLink nodes with one NIC per GPU): for each rail i, the rail-i GPUs
// of the N nodes form a double binary tree carrying S/g; inside every node the other g−1
// GPUs form a chain below the rail GPU over NVLink (NVIDIA/nccl#919: "the tree is only
// between nodes; within a node it is just a chain"). A GPU is in g chains, each of whose
// g−1 edges carries S/g up and S/g down: 2(g−1)/g·S each way on NVLink, concurrently with
// its rail's tree, L(N)·(S/g) on the NIC. With s = S/(2gC):
//   t = 2(g−1)·α_nvl + 2d(N)·α_nic + max(2(g−1)/g·S/B_nvl, L(N)·(S/g)/B_nic) + fill
// fill = (2d(N)−1)·s/B_nic when the trees bind (N ≥ 3), 0 when the chains do: a GPU sits at a
// different place in each of the g chains, so its NVLink stays busy to the end (the flows
// agree within 0.5% on 1, 2 and 4 H800 nodes of 8, where NVLink binds; on 8 nodes the
// flows are 7% slower, not yet explained).
// With g = 1 this is the flat form over the NIC.
double hierarchical_tree_all_reduce_time_s(double size_bytes, const TwoLevelLinks& l,
                                           int chunks = kTreeChunks);

// A collective on `group` with the profile's efficiencies and latencies:
// B_nvl = group.nvlink_GBps · eff(kind, intranode, S), B_nic = group.nic_GBps · eff(kind, internode, S);
// α = the profile's latency for the span (group.*_latency_s when positive, overriding it).
// One node: the flat ring / pairwise form over NVLink. Several nodes: the two-level form
// (p2p: α_nic + S / B_nic).
double collective_time_s(CollectiveKind kind, double size_bytes, const CommGroup& group,
                         const CalibrationProfile& profile);
// Tree all-reduce on `group` with the profile's all-reduce efficiencies and latencies (as
// collective_time_s): hierarchical_tree_all_reduce_time_s.
double tree_all_reduce_collective_time_s(double size_bytes, const CommGroup& group,
                                         const CalibrationProfile& profile);

// ---------------------------------------------------------------------------------------
// DeepEP-style expert-parallel dispatch / combine
// ---------------------------------------------------------------------------------------

// Expected traffic of one GPU's tokens under node-limited routing, with N = ep/g nodes,
// g = min(gpus_per_node, ep), E = num_experts, e = E/ep experts per GPU,
// M = min(max_nodes_per_token, N) (0 = N), and P(total, part) = the probability that `part`
// of `total` experts get none of the top_k picks = Π_{i<k} (total−part−i)/(total−i)
// (with E = 0: (1 − part/total)^k).
//  * limited (M < N): the M chosen nodes each receive ≥ 1 expert (their group score comes
//    from their best experts): k_nodes = min(M, k); local = k_nodes / N;
//    ranks = M·g·(1 − P(M·E/N, e)).
//  * unlimited (M = N): k_nodes = N·(1 − P(E, E/N)); local = 1 − P(E, E/N);
//    ranks = ep·(1 − P(E, e)).
// Bytes per token copy b: dispatch (FP8 + one FP32 scale per 128) hidden + hidden/128·4, or
// hidden·2 when the tokens go in BF16 (s.fp8_dispatch false: BF16 training); combine (BF16)
// hidden·2.
//  counted_rdma_bytes = tokens·k_nodes·b   (DeepEP's metric: every target node, local included)
//  rdma_bytes         = tokens·(k_nodes − local)·b   (what crosses the NIC: each token at most
//                                                     once per remote node)
//  nvlink_bytes       = tokens·ranks·b     (NVLink delivery/forwarding to the target GPUs)
//  low_latency_bytes  = tokens·top_k·b     (LL kernels send one copy per expert)
struct DeepEpTraffic {
    double k_nodes = 0;
    double local_nodes = 0;
    double ranks = 0;
    double bytes_per_copy = 0;
    double counted_rdma_bytes = 0;
    double rdma_bytes = 0;
    double nvlink_bytes = 0;
    double low_latency_bytes = 0;
};
DeepEpTraffic deepep_traffic(const DeepEpShape& s, const EpGroup& g, DeepEpOp op);

// Time of one dispatch or combine of `s.tokens` tokens per GPU.
// Link rates are the profile's fitted rates scaled by the group's links over the profile's
// reference links: r_nvl = rate·group.nvlink_GBps/ref.nvlink_GBps, r_rdma = rate·group.nic_GBps/ref.nic_GBps.
//  Normal, one node:     nvlink_bytes / r_nvl(intranode)
//  Normal, several:      max(rdma_bytes / r_rdma, nvlink_bytes / r_nvl(internode))
//  LowLatency:           latency + max(f·X / r_nvl, (1−f)·X / r_rdma), X = low_latency_bytes,
//                        f = min(1, g/ep)
double deepep_time_s(DeepEpOp op, DeepEpMode mode, const DeepEpShape& s, const EpGroup& g,
                     const CalibrationProfile& profile);
// The same time with each link class's term alone (as if the other class were free): the
// fixed latency plus the RDMA term, the fixed latency plus the NVLink term; time_s is the
// latency plus the larger term (deepep_time_s). A caller whose ranks carry unequal loads per
// link class (training's MoE imbalance) scales each term by its own factor.
struct DeepEpTimes {
    double time_s = 0, rdma_s = 0, nvlink_s = 0;
};
DeepEpTimes deepep_times(DeepEpOp op, DeepEpMode mode, const DeepEpShape& s, const EpGroup& g,
                         const CalibrationProfile& profile);
double deepep_dispatch_time_s(const DeepEpShape& s, const EpGroup& g, DeepEpMode mode,
                              const CalibrationProfile& profile);
double deepep_combine_time_s(const DeepEpShape& s, const EpGroup& g, DeepEpMode mode,
                             const CalibrationProfile& profile);
// DeepEP's reported "bottleneck bandwidth" of the normal kernels for the modelled time:
// nvlink_bytes / t (one node) or counted_rdma_bytes / t (several nodes), in GB/s.
double deepep_normal_reported_GBps(DeepEpOp op, const DeepEpShape& s, const EpGroup& g,
                                   const CalibrationProfile& profile);

}  // namespace moesim::hw
