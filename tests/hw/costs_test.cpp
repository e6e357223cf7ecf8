// Cost functions against their closed forms, and held-out published kernel measurements.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "moesim/hw/costs.h"

using namespace moesim::hw;
using nlohmann::json;

namespace {
const GpuSpec& h800() {
    static const GpuSpec g = load_gpu("H800", "", json());
    return g;
}
const CalibrationProfile& profile() { return default_profile(); }
}  // namespace

TEST_CASE("GEMM time at a known efficiency", "[hw]") {
    // DeepGEMM o_proj shape: 1520 TFLOPS measured -> 2·4096·7168·16384 / 1520e12 = 633 µs (PUBLISHED.md E).
    const GemmShape s{4096, 7168, 16384};
    CHECK(gemm_flops(s) == 2.0 * 4096 * 7168 * 16384);
    CHECK(gemm_time_s(s, Dtype::FP8, h800(), profile()) == Approx(gemm_flops(s) / 1520e12).epsilon(1e-5));
    CHECK(gemm_time_s(s, Dtype::FP8, h800(), profile()) == Approx(633e-6).epsilon(1e-3));
    // `count` identical GEMMs take `count` times as long.
    const GemmShape batch{4096, 7168, 16384, 3};
    CHECK(gemm_time_s(batch, Dtype::FP8, h800(), profile()) == Approx(3 * gemm_time_s(s, Dtype::FP8, h800(), profile())));
    // Bytes: DeepGEMM's (M·K + N·K + 2·M·N) for FP8 inputs.
    CHECK(gemm_bytes(s, Dtype::FP8) == 4096.0 * 16384 + 7168.0 * 16384 + 2.0 * 4096 * 7168);
    CHECK(gemm_bytes(s, Dtype::BF16) == 2 * 4096.0 * 16384 + 2 * 7168.0 * 16384 + 2.0 * 4096 * 7168);
}

TEST_CASE("every published GEMM point is reproduced (the HBM floor binds at none)", "[hw]") {
    for (const auto& g : profile().gemm_points()) {
        const GemmShape s{g.m, g.n, g.k};
        const double tflops = gemm_flops(s) / gemm_time_s(s, g.dtype, h800(), profile()) / 1e12;
        INFO(g.source);
        CHECK(tflops == Approx(g.efficiency * dense_peak_TFLOPS(h800(), g.dtype)).epsilon(1e-6));
    }
}

TEST_CASE("the HBM roofline is a floor under GEMM time", "[hw]") {
    // A BF16 GEMV-like shape: 1 × 16384 × 16384 is all weight traffic.
    const GemmShape s{1, 16384, 16384};
    const double floor_s = gemm_bytes(s, Dtype::BF16) / (3350e9 * 3000.0 / 3350);
    CHECK(gemm_time_s(s, Dtype::BF16, h800(), profile()) == Approx(floor_s).epsilon(1e-5));
    CHECK(memory_bound_time_s(3e9, h800(), profile()) == Approx(1e-3).epsilon(1e-5));  // 3 GB at 3000 GB/s
    CHECK(memory_bound_time_s(0, h800(), profile()) == 0);
}

TEST_CASE("held-out dense GEMM shape N=7168 K=2048 is predicted within 8%", "[hw]") {
    // Nearest published (N, K) in log space is 24576 × 1536 (q_b); its efficiency along M
    // predicts the expert down-projection shape that the profile does not contain.
    const auto& held = profile().held_out().gemm;
    REQUIRE(held.size() == 3);
    for (const auto& g : held) {
        const GemmShape s{g.m, g.n, g.k};
        const double tflops = gemm_flops(s) / gemm_time_s(s, g.dtype, h800(), profile()) / 1e12;
        INFO("M=" << g.m << " predicted " << tflops << " published " << g.TFLOPS);
        // Model-error band: the model against a published measurement (PUBLISHED.md E).
        CHECK(tflops == Approx(g.TFLOPS).epsilon(0.08));
    }
}

TEST_CASE("grouped GEMM time and the held-out masked 2x512 point", "[hw]") {
    const GroupedGemmShape s{4, 8192, 4096, 7168};
    CHECK(grouped_gemm_flops(s) == 2.0 * 4 * 8192 * 4096 * 7168);
    CHECK(grouped_gemm_time_s(s, Dtype::FP8, h800(), profile()) == Approx(grouped_gemm_flops(s) / 1346e12).epsilon(1e-5));
    CHECK(grouped_gemm_bytes(s, Dtype::FP8) == 4 * (8192.0 * 7168 + 4096.0 * 7168 + 2.0 * 8192 * 4096));
    const auto& held = profile().held_out().grouped_gemm;
    REQUIRE(held.size() == 1);
    const auto& g = held.front();
    const GroupedGemmShape hs{g.groups, g.m_per_group, g.n, g.k};
    const double tflops = grouped_gemm_flops(hs) / grouped_gemm_time_s(hs, g.dtype, h800(), profile()) / 1e12;
    INFO("predicted " << tflops << " published " << g.TFLOPS);
    // Model-error band: the model against a published measurement (PUBLISHED.md E).
    CHECK(tflops == Approx(g.TFLOPS).epsilon(0.08));
}

TEST_CASE("wave quantization: a cuBLAS GEMM of another N than its series pays for idle SMs", "[hw]") {
    CHECK(wave_utilization(132, 132) == 1.0);
    CHECK(wave_utilization(64, 132) == Approx(64.0 / 132));
    CHECK(wave_utilization(133, 132) == Approx(133.0 / 264));
    CHECK(gemm_library_tile("cublas").rows == 128);
    CHECK(gemm_library_tile("deepgemm").rows == 0);  // chooses its blocks per shape

    // The router gate of DeepSeek's trace: 4096 x 256 x 7168 in BF16. Its nearest series is
    // the one point M = 4224, N = 2048, K = 8192: 33 x 16 = 528 tiles, 4 full waves; at that M
    // the router's N gives 33 x 2 = 66 tiles, half of one. So it runs at half the series' speed.
    const GemmShape router{4096, 256, 7168};
    const auto at = profile().gemm_lookup(router, Dtype::BF16);
    REQUIRE(at.series_n == 2048);
    REQUIRE(at.series_m == 4224);
    const double expected = at.efficiency * (66.0 / 132) / (528.0 / 528);
    CHECK(gemm_efficiency(router, Dtype::BF16, h800(), profile()) == Approx(expected).epsilon(1e-12));
    CHECK(gemm_time_s(router, Dtype::BF16, h800(), profile()) ==
          Approx(gemm_flops(router) / (989e12 * expected)).epsilon(1e-9));
    // On the series' own N nothing changes (the table measured its waves).
    const GemmShape mamf{2048, 2048, 13312};
    CHECK(gemm_efficiency(mamf, Dtype::BF16, h800(), profile()) == profile().gemm_efficiency(mamf, Dtype::BF16));
    // An N that fills the last wave better than the series did runs faster: at M = 2048 the
    // N = 2048 series is 256 tiles (0.970 of 2 waves), N = 4224 is 528 (4 full waves).
    const GemmShape filled{2048, 4224, 13312};
    REQUIRE(profile().gemm_lookup(filled, Dtype::BF16).series_n == 2048);
    CHECK(gemm_efficiency(filled, Dtype::BF16, h800(), profile()) ==
          Approx(std::min(1.0, profile().gemm_efficiency(filled, Dtype::BF16) * 264.0 / 256)).epsilon(1e-12));
    // The output head's N = 129,280 is 253 waves: within 0.2% of the full-wave series.
    const GemmShape head{4096, 129280, 7168};
    CHECK(gemm_efficiency(head, Dtype::BF16, h800(), profile()) ==
          Approx(profile().gemm_efficiency(head, Dtype::BF16)).epsilon(0.002));
    // FP8 through DeepGEMM: the table's value at any N.
    const GemmShape fp8{4096, 256, 7168};
    CHECK(gemm_efficiency(fp8, Dtype::FP8, h800(), profile()) == profile().gemm_efficiency(fp8, Dtype::FP8));
    // More SMs for the same 64 tiles: lower utilization (the wave model reads the GPU's SMs).
    GpuSpec wide = h800();
    wide.sm_count = 256;
    CHECK(gemm_efficiency(router, Dtype::BF16, wide, profile()) < gemm_efficiency(router, Dtype::BF16, h800(), profile()));
}

TEST_CASE("BF16 GEMM on H100 at the MAMF shape", "[hw]") {
    const GpuSpec h100 = load_gpu("H100", "", json());
    const GemmShape s{2048, 2048, 13312};
    const double tflops = gemm_flops(s) / gemm_time_s(s, Dtype::BF16, h100, profile()) / 1e12;
    // Efficiency 794.5/989 applied to H100's 989.4 peak.
    CHECK(tflops == Approx(794.5 / 989 * 989.4).epsilon(1e-5));
}

TEST_CASE("attention: FLOPs, bytes and the decode roofline", "[hw]") {
    // FlashMLA benchmark shape: b=128, s_k=4096, h_q=128, s_q=1, d_k 576, d_v 512.
    AttentionShape d{AttentionPhase::Decode, 128, 1, 4096, 128, 576, 512, 576 * 2, false};
    CHECK(attention_flops(d) == 2.0 * 1 * (128 * 4096) * 128 * (576 + 512));
    CHECK(attention_bytes(d) == 2.0 * (128.0 * 4096 * 576 + 128.0 * 1 * 128 * (576 + 512)));
    const double compute_s = attention_flops(d) / 660e12;
    const double memory_s = attention_bytes(d) / 3000e9;
    CHECK(attention_time_s(d, h800(), profile()) == Approx(std::max(compute_s, memory_s)).epsilon(1e-5));
    d.heads_q = 16;  // TP8: memory-bound
    CHECK(attention_time_s(d, h800(), profile()) == Approx(attention_bytes(d) / 3000e9).epsilon(1e-5));

    // Causal prefill: q_len = kv_len = L gives L(L+1)/2 pairs.
    AttentionShape p{AttentionPhase::Prefill, 2, 4096, 4096, 128, 192, 128, 0, true};
    CHECK(attention_flops(p) == Approx(2.0 * 2 * 128 * (192 + 128) * (4096.0 * 4097 / 2)));
    CHECK(attention_time_s(p, h800(), profile()) == Approx(attention_flops(p) / 579e12).epsilon(1e-5));  // FA3 forward, causal
    // Backward: 2.5x the forward FLOPs at FA3's backward rate.
    AttentionShape b = p;
    b.phase = AttentionPhase::Backward;
    CHECK(attention_time_s(b, h800(), profile()) == Approx(2.5 * attention_flops(p) / 542e12).epsilon(1e-5));
    // Chunked prefill: 1024 new tokens after 3072 cached ones.
    AttentionShape c = p;
    c.q_len = 1024;
    CHECK(attention_flops(c) == Approx(2.0 * 2 * 128 * 320 * (1024.0 * 4096 - 1024.0 * 1023 / 2)));
}

TEST_CASE("prefill attention runs at the profile's speed for its keys per query", "[hw]") {
    // A causal L is L on the curve's axis; a chunk of q after a prefix c has as many keys per
    // query as a causal 2c + q.
    AttentionShape p{AttentionPhase::Prefill, 1, 4096, 4096, 128, 192, 128, 0, true};
    CHECK(equivalent_causal_seq_len(p) == Approx(4096).epsilon(1e-12));
    AttentionShape c = p;
    c.q_len = 1024;  // after 3072 cached
    CHECK(equivalent_causal_seq_len(c) == Approx(2 * 3072 + 1024).epsilon(1e-12));
    AttentionShape n = p;
    n.causal = false;  // every query sees all 4096 keys: a causal 8191
    CHECK(equivalent_causal_seq_len(n) == Approx(8191).epsilon(1e-12));

    const AttentionPoint& pre = profile().attention(AttentionPhase::Prefill);
    auto at_rate = [&](const AttentionShape& s) {
        return attention_flops(s) / (h800().bf16_dense_TFLOPS * 1e12 * pre.compute_efficiency_at(equivalent_causal_seq_len(s)));
    };
    // FA3's causal row: 512 tokens run at 292 TFLOPS, half of 4096's 579 (tile overhead).
    AttentionShape s512 = p;
    s512.q_len = s512.kv_len = 512;
    CHECK(attention_time_s(s512, h800(), profile()) == Approx(attention_flops(s512) / 292e12).epsilon(1e-5));
    CHECK(attention_time_s(p, h800(), profile()) == Approx(attention_flops(p) / 579e12).epsilon(1e-5));
    CHECK(attention_time_s(c, h800(), profile()) == Approx(at_rate(c)).epsilon(1e-12));
    // Time per FLOP falls with length: the 7168-key chunk is cheaper per FLOP than a causal 4096.
    CHECK(attention_time_s(c, h800(), profile()) / attention_flops(c) <
          attention_time_s(p, h800(), profile()) / attention_flops(p));
    // Decode stays FlashMLA's roofline, whatever the prefill curve.
    AttentionShape d{AttentionPhase::Decode, 128, 1, 512, 128, 576, 512, 576 * 2, true};
    CHECK(attention_time_s(d, h800(), profile()) ==
          Approx(std::max(attention_flops(d) / 660e12, attention_bytes(d) / 3000e9)).epsilon(1e-5));
}

TEST_CASE("ring and pairwise collectives: closed forms", "[hw]") {
    const double S = 1e9, B = 100, a = 1e-6;
    CHECK(ring_all_reduce_time_s(S, 8, B, 0) == Approx(2.0 * 7 / 8 * S / 100e9));
    CHECK(ring_all_reduce_time_s(S, 8, B, a) == Approx(2.0 * 7 / 8 * S / 100e9 + 14 * a));
    CHECK(ring_all_gather_time_s(S, 8, B, a) == Approx(7.0 / 8 * S / 100e9 + 7 * a));
    CHECK(ring_reduce_scatter_time_s(S, 8, B, a) == Approx(7.0 / 8 * S / 100e9 + 7 * a));
    CHECK(all_to_all_time_s(S, 16, B, 0) == Approx(15.0 / 16 * S / 100e9));
    CHECK(p2p_time_s(S, B, a) == Approx(S / 100e9 + a));
    CHECK(ring_all_reduce_time_s(S, 1, B, a) == 0);
    // nccl-tests: busbw = algbw · 2(n−1)/n equals the link bandwidth B for any n.
    for (int n : {2, 8, 64}) {
        const double algbw = S / ring_all_reduce_time_s(S, n, B, 0) / 1e9;
        CHECK(algbw * 2.0 * (n - 1) / n == Approx(B));
    }
}

TEST_CASE("two-level collectives", "[hw]") {
    const double S = 1e9;
    TwoLevelLinks l{8, 4, 160, 40, 0, 0};
    CHECK(hierarchical_all_reduce_time_s(S, l) == Approx(2 * (7.0 / 8 * S / 160e9) + 2.0 * 3 / 4 * (S / 8) / 40e9));
    CHECK(hierarchical_all_gather_time_s(S, l) == Approx(3.0 / 4 * (S / 8) / 40e9 + 7.0 / 8 * S / 160e9));
    CHECK(hierarchical_reduce_scatter_time_s(S, l) == Approx(hierarchical_all_gather_time_s(S, l)));
    CHECK(hierarchical_all_to_all_time_s(S, l) == Approx(std::max(7.0 / 32 * S / 160e9, 24.0 / 32 * S / 40e9)));
    // One node: the flat NVLink ring. One GPU per node: the flat NIC ring.
    TwoLevelLinks one_node{8, 1, 160, 40, 2e-6, 3e-6};
    CHECK(hierarchical_all_reduce_time_s(S, one_node) == Approx(ring_all_reduce_time_s(S, 8, 160, 2e-6)));
    TwoLevelLinks one_gpu{1, 16, 160, 40, 2e-6, 3e-6};
    CHECK(hierarchical_all_reduce_time_s(S, one_gpu) == Approx(ring_all_reduce_time_s(S, 16, 40, 3e-6)));
    CHECK(hierarchical_all_gather_time_s(S, one_gpu) == Approx(ring_all_gather_time_s(S, 16, 40, 3e-6)));
    CHECK(hierarchical_all_to_all_time_s(S, one_gpu) == Approx(all_to_all_time_s(S, 16, 40, 3e-6)));
}

TEST_CASE("collective_time_s applies the profile's efficiency and latency", "[hw]") {
    const double S = 256e6;
    CommGroup node{8, 8, 200, 50, 0, 0};
    // 0.8 of 200 GB/s NVLink, 3.33 µs per step (PUBLISHED.md B).
    CHECK(collective_time_s(CollectiveKind::AllReduce, S, node, profile()) ==
          Approx(ring_all_reduce_time_s(S, 8, 160, 3.33e-6)));
    CommGroup dp{64, 8, 200, 50, 0, 0};
    TwoLevelLinks l{8, 8, 160, 40, 3.33e-6, 3.7e-6};
    CHECK(collective_time_s(CollectiveKind::AllReduce, S, dp, profile()) == Approx(hierarchical_all_reduce_time_s(S, l)));
    CHECK(collective_time_s(CollectiveKind::ReduceScatter, S, dp, profile()) ==
          Approx(hierarchical_reduce_scatter_time_s(S, l)));
    // All-to-all has its own series: NCCL's 370 of 450 GB/s on NVLink, 46 of 50 on a NIC
    // (PUBLISHED.md E, "NCCL all-to-all").
    TwoLevelLinks a2a{8, 8, 200 * 370.0 / 450, 46, 3.33e-6, 3.7e-6};
    CHECK(collective_time_s(CollectiveKind::AllToAll, S, dp, profile()) ==
          Approx(hierarchical_all_to_all_time_s(S, a2a)).epsilon(1e-5));
    // Pipeline send across nodes.
    CommGroup pp{2, 1, 200, 50, 0, 0};
    CHECK(collective_time_s(CollectiveKind::PointToPoint, S, pp, profile()) == Approx(p2p_time_s(S, 40, 3.7e-6)));
    // A latency given with the group overrides the profile's.
    CommGroup fixed{8, 8, 200, 50, 1e-6, 0};
    CHECK(collective_time_s(CollectiveKind::AllGather, S, fixed, profile()) == Approx(ring_all_gather_time_s(S, 8, 160, 1e-6)));
}

TEST_CASE("double binary tree: NCCL's shape, depth and per-rank load", "[hw]") {
    // n = 8 (NCCL's ncclGetBtree): 0 → 4 → {2, 6} → {1, 3, 5, 7}; tree 1 mirrors it.
    const DoubleBinaryTree t = double_binary_tree(8);
    CHECK(t.parent[0] == std::vector<int>{-1, 2, 4, 2, 0, 6, 4, 6});
    CHECK(t.parent[1] == std::vector<int>{1, 3, 1, 7, 5, 3, 5, -1});
    // n = 5 (odd): tree 1 is tree 0 shifted by one rank (r → r + 1 mod 5).
    const DoubleBinaryTree odd = double_binary_tree(5);
    CHECK(odd.parent[0] == std::vector<int>{-1, 2, 4, 2, 0});
    CHECK(odd.parent[1] == std::vector<int>{1, -1, 3, 0, 3});
    for (int n = 1; n <= 64; ++n) {
        INFO("n = " << n);
        const DoubleBinaryTree d = double_binary_tree(n);
        for (const auto& parent : d.parent) {
            int depth = 0, roots = 0;
            for (int r = 0; r < n; ++r) {
                int k = 0;
                for (int p = parent[static_cast<std::size_t>(r)]; p >= 0; p = parent[static_cast<std::size_t>(p)]) REQUIRE(++k <= n);
                depth = std::max(depth, k);
                roots += parent[static_cast<std::size_t>(r)] < 0;
            }
            CHECK(roots == 1);
            CHECK(depth == tree_depth(n));
        }
        // 2S each way for the busiest rank from n = 4 on.
        CHECK(tree_load_factor(n) == (n == 1 ? 0.0 : n == 2 ? 1.0 : n == 3 ? 1.5 : 2.0));
    }
    CHECK(tree_depth(8) == 3);
    CHECK(tree_depth(9) == 4);
}

TEST_CASE("tree all-reduce: closed form", "[hw]") {
    const double S = 1e9, B = 40, a = 3e-6;
    const double s = S / (2 * kTreeChunks);  // one chunk of one tree
    // n = 8: 2·3·α + 2S/B + (2·3 − 1)·s/B.
    CHECK(tree_all_reduce_time_s(S, 8, B, a) == Approx(6 * a + 2 * S / 40e9 + 5 * s / 40e9));
    // with 8 chunks: 18 µs + 50 ms + 5·62.5 MB/40 GB/s = 57.8305 ms
    CHECK(tree_all_reduce_time_s(S, 8, B, a, 8) == Approx(0.0578305));
    // n = 2: each rank is one tree's root: S/B, no fill.
    CHECK(tree_all_reduce_time_s(S, 2, B, a) == Approx(2 * a + S / 40e9));
    // n = 3: 1.5 S/B, d = 2.
    CHECK(tree_all_reduce_time_s(S, 3, B, a) == Approx(4 * a + 1.5 * S / 40e9 + 3 * s / 40e9));
    CHECK(tree_all_reduce_time_s(S, 1, B, a) == 0);
    CHECK(tree_all_reduce_time_s(S, 8, B, a, 16) == Approx(6 * a + 2 * S / 40e9 + 5 * (S / 32) / 40e9));
    // Two-level, 4 nodes × 8 GPUs: NVLink chains bind (2·7/8·S/160 > 2·(S/8)/40), no fill.
    TwoLevelLinks l{8, 4, 160, 40, 2e-6, 3e-6};
    CHECK(hierarchical_tree_all_reduce_time_s(S, l) == Approx(14 * 2e-6 + 4 * 3e-6 + 2.0 * 7 / 8 * S / 160e9));
    // With a fast NVLink the rail trees bind: L·(S/g)/B_nic + (2d − 1)·S/(2gC)/B_nic.
    TwoLevelLinks fast{8, 4, 1000, 40, 0, 0};
    CHECK(hierarchical_tree_all_reduce_time_s(S, fast) == Approx(2 * (S / 8) / 40e9 + 3 * (s / 8) / 40e9));
    // g = 1 is the flat tree.
    TwoLevelLinks flat{1, 8, 160, 40, 0, 3e-6};
    CHECK(hierarchical_tree_all_reduce_time_s(S, flat) == Approx(tree_all_reduce_time_s(S, 8, 40, 3e-6)));
}

TEST_CASE("tree against ring: the tree wins on latency, the ring on busbw", "[hw]") {
    // 32 ranks, 40 GB/s, 3 µs: at 64 KB the ring's 62 steps cost 186 µs, the tree's 10 cost 30 µs.
    const double a = 3e-6, B = 40;
    const int n = 32;
    CHECK(tree_all_reduce_time_s(64e3, n, B, a) < 0.25 * ring_all_reduce_time_s(64e3, n, B, a));
    for (int m : {4, 8, 16, 64}) CHECK(tree_all_reduce_time_s(64e3, m, B, a) < ring_all_reduce_time_s(64e3, m, B, a));
    // At 4 GB: busbw = 2(n−1)/n·S/t: the ring's reaches B, the tree's stays below (n−1)/n·B.
    const double S = 4e9, factor = 2.0 * (n - 1) / n;
    const double ring_busbw = factor * S / ring_all_reduce_time_s(S, n, B, a) / 1e9;
    const double tree_busbw = factor * S / tree_all_reduce_time_s(S, n, B, a) / 1e9;
    CHECK(ring_busbw == Approx(40).epsilon(0.01));
    CHECK(tree_busbw < 31.0 / 32 * 40);
    CHECK(tree_busbw < ring_busbw);
}

TEST_CASE("tree_all_reduce_collective_time_s applies the profile", "[hw]") {
    const double S = 256e6;
    CommGroup dp{64, 8, 200, 50, 0, 0};
    TwoLevelLinks l{8, 8, 160, 40, 3.33e-6, 3.7e-6};
    CHECK(tree_all_reduce_collective_time_s(S, dp, profile()) == Approx(hierarchical_tree_all_reduce_time_s(S, l)));
    CommGroup rail{8, 1, 200, 50, 0, 0};
    CHECK(tree_all_reduce_collective_time_s(S, rail, profile()) == Approx(tree_all_reduce_time_s(S, 8, 40, 3.7e-6)));
}
