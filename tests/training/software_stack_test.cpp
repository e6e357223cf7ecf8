// The scenario's software section in training (DESIGN.md §3): each choice prices its work
// from its own table of the profile, in the direction and by the ratio the table gives, and a
// scenario without the section (or with the defaults spelled out) is priced as before.
#include "moesim/hw/costs.h"
#include "moesim/workload/resolve.h"
#include "profile_fixtures.h"
#include "training_test_helpers.h"

using namespace training_test;
using moesim::training::stage_costs;

namespace {

json with_software(json doc, const std::string& key, const std::string& value) {
    return with(doc, "/software/" + key, value);
}

// Stage 1 of the small V3 layout: MoE layers only.
StageCosts middle_stage(const json& doc) { return stage_costs(*setup_of(doc), 1); }

}  // namespace

TEST_CASE("software: the defaults spelled out price every figure as a scenario without the section", "[training]") {
    const json plain = small_v3(moesim::workload::Schedule::DualPipe);
    json spelled = with_software(plain, "attention", "default");
    spelled = with_software(spelled, "ep_comm", "default");
    spelled = with_software(spelled, "gemm", "default");
    // DeepEP normal and FA3 by name are the defaults of training too. ("deepgemm" is not: V3's
    // BF16 GEMMs — router, LM head — then run at DeepGEMM's FP8 fraction instead of cuBLAS's.)
    json named = with_software(plain, "attention", "fa3");
    named = with_software(named, "ep_comm", "deepep-normal");
    const auto a = setup_of(plain), b = setup_of(spelled), c = setup_of(named);
    CHECK(a->scenario.software == moesim::workload::Software{});
    CHECK(b->scenario.software == moesim::workload::Software{});
    for (const auto* st : {b.get(), c.get()}) {
        CHECK(st->ep_dispatch.time_s == a->ep_dispatch.time_s);
        CHECK(st->ep_combine.time_s == a->ep_combine.time_s);
        const TrainingResult r = analytic_step(*st);
        CHECK(r.step_time_s == analytic_step(*a).step_time_s);
        CHECK(event_step(*st).step_time_s == event_step(*a).step_time_s);
    }
    // Written back only when it chooses something: the stored scenario stays as it was.
    CHECK_FALSE(moesim::workload::to_json(b->scenario).contains("software"));
    CHECK(moesim::workload::to_json(c->scenario)["software"]["ep_comm"] == "deepep-normal");
    CHECK(moesim::workload::parse_scenario(moesim::workload::to_json(c->scenario), "x.json").software == c->scenario.software);
}

TEST_CASE("software: FlashAttention-2 prices training attention slower than FA3 by its table's ratio", "[training]") {
    const json fa3 = small_v3(moesim::workload::Schedule::DualPipe);
    const StageCosts base = middle_stage(fa3);
    const StageCosts slow = middle_stage(with_software(fa3, "attention", "fa2"));
    // FA3 paper (arXiv 2407.08608), H100 head dim 128 at 4k: forward causal 579 vs 319 TFLOPS,
    // backward 542 vs 310.
    CHECK(slow.forward.attention_s / base.forward.attention_s == Approx(579.0 / 319).epsilon(1e-4));
    CHECK(slow.backward_input.attention_s / base.backward_input.attention_s == Approx(542.0 / 310).epsilon(1e-4));
    CHECK(slow.forward.gemm_s == base.forward.gemm_s);
    const auto st = setup_of(with_software(fa3, "attention", "fa2"));
    const TrainingResult r = analytic_step(*st);
    CHECK(r.step_time_s > analytic_step(*setup_of(fa3)).step_time_s);
    bool said = false;
    for (const auto& a : r.assumptions) said = said || a.find("attention fa2, fa2's points") != std::string::npos;
    CHECK(said);
}

TEST_CASE("software: NCCL all-to-all prices V3's dispatch slower than DeepEP's normal kernels", "[training]") {
    const json v3 = bundled_doc(kV3);
    const auto deepep = prepare(v3, false, bundled_path(kV3));
    const auto nccl = prepare(with_software(v3, "ep_comm", "nccl-all2all"), false, bundled_path(kV3));
    // One all-to-all of the EP64 group (8 nodes x 8): every token once per routed expert,
    // FP8 with its scales, on the profile's all_to_all series (closed form, costs.h).
    const double hidden = 7168, bytes = 4096.0 * 8 * (hidden + hidden / 128 * 4);
    moesim::hw::CommGroup g;
    g.size = 64;
    g.gpus_per_node = 8;
    g.nvlink_GBps = nccl->gpu.nvlink_GBps;
    g.nic_GBps = 50;
    const double expected = moesim::hw::collective_time_s(moesim::hw::CollectiveKind::AllToAll, bytes, g, nccl->profile);
    CHECK(nccl->ep_dispatch.time_s == Approx(expected).epsilon(1e-12));
    // DeepEP sends each token at most once to each of its <= 4 nodes; NCCL 8 copies, 7/8 of
    // them off the node.
    CHECK(nccl->ep_dispatch.time_s > 1.5 * deepep->ep_dispatch.time_s);
    CHECK(nccl->ep_combine.time_s > 1.5 * deepep->ep_combine.time_s);
    CHECK(analytic_step(*nccl).step_time_s > analytic_step(*deepep).step_time_s);
    // DeepEP's low-latency kernels at 4096 tokens: latency-bound kernels sending one copy per
    // expert, also slower than the normal ones at this size.
    const auto ll = prepare(with_software(v3, "ep_comm", "deepep-ll"), false, bundled_path(kV3));
    CHECK(ll->ep_dispatch.time_s > deepep->ep_dispatch.time_s);
}

TEST_CASE("software: DeepEP's notify is paid by the normal kernels only, as serving pays it", "[training]") {
    // A profile fitted from a trace carries DeepEP's notify (calibrate --from-trace): each
    // normal-mode call pays it (network::ep_notify_latency_s), forward a dispatch and a
    // combine, backward the gradients' dispatch and combine. The low-latency kernels have no
    // notify, and NCCL's all-to-all is not DeepEP's kernel: they pay none.
    json with_notify = moesim::test::shipped_profile_json();
    with_notify["latencies"] = json::array({{{"what", "deepep_notify"}, {"latency_us", 250.0}, {"source", "test"}}});
    for (const auto& [kernel, calls] : {std::pair<std::string, double>{"deepep-normal", 2}, {"deepep-ll", 0}, {"nccl-all2all", 0}}) {
        const json doc = with_software(small_v3(moesim::workload::Schedule::DualPipe), "ep_comm", kernel);
        const auto plain = setup_of(doc);
        auto notified = setup_of(doc);
        notified->profile = moesim::hw::CalibrationProfile::from_json(with_notify, "notify.json");
        double moe_layers = 0;
        for (const auto* layer : plain->layout.stages.at(1).layers) moe_layers += layer->kind == moesim::workload::LayerKind::Moe;
        REQUIRE(moe_layers > 0);
        const StageCosts a = stage_costs(*plain, 1), b = stage_costs(*notified, 1);
        INFO(kernel);
        CHECK(b.forward_comm.ep_s - a.forward_comm.ep_s == Approx(calls * moe_layers * 250e-6).margin(1e-12));
        CHECK(b.backward_comm.ep_s - a.backward_comm.ep_s == Approx(calls * moe_layers * 250e-6).margin(1e-12));
    }
}

TEST_CASE("BF16 training dispatches BF16 tokens: V3's EP dispatch at BF16 costs the combine's bytes", "[training]") {
    json bf16 = bundled_doc(kV3);
    bf16["training"]["precision"] = "bf16";
    const auto fp8 = prepare(bundled_doc(kV3), true, bundled_path(kV3));
    const auto st = prepare(bf16, true, bundled_path(kV3));
    // The dispatch and the combine now carry the same bytes per token copy (hidden x 2), so
    // their times differ only by the kernels' rates; the FP8 dispatch was cheaper by 7392/14336.
    CHECK(st->ep_dispatch.time_s > 1.8 * fp8->ep_dispatch.time_s);
    CHECK(st->ep_combine.time_s == fp8->ep_combine.time_s);
    // The backward's dispatch carries BF16 gradients in both precisions: the same kernel and
    // bytes as a BF16 forward dispatch, so FP8 training's gradient dispatch is priced as BF16
    // training's dispatch, and BF16 training's equals its own forward dispatch.
    CHECK(fp8->ep_grad_dispatch.time_s == st->ep_dispatch.time_s);
    CHECK(st->ep_grad_dispatch.time_s == st->ep_dispatch.time_s);
    CHECK(fp8->ep_grad_dispatch.time_s > 1.8 * fp8->ep_dispatch.time_s);
}

TEST_CASE("software: the GEMM library selects its table at the scenario's precision", "[training]") {
    const json fp8 = small_v3(moesim::workload::Schedule::DualPipe);
    const StageCosts deepgemm = middle_stage(fp8);
    const StageCosts cublas = middle_stage(with_software(fp8, "gemm", "cublas"));
    CHECK(cublas.forward.gemm_s != deepgemm.forward.gemm_s);
    CHECK(cublas.forward.experts_s != deepgemm.forward.experts_s);
    CHECK(cublas.forward.attention_s == deepgemm.forward.attention_s);
}

TEST_CASE("software: the bundled DeepSeek-V2 scenario states V2TR's stack", "[training]") {
    const auto st = prepare_bundled("deepseek-v2-pretrain.json");
    CHECK(st->scenario.software.attention == moesim::workload::AttentionKernel::FA2);
    CHECK(st->scenario.training.precision == moesim::workload::Precision::BF16);
    CHECK(st->scenario.parallelism.schedule == moesim::workload::Schedule::ZB1P);
    CHECK(st->profile.attention_kernel(moesim::hw::AttentionPhase::Prefill) == "fa2");
    CHECK(st->profile.attention_kernel(moesim::hw::AttentionPhase::Backward) == "fa2");
}
