// The calibration profile's kernel tables (calibration_profile.h, "Kernel selection"): the
// scenario's software section picks the points of one attention kernel or GEMM library; the
// default sees exactly the tables a profile without "kernel" keys had.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "moesim/common/error.h"
#include "moesim/hw/calibration_profile.h"
#include "profile_fixtures.h"
#include "moesim/hw/costs.h"
#include "moesim/hw/gpu_spec.h"

using moesim::CalibrationError;
using namespace moesim::hw;
using nlohmann::json;

namespace {

json shipped() { return moesim::test::shipped_profile_json(); }

AttentionShape training_attention(AttentionPhase phase) {
    AttentionShape a;
    a.phase = phase;
    a.batch = 1;
    a.q_len = a.kv_len = 4096;
    a.heads_q = 128;
    a.qk_head_dim = 192;
    a.v_head_dim = 128;
    return a;
}

}  // namespace

TEST_CASE("the default kernels: FA3 and FlashMLA attention, DeepGEMM FP8 and cuBLAS BF16 GEMMs", "[hw]") {
    const CalibrationProfile& p = default_profile();
    CHECK(p.attention_kernel(AttentionPhase::Prefill) == "fa3");
    CHECK(p.attention_kernel(AttentionPhase::Backward) == "fa3");
    CHECK(p.attention_kernel(AttentionPhase::Decode) == "flashmla");
    CHECK(p.attention(AttentionPhase::Prefill).compute_efficiency == Approx(579.0 / 989).epsilon(1e-5));
    // The cuBLAS FP8 point (0.70 everywhere) is not seen: DeepGEMM's series prices FP8.
    CHECK(p.gemm_efficiency({4096, 2112, 7168}, Dtype::FP8) == Approx(1127.0 / 1979).epsilon(1e-5));
    CHECK(p.gemm_efficiency({2048, 2048, 13312}, Dtype::BF16) == Approx(794.5 / 989).epsilon(1e-5));
    for (const auto& g : p.gemm_points()) CHECK(g.kernel == default_gemm_kernel(g.dtype));
    // "deepgemm" and "fa3" chosen by name are the default's tables for FP8 and prefill.
    const CalibrationProfile named = p.with_kernels({"deepgemm", "fa3"});
    CHECK(named.gemm_efficiency({64, 24576, 1536}, Dtype::FP8) == p.gemm_efficiency({64, 24576, 1536}, Dtype::FP8));
    CHECK(named.attention(AttentionPhase::Backward).compute_efficiency ==
          p.attention(AttentionPhase::Backward).compute_efficiency);
}

TEST_CASE("FlashAttention-2's table prices training attention slower than FA3's by the table's ratio", "[hw]") {
    const CalibrationProfile& fa3 = default_profile();
    const CalibrationProfile fa2 = fa3.with_kernels({"", "fa2"});
    const GpuSpec gpu = load_gpu("H800", "", json::object());
    // FA3 paper, H100, head dim 128, sequence 4k: forward causal 319 vs 579, backward 310 vs 542.
    const double fwd = attention_time_s(training_attention(AttentionPhase::Prefill), gpu, fa2) /
                       attention_time_s(training_attention(AttentionPhase::Prefill), gpu, fa3);
    const double bwd = attention_time_s(training_attention(AttentionPhase::Backward), gpu, fa2) /
                       attention_time_s(training_attention(AttentionPhase::Backward), gpu, fa3);
    CHECK(fwd == Approx(579.0 / 319).epsilon(1e-4));
    CHECK(bwd == Approx(542.0 / 310).epsilon(1e-4));
    // No FA2 decode point: decode stays FlashMLA's, and says so.
    CHECK(fa2.attention_kernel(AttentionPhase::Decode) == "flashmla");
    CHECK(fa2.attention_kernel(AttentionPhase::Prefill) == "fa2");
    // FlashMLA publishes decode only: training attention stays FA3's.
    const CalibrationProfile mla = fa3.with_kernels({"", "flashmla"});
    CHECK(mla.attention_kernel(AttentionPhase::Prefill) == "fa3");
    CHECK(mla.attention_kernel(AttentionPhase::Decode) == "flashmla");
}

TEST_CASE("cuBLAS's table: its FP8 point, its BF16 points, and grouped GEMMs as one GEMM per group", "[hw]") {
    const CalibrationProfile cublas = default_profile().with_kernels({"cublas", ""});
    CHECK(cublas.gemm_efficiency({4096, 2112, 7168}, Dtype::FP8) == Approx(1390.4 / 1979).epsilon(1e-5));
    CHECK(cublas.gemm_efficiency({2048, 2048, 13312}, Dtype::BF16) == Approx(794.5 / 989).epsilon(1e-5));
    CHECK_FALSE(cublas.has_grouped_points());
    const GroupedGemmShape experts{8, 4096, 4096, 7168};
    CHECK(cublas.grouped_gemm_efficiency(experts, Dtype::FP8) == cublas.gemm_efficiency({4096, 4096, 7168}, Dtype::FP8));
    // Against DeepGEMM at the published shape M=4096 N=4096 K=7168 (1410 TFLOPS): cuBLAS's
    // derived 1390 is slower by their ratio.
    const GpuSpec gpu = load_gpu("H800", "", json::object());
    const double t_cublas = gemm_time_s({4096, 4096, 7168}, Dtype::FP8, gpu, cublas);
    const double t_deepgemm = gemm_time_s({4096, 4096, 7168}, Dtype::FP8, gpu, default_profile());
    CHECK(t_cublas / t_deepgemm == Approx(1410.0 / 1390.4).epsilon(1e-3));
}

TEST_CASE("NCCL's all-to-all series is its own, other collectives keep the any series", "[hw]") {
    const CalibrationProfile& p = default_profile();
    CHECK(p.collective(CollectiveKind::AllToAll, Span::Internode, 1e6).efficiency == Approx(0.92));
    CHECK(p.collective(CollectiveKind::AllToAll, Span::Intranode, 1e6).efficiency == Approx(370.0 / 450).epsilon(1e-5));
    CHECK(p.collective(CollectiveKind::AllReduce, Span::Internode, 1e6).efficiency == Approx(0.8));
}

TEST_CASE("a profile's kernel names are checked, and a choice it has no points of is refused", "[hw]") {
    SECTION("an unknown kernel name") {
        json j = shipped();
        j["gemm"][0]["kernel"] = "cutlass";
        CHECK_THROWS_WITH(CalibrationProfile::from_json(j, "p.json"),
                          Catch::Matchers::Contains("p.json: /gemm/0/kernel: \"cutlass\" is not one of"));
    }
    SECTION("a profile without FA2 points") {
        json j = shipped();
        json kept = json::array();
        for (const auto& a : j["attention"])
            if (a.value("kernel", "") != "fa2") kept.push_back(a);
        j["attention"] = kept;
        const CalibrationProfile p = CalibrationProfile::from_json(j, "p.json");
        CHECK_THROWS_AS(p.with_kernels({"", "fa2"}), CalibrationError);
        CHECK_THROWS_WITH(p.with_kernels({"", "fa2"}), Catch::Matchers::Contains("no attention points of kernel \"fa2\""));
    }
    SECTION("a profile whose only prefill point is FA2's") {
        json j = shipped();
        json kept = json::array();
        for (const auto& a : j["attention"])
            if (a["phase"] != "prefill" || a.contains("kernel")) kept.push_back(a);
        j["attention"] = kept;
        CHECK_THROWS_WITH(CalibrationProfile::from_json(j, "p.json"), Catch::Matchers::Contains("of the default kernel"));
    }
}
