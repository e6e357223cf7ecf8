// Determinism, and the bundled DeepSeek-V3 pre-training scenario end to end.
#include <algorithm>
#include <cmath>

#include "moesim/workload/scenario.h"
#include "training_test_helpers.h"

using namespace training_test;
using moesim::training::prepare_training;

namespace {

// Bit for bit: TrainingResult's operator== compares every field with ==; the breakdown is
// printed to locate a difference.
void require_identical(const TrainingResult& a, const TrainingResult& b) {
    if (!(a == b)) {
        UNSCOPED_INFO("step " << a.step_time_s << " vs " << b.step_time_s);
        for (std::size_t i = 0; i < std::min(a.breakdown.size(), b.breakdown.size()); ++i)
            UNSCOPED_INFO(a.breakdown[i].phase << "/" << a.breakdown[i].category << " " << a.breakdown[i].seconds
                                               << " vs " << b.breakdown[i].seconds);
    }
    CHECK(a == b);
}

}  // namespace

TEST_CASE("the same scenario twice gives bit-identical results", "[training]") {
    SECTION("dense, from code") {
        const auto a = estimate(dense_doc());
        require_identical(a, estimate(dense_doc()));
        // The comparison sees one ulp in one breakdown entry.
        auto b = a;
        b.breakdown.back().seconds = std::nextafter(b.breakdown.back().seconds, 1.0);
        CHECK_FALSE(a == b);
    }
    SECTION("DeepSeek-V3, from its file, through two separate setups") {
        const auto s = moesim::workload::load_scenario(bundled_path(kV3));
        const auto a = prepare_training(s);
        const auto b = prepare_training(moesim::workload::load_scenario(bundled_path(kV3)));
        require_identical(analytic_step(*a), analytic_step(*b));
        // and the same setup twice
        require_identical(analytic_step(*a), analytic_step(*a));
    }
}

TEST_CASE("bundled DeepSeek-V3 pre-training: DualPipe over 2048 H800", "[training]") {
    const auto st = prepare_training(moesim::workload::load_scenario(bundled_path(kV3)));
    REQUIRE(st->scenario.cluster.gpus() == 2048);
    // 15360 sequences / (dp 128 x micro-batch 1) = 120 micro-batches per pipeline.
    CHECK(st->micro_batches == 120);
    CHECK(st->memory.fits);
    const auto r = analytic_step(*st);
    CHECK(r.step_time_s > 0);
    CHECK(r.bubble_fraction > 0);
    CHECK(r.bubble_fraction < 0.15);
    CHECK(r.mfu > 0);
    CHECK(r.mfu < 1);
    CHECK(r.fp8_utilization > 0);
    CHECK(r.fp8_utilization < r.mfu);
    // Tokens per step are fixed by the scenario: 15360 x 4096.
    CHECK(r.tokens_per_step == 62914560);
    // 37B activated parameters: at least 6 x 37e9 FLOPs per token.
    CHECK(r.model_flops_per_token > 6 * 37e9);

    // For the record, not a target: V3TR reports 180K H800 GPU-hours per trillion tokens.
    const double per_trillion = r.gpu_hours / (st->scenario.training.total_tokens / 1e12);
    WARN("DeepSeek-V3 analytic: step " << r.step_time_s << " s, MFU " << r.mfu << ", bubble "
                                       << r.bubble_fraction << ", " << per_trillion
                                       << " H800 GPU-hours per trillion tokens (published: 180000)");
    CHECK(per_trillion > 0);
}
