// The result's derived fields against their definitions (result.h, DESIGN.md §4, §6):
// throughput, MFU, GPU-hours, dollars, wall-clock days, and a breakdown that adds up.
#include <cmath>

#include "moesim/workload/model_accounting.h"
#include "training_test_helpers.h"

using namespace training_test;

namespace {

// Every identity of the result, against the scenario's numbers and the GPU's datasheet.
void check_identities(const TrainingSetup& st, const TrainingResult& r) {
    const auto& s = st.scenario;
    const double gpus = static_cast<double>(s.cluster.nodes) * s.cluster.gpus_per_node;
    CHECK(r.fidelity == "analytic");
    REQUIRE(r.step_time_s > 0);
    CHECK(r.tokens_per_step == static_cast<double>(s.training.global_batch_size) * s.training.seq_len);
    CHECK(r.tokens_per_s == Approx(r.tokens_per_step / r.step_time_s).epsilon(1e-12));
    CHECK(r.tokens_per_s_per_gpu == Approx(r.tokens_per_s / gpus).epsilon(1e-12));

    CHECK(r.model_flops_per_token == moesim::workload::model_flops_per_token(st.model));
    const double achieved_FLOPS = r.model_flops_per_token * r.tokens_per_s_per_gpu;
    CHECK(r.mfu == Approx(achieved_FLOPS / (st.gpu.bf16_dense_TFLOPS * 1e12)).epsilon(1e-12));
    CHECK(r.mfu > 0);
    CHECK(r.mfu < 1);
    if (s.training.precision == moesim::workload::Precision::BF16)
        CHECK(r.fp8_utilization == 0);
    else
        CHECK(r.fp8_utilization == Approx(achieved_FLOPS / (st.gpu.fp8_dense_TFLOPS * 1e12)).epsilon(1e-12));

    const double run_s = s.training.total_tokens / r.tokens_per_s;
    CHECK(r.gpu_hours == Approx(run_s * gpus / 3600).epsilon(1e-12));
    CHECK(r.cost_usd == Approx(r.gpu_hours * s.cluster.gpu_hour_usd).epsilon(1e-12));
    CHECK(r.usd_per_million_tokens == Approx(r.cost_usd / (s.training.total_tokens / 1e6)).epsilon(1e-12));
    CHECK(r.wall_days == Approx(run_s / 86400).epsilon(1e-12));
    CHECK(r.peak_memory_GB == Approx(st.memory.needed_bytes / 1e9).epsilon(1e-12));

    double sum = 0;
    for (const auto& e : r.breakdown) {
        INFO(e.phase << "/" << e.category);
        CHECK(e.seconds > 0);
        CHECK(std::isfinite(e.seconds));
        sum += e.seconds;
    }
    CHECK(sum == Approx(r.step_time_s).epsilon(1e-9));
    CHECK(r.bubble_fraction == Approx(breakdown_s(r, "idle", "bubble") / r.step_time_s).epsilon(1e-12));
    CHECK(r.exposed_comm.dp_s == Approx(breakdown_s(r, "communication", "dp")).margin(1e-15));
    CHECK(r.exposed_comm.ep_s == Approx(breakdown_s(r, "communication", "ep_all_to_all")).margin(1e-15));
    CHECK(r.exposed_comm.pp_s == Approx(breakdown_s(r, "communication", "pp_send_recv")).margin(1e-15));
    CHECK(r.exposed_comm.tp_s == Approx(breakdown_s(r, "communication", "tp")).margin(1e-15));
    CHECK_FALSE(r.assumptions.empty());
}

}  // namespace

TEST_CASE("accounting: the dense 1F1B run by hand", "[training]") {
    const auto st = prepare(dense_doc());
    const auto r = analytic_step(*st);
    check_identities(*st, r);
    // 64 sequences of 4096 tokens; 16 GPUs at $2.5 an hour; 1e12 tokens.
    CHECK(r.tokens_per_step == 262144);
    const double tokens_per_s = 262144 / r.step_time_s;
    const double hours = 1e12 / tokens_per_s / 3600;
    CHECK(r.gpu_hours == Approx(16 * hours).epsilon(1e-12));
    CHECK(r.cost_usd == Approx(16 * hours * 2.5).epsilon(1e-12));
    CHECK(r.usd_per_million_tokens == Approx(16 * hours * 2.5 / 1e6).epsilon(1e-12));
    CHECK(r.wall_days == Approx(hours / 24).epsilon(1e-12));
    CHECK(r.fp8_utilization == 0);
    // 1F1B overlaps nothing: the PP sends are exposed, m times over, and there is no EP or TP.
    CHECK(r.exposed_comm.pp_s > 0);
    CHECK(r.exposed_comm.ep_s == 0);
    CHECK(r.exposed_comm.tp_s == 0);
    CHECK(breakdown_s(r, "overlap", "comm_sm_contention") == 0);
}

TEST_CASE("accounting: identities hold for every schedule, TP, MoE and FP8", "[training]") {
    SECTION("schedules on the dense model") {
        for (const char* schedule : {"gpipe", "1f1b", "zb1p", "dualpipe", "dualpipev"}) {
            INFO(schedule);
            auto doc = with(dense_doc(), "/parallelism/schedule", schedule);
            doc = with(doc, "/parallelism/comm_sms", 16);
            if (std::string(schedule) == "dualpipev") doc = with(doc, "/parallelism/stage_layers", nullptr);
            const auto st = prepare(doc, true);
            check_identities(*st, analytic_step(*st));
        }
    }
    SECTION("interleaved 1F1B") {
        auto doc = with(dense_doc(), "/parallelism/schedule", "interleaved-1f1b");
        doc = with(doc, "/parallelism/virtual_stages", 4);
        doc = with(doc, "/parallelism/stage_layers", nullptr);
        const auto st = prepare(doc);
        check_identities(*st, analytic_step(*st));
    }
    SECTION("tensor parallelism, full recompute, ZeRO-0") {
        auto doc = with(dense_doc(), "/parallelism/tp", 2);
        doc = with(doc, "/parallelism/dp", 2);
        doc = with(doc, "/parallelism/recompute", "full");
        doc = with(doc, "/parallelism/zero_stage", 0);
        const auto st = prepare(doc);
        const auto r = analytic_step(*st);
        check_identities(*st, r);
        CHECK(r.exposed_comm.tp_s > 0);
        CHECK(breakdown_s(r, "backward", "recompute") > 0);
    }
    SECTION("Mixtral: expert parallelism, BF16") {
        const auto st = prepare_bundled(kMixtral);
        const auto r = analytic_step(*st);
        check_identities(*st, r);
        CHECK(r.exposed_comm.ep_s > 0);
        CHECK(breakdown_s(r, "forward", "moe_experts") > 0);
    }
    SECTION("DeepSeek-V3: DualPipe, FP8") {
        const auto st = prepare_bundled(kV3);
        const auto r = analytic_step(*st);
        check_identities(*st, r);
        CHECK(r.fp8_utilization > 0);
        CHECK(r.fp8_utilization == Approx(r.mfu * st->gpu.bf16_dense_TFLOPS / st->gpu.fp8_dense_TFLOPS).epsilon(1e-12));
    }
}
