// DeepEP-style dispatch/combine against DeepEP's published H800 numbers (PUBLISHED.md E).
#include <catch2/catch.hpp>

#include <cstdio>

#include "moesim/hw/costs.h"

using namespace moesim::hw;

namespace {
const CalibrationProfile& profile() { return default_profile(); }

// Modelled DeepEP "bottleneck bandwidth" of a published normal-kernel point, on H800 links.
double modelled_GBps(const DeepEpNormalPoint& pt, DeepEpOp op) {
    EpGroup g = pt.group;
    g.nvlink_GBps = 200;
    g.nic_GBps = 50;
    return deepep_normal_reported_GBps(op, pt.shape, g, profile());
}

double modelled_us(const DeepEpLowLatencyPoint& pt, DeepEpOp op) {
    EpGroup g = pt.group;
    g.nvlink_GBps = 200;
    g.nic_GBps = 50;
    return deepep_time_s(op, DeepEpMode::LowLatency, pt.shape, g, profile()) * 1e6;
}

DeepEpShape v3_shape(double tokens) { return {tokens, 7168, 8, 4, 256}; }
EpGroup h800_group(int ep) { return {ep, 8, 200, 50}; }
}  // namespace

TEST_CASE("DeepEP traffic under node-limited routing", "[hw]") {
    SECTION("intranode EP8: NVLink only") {
        const auto t = deepep_traffic(v3_shape(4096), h800_group(8), DeepEpOp::Dispatch);
        CHECK(t.k_nodes == Approx(1.0));
        CHECK(t.rdma_bytes == 0);
        // 8 GPUs of 32 experts each, 8 picks without replacement: 8·(1 − C(224,8)/C(256,8)).
        CHECK(t.ranks == Approx(5.297).epsilon(1e-3));
        CHECK(t.bytes_per_copy == Approx(7168 + 7168 / 128.0 * 4));
    }
    SECTION("EP64 over 8 nodes, at most 4 nodes per token") {
        const auto t = deepep_traffic(v3_shape(4096), h800_group(64), DeepEpOp::Dispatch);
        CHECK(t.k_nodes == Approx(4.0));
        CHECK(t.local_nodes == Approx(0.5));
        CHECK(t.counted_rdma_bytes == Approx(4096 * 4 * 7392.0));
        CHECK(t.rdma_bytes == Approx(4096 * 3.5 * 7392.0));
        CHECK(t.low_latency_bytes == Approx(4096 * 8 * 7392.0));
    }
    SECTION("EP32 over 4 nodes: the limit does not bind") {
        const auto t = deepep_traffic(v3_shape(4096), h800_group(32), DeepEpOp::Combine);
        // 4·(1 − C(192,8)/C(256,8)) = 4·(1 − 0.0964) expected target nodes.
        CHECK(t.k_nodes == Approx(3.614).epsilon(1e-3));
        CHECK(t.bytes_per_copy == 7168 * 2);
    }
    SECTION("BF16 tokens (BF16 training): the dispatch carries hidden x 2 bytes, as the combine") {
        auto shape = v3_shape(4096);
        shape.fp8_dispatch = false;
        const auto bf16 = deepep_traffic(shape, h800_group(64), DeepEpOp::Dispatch);
        const auto fp8 = deepep_traffic(v3_shape(4096), h800_group(64), DeepEpOp::Dispatch);
        CHECK(bf16.bytes_per_copy == 7168 * 2);
        CHECK(bf16.rdma_bytes == Approx(fp8.rdma_bytes * 2 * 7168 / 7392.0));
    }
}

TEST_CASE("DeepEP normal kernels reproduce the published bottleneck bandwidths within 10%", "[hw]") {
    // Model-error band: the model against a published measurement (PUBLISHED.md E).
    for (const auto& pt : profile().deepep_normal_points()) {
        INFO("EP" << pt.group.ep_size);
        CHECK(modelled_GBps(pt, DeepEpOp::Dispatch) == Approx(pt.dispatch_GBps).epsilon(0.10));
        CHECK(modelled_GBps(pt, DeepEpOp::Combine) == Approx(pt.combine_GBps).epsilon(0.10));
    }
}

TEST_CASE("DeepEP normal kernels predict the held-out EP32 point within 5%", "[hw]") {
    REQUIRE(profile().held_out().deepep_normal.size() == 1);
    const auto& pt = profile().held_out().deepep_normal.front();
    CHECK(pt.group.ep_size == 32);
    // Model-error band: the model against a published measurement (PUBLISHED.md E).
    CHECK(modelled_GBps(pt, DeepEpOp::Dispatch) == Approx(pt.dispatch_GBps).epsilon(0.05));
    CHECK(modelled_GBps(pt, DeepEpOp::Combine) == Approx(pt.combine_GBps).epsilon(0.05));
}

TEST_CASE("DeepEP low-latency kernels reproduce the published times within 10%", "[hw]") {
    // Model-error band: the model against a published measurement (PUBLISHED.md E).
    for (const auto& pt : profile().deepep_low_latency_points()) {
        INFO("EP" << pt.group.ep_size);
        CHECK(modelled_us(pt, DeepEpOp::Dispatch) == Approx(pt.dispatch_us).epsilon(0.10));
        CHECK(modelled_us(pt, DeepEpOp::Combine) == Approx(pt.combine_us).epsilon(0.10));
    }
}

TEST_CASE("DeepEP low-latency kernels predict the held-out EP32 point within 5%", "[hw]") {
    REQUIRE(profile().held_out().deepep_low_latency.size() == 1);
    const auto& pt = profile().held_out().deepep_low_latency.front();
    CHECK(pt.group.ep_size == 32);
    // Model-error band: the model against a published measurement (PUBLISHED.md E).
    CHECK(modelled_us(pt, DeepEpOp::Dispatch) == Approx(pt.dispatch_us).epsilon(0.05));
    CHECK(modelled_us(pt, DeepEpOp::Combine) == Approx(pt.combine_us).epsilon(0.05));
}

TEST_CASE("DeepEP time formulas", "[hw]") {
    const auto& p = profile();
    const DeepEpShape s = v3_shape(4096);
    SECTION("normal, one node: NVLink bytes over the intranode rate") {
        const auto t = deepep_traffic(s, h800_group(8), DeepEpOp::Dispatch);
        const double rate = p.deepep_normal_rates(DeepEpOp::Dispatch).intranode_nvlink_GBps;
        CHECK(rate == Approx(153));  // the EP8 point
        CHECK(deepep_dispatch_time_s(s, h800_group(8), DeepEpMode::Normal, p) == Approx(t.nvlink_bytes / (rate * 1e9)));
        // Twice the NVLink bandwidth (vs the profile's 200 GB/s reference), half the time.
        EpGroup fast = h800_group(8);
        fast.nvlink_GBps = 400;
        CHECK(deepep_dispatch_time_s(s, fast, DeepEpMode::Normal, p) == Approx(t.nvlink_bytes / (2 * rate * 1e9)));
    }
    SECTION("normal, several nodes: the slower of RDMA and NVLink forwarding") {
        const auto t = deepep_traffic(s, h800_group(64), DeepEpOp::Combine);
        const auto& r = p.deepep_normal_rates(DeepEpOp::Combine);
        const double expected = std::max(t.rdma_bytes / (r.internode_rdma_GBps * 1e9), t.nvlink_bytes / (r.internode_nvlink_GBps * 1e9));
        CHECK(deepep_combine_time_s(s, h800_group(64), DeepEpMode::Normal, p) == Approx(expected));
    }
    SECTION("low latency: latency + the slower of the NVLink and RDMA shares") {
        const DeepEpShape d = v3_shape(128);
        const auto t = deepep_traffic(d, h800_group(16), DeepEpOp::Dispatch);
        const auto& r = p.deepep_low_latency_rates(DeepEpOp::Dispatch);
        const double f = 0.5;
        const double expected = r.latency_s + std::max(f * t.low_latency_bytes / (r.nvlink_GBps * 1e9),
                                                       (1 - f) * t.low_latency_bytes / (r.rdma_GBps * 1e9));
        CHECK(deepep_dispatch_time_s(d, h800_group(16), DeepEpMode::LowLatency, p) == Approx(expected));
    }
    SECTION("no tokens or no peers: no time") {
        CHECK(deepep_dispatch_time_s(v3_shape(0), h800_group(64), DeepEpMode::Normal, p) == 0);
        CHECK(deepep_dispatch_time_s(s, h800_group(1), DeepEpMode::Normal, p) == 0);
    }
}

// `hw_tests "[.report]"` prints the reproduction table (published vs modelled).
TEST_CASE("DeepEP reproduction table", "[hw][.report]") {
    const auto& p = profile();
    std::printf("normal kernels (GB/s, DeepEP convention)       published d/c   modelled d/c\n");
    auto row = [](const DeepEpNormalPoint& pt, const char* tag) {
        std::printf("  %-9s EP%-3d %-10s                      %5.0f/%-5.0f    %5.1f/%-5.1f\n", to_string(pt.scope),
                    pt.group.ep_size, tag, pt.dispatch_GBps, pt.combine_GBps, modelled_GBps(pt, DeepEpOp::Dispatch),
                    modelled_GBps(pt, DeepEpOp::Combine));
    };
    for (const auto& pt : p.deepep_normal_points()) row(pt, "held-in");
    for (const auto& pt : p.held_out().deepep_normal) row(pt, "held-out");
    std::printf("low-latency kernels (us)                        published d/c   modelled d/c\n");
    auto ll = [](const DeepEpLowLatencyPoint& pt, const char* tag) {
        std::printf("  EP%-3d %-10s                                %5.0f/%-5.0f    %5.1f/%-5.1f\n", pt.group.ep_size, tag,
                    pt.dispatch_us, pt.combine_us, modelled_us(pt, DeepEpOp::Dispatch), modelled_us(pt, DeepEpOp::Combine));
    };
    for (const auto& pt : p.deepep_low_latency_points()) ll(pt, "held-in");
    for (const auto& pt : p.held_out().deepep_low_latency) ll(pt, "held-out");
    for (DeepEpOp op : {DeepEpOp::Dispatch, DeepEpOp::Combine}) {
        const auto& n = p.deepep_normal_rates(op);
        const auto& l = p.deepep_low_latency_rates(op);
        std::printf("%s fit: normal intranode NVL %.1f, internode RDMA %.1f NVL %.1f GB/s; LL latency %.1f us NVL %.1f RDMA %.1f GB/s\n",
                    op == DeepEpOp::Dispatch ? "dispatch" : "combine", n.intranode_nvlink_GBps, n.internode_rdma_GBps,
                    n.internode_nvlink_GBps, l.latency_s * 1e6, l.nvlink_GBps, l.rdma_GBps);
    }
}
