// The analytic step rebuilt from its parts: stage_costs() of every stage, the schedule's
// bubble formula (PUBLISHED.md F) and data_parallel_times(), composed as analytic_step.cpp
// documents it:
//   per rank, per micro-batch    busy = F + B               (no overlap)
//                                busy = F&B = max(compute · SMs/(SMs − comm_sms), comm)
//                                                           (DualPipe, DualPipeV)
//   rank total                   m · busy + bubble
//   step                         max over ranks of the total
//                                + max(0, grad reduce-scatter − B) + max(0, param all-gather − F)
//                                + optimizer                (of that slowest rank)
// with, per chunk (one stage of one micro-batch), F = forward work + its sends, W = weight
// gradients, B = the full backward: input gradients + recompute + its sends + W.
#include <algorithm>
#include <vector>

#include "training_test_helpers.h"

using namespace training_test;
using moesim::training::data_parallel_times;
using moesim::training::stage_costs;

namespace {

struct Chunk {
    double F = 0, B = 0, W = 0;
    double compute = 0, comm = 0;  // per micro-batch through the chunk's stages
};

// The formulas' F, B, W for one micro-batch through `stages` of a rank, per chunk: the sum
// over the stages divided by `chunks` (the mean when each micro-batch visits one of them).
Chunk chunk_of(const TrainingSetup& st, const std::vector<int>& stages, double chunks) {
    Chunk k;
    for (int s : stages) {
        const StageCosts c = stage_costs(st, s);
        const double fwd = c.forward.total_s(), bwd_in = c.backward_input.total_s();
        const double bwd_w = c.backward_weight.total_s(), rec = c.recompute.total_s();
        const double fcomm = c.forward_comm.total_s(), bcomm = c.backward_comm.total_s();
        k.F += fwd + fcomm;
        k.W += bwd_w;
        k.B += bwd_in + rec + bcomm + bwd_w;
        k.compute += fwd + bwd_in + bwd_w + rec;
        k.comm += fcomm + bcomm;
    }
    k.F /= chunks;
    k.B /= chunks;
    k.W /= chunks;
    return k;
}

struct Expected {
    int rank = -1;
    double bubble = 0, step = 0;
};

// The slowest rank by m · busy + bubble, then its data-parallel exposure and optimizer.
template <class RankTotal>
Expected expected_step(const TrainingSetup& st, RankTotal rank_total) {
    const int pp = st.scenario.parallelism.pp;
    Expected e;
    double worst = -1;
    Chunk worst_chunk;
    for (int r = 0; r < pp; ++r) {
        double bubble = 0;
        Chunk chunk;
        const double total = rank_total(r, bubble, chunk);
        if (total > worst) {
            worst = total;
            e.rank = r;
            e.bubble = bubble;
            worst_chunk = chunk;
        }
    }
    const auto dp = data_parallel_times(st, e.rank);
    e.step = worst + std::max(0.0, dp.reduce_scatter_s - worst_chunk.B) +
             std::max(0.0, dp.all_gather_s - worst_chunk.F) + dp.optimizer_s;
    return e;
}

// 1F1B, GPipe (the same bubble in this model) and ZB1P: rank r runs stage r.
Expected expected_flat(const TrainingSetup& st, bool zero_bubble) {
    const double m = static_cast<double>(st.micro_batches), pp = st.scenario.parallelism.pp;
    return expected_step(st, [&](int r, double& bubble, Chunk& k) {
        k = chunk_of(st, {r}, 1);
        bubble = zero_bubble ? (pp - 1) * (k.F + k.B - 2 * k.W) : (pp - 1) * (k.F + k.B);
        return m * (k.F + k.B) + bubble;
    });
}

// DualPipe's pairs are timed layer by layer in whole picoseconds (pair_order.h): `epsilon`
// 1e-9 there (a picosecond per step), 1e-12 elsewhere.
void check_result(const TrainingResult& r, const Expected& e, double epsilon = 1e-12) {
    CHECK(r.step_time_s == Approx(e.step).epsilon(epsilon));
    CHECK(breakdown_s(r, "idle", "bubble") == Approx(e.bubble).epsilon(epsilon));
    CHECK(r.bubble_fraction == Approx(e.bubble / e.step).epsilon(epsilon));
}

}  // namespace

TEST_CASE("1F1B: (m + pp - 1)(F + B) of the slowest stage plus DP exposure and optimizer", "[training]") {
    const auto st = prepare(dense_doc());
    REQUIRE(st->micro_batches == 16);
    REQUIRE(st->layout.stages.size() == 4);
    const double m = 16, pp = 4;

    // Rebuilt once more in the closed form (m + pp − 1)(F + B) of each stage.
    double slowest = 0;
    int slowest_stage = -1;
    for (int i = 0; i < 4; ++i) {
        const Chunk k = chunk_of(*st, {i}, 1);
        CHECK(k.F > 0);
        CHECK(k.W > 0);
        CHECK(k.B > k.W);
        const double total = (m + pp - 1) * (k.F + k.B);
        if (total > slowest) slowest = total, slowest_stage = i;
    }
    // The last stage carries the LM head (128256 x 4096), about 2.4 layers' worth of GEMM.
    CHECK(slowest_stage == 3);
    const auto dp = data_parallel_times(*st, slowest_stage);
    CHECK(dp.reduce_scatter_s > 0);
    CHECK(dp.all_gather_s > 0);  // ZeRO-1 (the default) gathers the updated parameters
    CHECK(dp.optimizer_s > 0);

    const Expected e = expected_flat(*st, false);
    CHECK(e.rank == slowest_stage);
    CHECK(e.step - dp.optimizer_s >= slowest);
    check_result(analytic_step(*st), e);
}

TEST_CASE("GPipe has the 1F1B step time (same bubble, all micro-batches' activations)", "[training]") {
    const auto st = prepare(with(dense_doc(), "/parallelism/schedule", "gpipe"), true);
    const auto r = analytic_step(*st);
    check_result(r, expected_flat(*st, false));
    CHECK(r.step_time_s == Approx(estimate(dense_doc()).step_time_s).epsilon(1e-12));
}

TEST_CASE("ZB1P: bubble (pp - 1)(F + B - 2W), smaller than 1F1B's", "[training]") {
    const auto st = prepare(with(dense_doc(), "/parallelism/schedule", "zb1p"));
    const Expected e = expected_flat(*st, true);
    const auto r = analytic_step(*st);
    check_result(r, e);

    const auto one_f_one_b = estimate(dense_doc());
    const double W = chunk_of(*st, {e.rank}, 1).W;
    CHECK(breakdown_s(r, "idle", "bubble") < breakdown_s(one_f_one_b, "idle", "bubble"));
    CHECK(breakdown_s(r, "idle", "bubble") ==
          Approx(breakdown_s(one_f_one_b, "idle", "bubble") - 2 * 3 * W).epsilon(1e-9));
    CHECK(r.step_time_s < one_f_one_b.step_time_s);
    CHECK(r.bubble_fraction < one_f_one_b.bubble_fraction);
}

TEST_CASE("Interleaved 1F1B with v = 2: per-chunk bubble, smaller than 1F1B's", "[training]") {
    auto doc = with(dense_doc(), "/parallelism/schedule", "interleaved-1f1b");
    doc = with(doc, "/parallelism/virtual_stages", 2);
    doc = with(doc, "/parallelism/stage_layers", {4, 4, 4, 4, 4, 4, 4, 4});
    const auto st = prepare(doc);
    REQUIRE(st->layout.stages.size() == 8);
    const double m = 16, pp = 4;
    // Rank r holds stages r and r + pp (Megatron); each micro-batch goes through both.
    const Expected e = expected_step(*st, [&](int r, double& bubble, Chunk& k) {
        k = chunk_of(*st, {r, r + 4}, 2);
        bubble = (pp - 1) * (k.F + k.B);
        return m * 2 * (k.F + k.B) + bubble;
    });
    const auto r = analytic_step(*st);
    check_result(r, e);

    const auto one_f_one_b = estimate(dense_doc());
    CHECK(breakdown_s(r, "idle", "bubble") < breakdown_s(one_f_one_b, "idle", "bubble"));
    CHECK(r.bubble_fraction < one_f_one_b.bubble_fraction);
}

TEST_CASE("DualPipe: bubble (pp/2 - 1)(F&B + B - 3W), F&B the overlapped pair", "[training]") {
    auto doc = with(dense_doc(), "/parallelism/schedule", "dualpipe");
    doc = with(doc, "/parallelism/comm_sms", 20);
    const auto st = prepare(doc);
    const double m = 16, pp = 4;
    const double slowdown = st->gpu.sm_count / (st->gpu.sm_count - 20.0);
    REQUIRE(slowdown > 1);
    // Rank r holds stages r and pp − 1 − r; half the micro-batches enter from each end, so
    // per micro-batch it does the mean of the two.
    const Expected e = expected_step(*st, [&](int r, double& bubble, Chunk& k) {
        k = chunk_of(*st, {r, 3 - r}, 2);
        const double compute = k.compute / 2, comm = k.comm / 2;
        const double fb = std::max(compute * slowdown, comm);
        bubble = std::max(0.0, (pp / 2 - 1) * (fb + k.B - 3 * k.W));
        return m * fb + bubble;
    });
    CHECK(e.bubble > 0);
    check_result(analytic_step(*st), e, 1e-9);
}

TEST_CASE("DualPipeV: 2·pp stages in a V, bubble (pp - 1)(F&B + B - 3W) per chunk", "[training]") {
    auto doc = with(dense_doc(), "/parallelism/schedule", "dualpipev");
    doc = with(doc, "/parallelism/comm_sms", 20);
    doc = with(doc, "/parallelism/stage_layers", nullptr);  // 32 layers over 8 stages: 4 each
    const auto st = prepare(doc);
    REQUIRE(st->layout.stages.size() == 8);
    const double m = 16, pp = 4;
    const double slowdown = st->gpu.sm_count / (st->gpu.sm_count - 20.0);
    // Rank r holds stages r and 2·pp − 1 − r; every micro-batch goes down and back up the V.
    // The table's PP/2 − 1 counts the V's 2·pp stages: pp − 1.
    const Expected e = expected_step(*st, [&](int r, double& bubble, Chunk& k) {
        k = chunk_of(*st, {r, 7 - r}, 2);
        const double fb = std::max(k.compute * slowdown, k.comm) / 2;
        bubble = std::max(0.0, (pp - 1) * (fb + k.B - 3 * k.W));
        return m * 2 * fb + bubble;
    });
    check_result(analytic_step(*st), e, 1e-9);
}

TEST_CASE("bubble_fraction is the bubble over the step for every schedule", "[training]") {
    for (const char* schedule : {"gpipe", "1f1b", "zb1p", "dualpipe"}) {
        INFO(schedule);
        const auto r = estimate(with(dense_doc(), "/parallelism/schedule", schedule), true);
        CHECK(r.bubble_fraction > 0);
        CHECK(r.bubble_fraction < 1);
        CHECK(r.bubble_fraction == Approx(breakdown_s(r, "idle", "bubble") / r.step_time_s).epsilon(1e-12));
    }
}
