// Directions the analytic step must move in whatever its calibration: faster links, FP8,
// less recompute and more micro-batches per pipeline never make it worse.
#include <string>

#include "training_test_helpers.h"

using namespace training_test;
using moesim::training::stage_costs;

namespace {

struct Case {
    std::string what;
    json doc;
    std::string file;
};

std::vector<Case> cases() {
    auto tp2 = with(dense_doc(), "/parallelism/tp", 2);
    tp2 = with(tp2, "/parallelism/dp", 2);
    auto dualpipe = with(dense_doc(), "/parallelism/schedule", "dualpipe");
    dualpipe = with(dualpipe, "/parallelism/comm_sms", 20);
    return {
        {"dense 1F1B", dense_doc(), "test.json"},
        {"dense tp 2", tp2, "test.json"},
        {"dense DualPipe", dualpipe, "test.json"},
        {"Mixtral", bundled_doc(kMixtral), bundled_path(kMixtral)},
        {"DeepSeek-V3", bundled_doc(kV3), bundled_path(kV3)},
    };
}

double step_s(const json& doc, const std::string& file) { return estimate(doc, true, file).step_time_s; }

double gemm_s(const StageCosts& c) {
    return c.forward.gemm_s + c.forward.experts_s + c.backward_input.gemm_s + c.backward_input.experts_s +
           c.backward_weight.gemm_s + c.backward_weight.experts_s;
}

}  // namespace

TEST_CASE("doubling NVLink or NIC bandwidth never increases the step time", "[training]") {
    for (const auto& c : cases()) {
        INFO(c.what);
        const auto st = prepare(c.doc, true, c.file);
        const double base = step_s(c.doc, c.file);
        const double nvlink = step_s(with(c.doc, "/cluster/gpu_overrides/nvlink_GBps", 2 * st->gpu.nvlink_GBps), c.file);
        const double nic = step_s(with(c.doc, "/cluster/network/nic_Gbps", 2 * st->scenario.cluster.network.nic_Gbps), c.file);
        CHECK(nvlink <= base);
        CHECK(nic <= base);
    }
    SECTION("strictly faster where the communication is exposed") {
        // TP all-gathers / reduce-scatters run over NVLink and 1F1B does not hide them.
        const auto tp2 = cases()[1];
        const double nvlink_before = step_s(tp2.doc, tp2.file);
        CHECK(step_s(with(tp2.doc, "/cluster/gpu_overrides/nvlink_GBps", 900), tp2.file) < nvlink_before);
        // Pipeline sends cross nodes when each stage fills whole nodes (4 nodes, dp 8).
        auto whole_nodes = with(dense_doc(), "/cluster/nodes", 4);
        whole_nodes = with(whole_nodes, "/parallelism/dp", 8);
        whole_nodes = with(whole_nodes, "/training/global_batch_size", 128);
        CHECK(step_s(with(whole_nodes, "/cluster/network/nic_Gbps", 800), "test.json") < step_s(whole_nodes, "test.json"));
        // Mixtral's EP group of 8 is one node: its all-to-all runs over NVLink.
        const json mixtral = bundled_doc(kMixtral);
        CHECK(step_s(with(mixtral, "/cluster/gpu_overrides/nvlink_GBps", 900), bundled_path(kMixtral)) <
              step_s(mixtral, bundled_path(kMixtral)));
    }
}

TEST_CASE("DualPipe: SMs reserved for communication slow the computation by SMs/(SMs - comm_sms)", "[training]") {
    const json v3 = bundled_doc(kV3);
    const std::string file = bundled_path(kV3);
    double previous_contention = -1;
    for (int comm_sms : {0, 10, 20, 40}) {
        INFO("comm_sms " << comm_sms);
        const auto st = prepare(with(v3, "/parallelism/comm_sms", comm_sms), false, file);
        const auto r = analytic_step(*st);
        double work = 0;
        for (const char* phase : {"forward", "backward", "backward_weight"})
            for (const char* category : {"gemm", "moe_experts", "attention", "memory_bound"})
                work += breakdown_s(r, phase, category);
        work += breakdown_s(r, "backward", "recompute");
        const double sms = st->gpu.sm_count;
        const double contention = breakdown_s(r, "overlap", "comm_sm_contention");
        CHECK(contention == Approx(work * (sms / (sms - comm_sms) - 1)).margin(1e-12));
        CHECK(contention > previous_contention);
        previous_contention = contention;
    }
}

TEST_CASE("FP8 is faster than BF16 for DeepSeek-V3", "[training]") {
    const json v3 = bundled_doc(kV3);
    const std::string file = bundled_path(kV3);
    const auto fp8 = prepare(v3, true, file);
    const auto bf16 = prepare(with(v3, "/training/precision", "bf16"), true, file);
    for (int stage : {0, 7, 15}) {
        INFO("stage " << stage);
        const StageCosts c8 = stage_costs(*fp8, stage), c16 = stage_costs(*bf16, stage);
        CHECK(gemm_s(c8) < gemm_s(c16));
        // Attention and the memory-bound operators do not change with the GEMM precision.
        CHECK(c8.forward.attention_s == Approx(c16.forward.attention_s).epsilon(1e-12));
    }
    const auto r8 = analytic_step(*fp8), r16 = analytic_step(*bf16);
    CHECK(r8.step_time_s < r16.step_time_s);
    CHECK(r8.mfu > r16.mfu);
}

TEST_CASE("recompute: none < selective < full in time — full reruns the whole forward", "[training]") {
    const auto none = prepare(dense_doc());
    const auto selective = prepare(with(dense_doc(), "/parallelism/recompute", "selective"));
    const auto full = prepare(with(dense_doc(), "/parallelism/recompute", "full"));
    // Stage 1 holds transformer layers only: full recompute reruns exactly its forward.
    const StageCosts n = stage_costs(*none, 1), s = stage_costs(*selective, 1), f = stage_costs(*full, 1);
    CHECK(n.recompute.total_s() == 0);
    CHECK(s.recompute.total_s() > 0);
    CHECK(s.recompute.total_s() < f.recompute.total_s());
    CHECK(f.recompute.total_s() == Approx(f.forward.total_s()).epsilon(1e-12));
    CHECK(f.forward.total_s() == Approx(n.forward.total_s()).epsilon(1e-12));

    const double t_none = analytic_step(*none).step_time_s;
    const double t_selective = analytic_step(*selective).step_time_s;
    const double t_full = analytic_step(*full).step_time_s;
    CHECK(t_none < t_selective);
    CHECK(t_selective < t_full);
    // Full recompute also needs less memory (why anyone pays for it).
    CHECK(full->memory.needed_bytes < none->memory.needed_bytes);
}

TEST_CASE("halving the micro-batches per pipeline raises the bubble fraction", "[training]") {
    for (const char* schedule : {"1f1b", "zb1p", "dualpipe"}) {
        INFO(schedule);
        const auto doc = with(dense_doc(), "/parallelism/schedule", schedule);
        const auto r64 = estimate(doc);
        const auto r32 = estimate(with(doc, "/training/global_batch_size", 32));
        CHECK(r32.bubble_fraction > r64.bubble_fraction);
        CHECK(r32.tokens_per_s < r64.tokens_per_s);
    }
    const json v3 = bundled_doc(kV3);
    const std::string file = bundled_path(kV3);
    const auto full = estimate(v3, false, file);
    const auto half = estimate(with(v3, "/training/global_batch_size", 7680), false, file);
    CHECK(half.bubble_fraction > full.bubble_fraction);
}
