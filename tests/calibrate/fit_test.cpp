// Fitting a profile from synthetic measurements whose efficiencies are known: the fitted
// profile's lookups must give them back.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "moesim/calib/fit.h"
#include "moesim/calib/profile_text.h"
#include "moesim/common/error.h"
#include "moesim/hw/costs.h"
#include "synthetic_suite.h"

using namespace moesim;
using Catch::Contains;
using nlohmann::json;

namespace {

calib::FitOptions options() {
    calib::FitOptions o;
    o.date = "2025-07-01";
    o.tool_version = "moesim 0.1.0 (test)";
    o.plan.quick = false;
    return o;
}

const hw::GpuSpec& h100() {
    static const hw::GpuSpec gpu = hw::load_gpu("H100", "", nullptr);
    return gpu;
}

struct Fitted {
    json doc;
    hw::CalibrationProfile profile;
};

Fitted fit(const std::vector<kernels::Measurement>& points) {
    json doc = calib::fit_profile(points, test::synthetic_h100_device(), h100(), options());
    return {doc, hw::CalibrationProfile::from_json(doc, "fitted.json")};
}

}  // namespace

TEST_CASE("a fitted profile loads and its GEMM lookups give the measured efficiencies back", "[calibrate]") {
    const test::SyntheticKnown known;
    const Fitted f = fit(test::synthetic_suite(h100(), known));
    const hw::CalibrationProfile& p = f.profile;
    CHECK(p.kind() == "measured");
    CHECK(p.gpu() == "H100");
    CHECK(p.name() == "h100-measured-2025-07-01");
    // FP8 from the 1x128/128x128-scaled kernel, not the faster per-tensor cuBLASLt one.
    for (std::size_t i = 0; i < known.fp8_m.size(); ++i)
        CHECK(p.gemm_efficiency({known.fp8_m[i], 7168, 2048}, hw::Dtype::FP8) == Approx(known.fp8_eff[i]).epsilon(1e-12));
    // Between measured M: piecewise-linear in log2(M), as the profile's rule says.
    CHECK(p.gemm_efficiency({1024, 7168, 2048}, hw::Dtype::FP8) ==
          Approx(known.fp8_eff[1] + (known.fp8_eff[2] - known.fp8_eff[1]) * 3.0 / 5.0).epsilon(1e-12));
    CHECK(p.gemm_efficiency({2048, 2048, 13312}, hw::Dtype::BF16) == Approx(known.bf16_eff).epsilon(1e-12));
    // The time the cost model gives back is the measured time.
    const hw::GemmShape shape{4096, 7168, 2048};
    const auto measured = test::gemm_point("moesim_fp8_block", "fp8", 4096, 7168, 2048, known.fp8_eff[2], h100());
    CHECK(hw::gemm_time_s(shape, hw::Dtype::FP8, h100(), p) == Approx(measured.time_s).epsilon(1e-9));
    for (const auto& g : p.gemm_points()) CHECK_THAT(g.source, Contains("measured by moesim calibrate"));
}

TEST_CASE("the portable block-scaled FP8 kernel is the FP8 GEMM too", "[calibrate]") {
    const test::SyntheticKnown known;
    auto points = test::synthetic_suite(h100(), known);
    for (auto& m : points)
        if (m.impl == "moesim_fp8_block") m.impl = "moesim_fp8_block_portable";
    const Fitted f = fit(points);
    for (std::size_t i = 0; i < known.fp8_m.size(); ++i)
        CHECK(f.profile.gemm_efficiency({known.fp8_m[i], 7168, 2048}, hw::Dtype::FP8) == Approx(known.fp8_eff[i]));
}

TEST_CASE("grouped GEMM, attention and memory lookups give the measured efficiencies back", "[calibrate]") {
    const test::SyntheticKnown known;
    const Fitted f = fit(test::synthetic_suite(h100(), known));
    const hw::CalibrationProfile& p = f.profile;
    CHECK(p.grouped_gemm_efficiency({4, 256, 4096, 7168}, hw::Dtype::FP8) == Approx(known.grouped_masked_eff));
    CHECK(p.grouped_gemm_efficiency({4, 8192, 4096, 7168}, hw::Dtype::FP8) == Approx(known.grouped_contiguous_eff));
    REQUIRE(f.doc["grouped_gemm"].size() == 2);
    CHECK(f.doc["grouped_gemm"][0]["layout"] == "masked");

    // Each roofline ceiling is the best any shape reached.
    const auto& decode = p.attention(hw::AttentionPhase::Decode);
    CHECK(decode.compute_efficiency == Approx(known.decode_TFLOPS / h100().bf16_dense_TFLOPS));
    CHECK(decode.memory_efficiency == Approx(known.decode_GBps / h100().hbm_GBps));
    CHECK(p.attention(hw::AttentionPhase::Prefill).compute_efficiency ==
          Approx(known.prefill_TFLOPS / h100().bf16_dense_TFLOPS));
    // No backward kernel: the lookup falls back to prefill.
    CHECK(p.attention(hw::AttentionPhase::Backward).compute_efficiency ==
          p.attention(hw::AttentionPhase::Prefill).compute_efficiency);
    // Two lengths measured (1024 at 450 TFLOPS, 4096 at prefill_TFLOPS): the curve along seq_len.
    const auto& curve = p.attention(hw::AttentionPhase::Prefill).by_seq_len;
    REQUIRE(curve.size() == 2);
    CHECK(curve[0].seq_len == 1024);
    CHECK(curve[0].compute_efficiency == Approx(450 / h100().bf16_dense_TFLOPS));
    CHECK(curve[1].seq_len == 4096);
    CHECK(curve[1].compute_efficiency == Approx(known.prefill_TFLOPS / h100().bf16_dense_TFLOPS));

    // Memory-bound: keyed by the bytes the copy moves (read + write).
    for (std::size_t i = 0; i < known.copy_bytes.size(); ++i)
        CHECK(p.memory_efficiency(known.copy_bytes[i]) == Approx(known.copy_eff[i]));
    CHECK(hw::memory_bound_time_s(known.copy_bytes[1], h100(), p) ==
          Approx(test::copy_point(known.copy_bytes[1] / 2, known.copy_eff[1], h100()).time_s));
}

TEST_CASE("intranode collectives: latency from the small sizes, times reproduced at every size", "[calibrate]") {
    const test::SyntheticKnown known;
    const Fitted f = fit(test::synthetic_suite(h100(), known));
    const hw::CalibrationProfile& p = f.profile;
    hw::CommGroup node;
    node.size = node.gpus_per_node = known.ranks;
    node.nvlink_GBps = h100().nvlink_GBps;
    node.nic_GBps = h100().nic_GBps();
    for (double size : known.sizes()) {
        // The synthetic sweeps are linear in S up to 64 KiB, so the latency is recovered exactly.
        const auto ar = p.collective(hw::CollectiveKind::AllReduce, hw::Span::Intranode, size);
        CHECK(ar.latency_s == Approx(known.all_reduce_alpha_s).epsilon(1e-6));
        CHECK(ar.efficiency == Approx(test::synthetic_collective_efficiency(size, known.all_reduce_top)).epsilon(1e-6));
        const auto ag = p.collective(hw::CollectiveKind::AllGather, hw::Span::Intranode, size);
        CHECK(ag.latency_s == Approx(known.all_gather_alpha_s).epsilon(1e-6));
        // ... and the cost model's time is the measured time (8 ranks, not the 2-rank sweep).
        const auto m = test::collective_point("all_reduce", known.ranks, size, known.all_reduce_alpha_s,
                                              test::synthetic_collective_efficiency(size, known.all_reduce_top), h100());
        CHECK(hw::collective_time_s(hw::CollectiveKind::AllReduce, size, node, p) == Approx(m.time_s).epsilon(1e-9));
    }
    // "any" is the all-reduce series; an op not measured falls back to it.
    CHECK(p.collective(hw::CollectiveKind::AllToAll, hw::Span::Intranode, 1 << 20).efficiency ==
          p.collective(hw::CollectiveKind::AllReduce, hw::Span::Intranode, 1 << 20).efficiency);
}

TEST_CASE("a bus bandwidth above the link (NVLS all-reduce) is capped at efficiency 1, and said so", "[calibrate]") {
    test::SyntheticKnown known;
    known.all_reduce_top = 1.07;
    const Fitted f = fit(test::synthetic_suite(h100(), known));
    CHECK(f.profile.collective(hw::CollectiveKind::AllReduce, hw::Span::Intranode, 1073741824.0).efficiency == 1.0);
    const std::string notes = f.doc["notes"].dump();
    CHECK_THAT(notes, Contains("efficiency capped at 1 at sizes"));
    CHECK_THAT(notes, Contains("1073741824"));
}

TEST_CASE("tables one machine cannot measure are copied from the base profile, citations kept", "[calibrate]") {
    const Fitted f = fit(test::synthetic_suite(h100()));
    const hw::CalibrationProfile& base = hw::default_profile();
    REQUIRE(f.profile.deepep_normal_points().size() == base.deepep_normal_points().size());
    for (std::size_t i = 0; i < base.deepep_normal_points().size(); ++i) {
        CHECK_THAT(f.profile.deepep_normal_points()[i].source, Contains("copied from profile 'h800-published'"));
        CHECK_THAT(f.profile.deepep_normal_points()[i].source, Contains(base.deepep_normal_points()[i].source));
        CHECK(f.profile.deepep_normal_points()[i].dispatch_GBps == base.deepep_normal_points()[i].dispatch_GBps);
    }
    CHECK(f.profile.deepep_low_latency_points().size() == base.deepep_low_latency_points().size());
    const auto inter = f.profile.collective(hw::CollectiveKind::AllReduce, hw::Span::Internode, 1e9);
    const auto base_inter = base.collective(hw::CollectiveKind::AllReduce, hw::Span::Internode, 1e9);
    CHECK(inter.efficiency == base_inter.efficiency);
    CHECK(inter.latency_s == base_inter.latency_s);
    const std::string notes = f.doc["notes"].dump();
    CHECK_THAT(notes, Contains("internode collectives (2 points), deepep_normal (3 points), deepep_low_latency (3 points)"));
    CHECK_THAT(notes, Contains("stored raw only, in no table: 1 permute bf16 point"));
}

TEST_CASE("with one GPU the intranode collectives are copied too", "[calibrate]") {
    test::SyntheticKnown known;
    known.ranks = 1;
    auto points = test::synthetic_suite(h100(), known);
    points.erase(std::remove_if(points.begin(), points.end(),
                                [](const kernels::Measurement& m) { return m.kind == "collective" && m.shape.at("ranks") == 2; }),
                 points.end());
    const Fitted f = fit(points);
    const auto intra = f.profile.collective(hw::CollectiveKind::AllReduce, hw::Span::Intranode, 1e9);
    CHECK(intra.efficiency == hw::default_profile().collective(hw::CollectiveKind::AllReduce, hw::Span::Intranode, 1e9).efficiency);
    CHECK_THAT(f.doc["notes"].dump(), Contains("intranode collectives, as fewer than two GPUs took part"));
}

TEST_CASE("provenance: device, clocks, versions, date and moesim version", "[calibrate]") {
    const Fitted f = fit(test::synthetic_suite(h100()));
    const hw::CalibrationProfile& p = f.profile;
    CHECK(p.created() == "2025-07-01");
    CHECK(p.driver_version() == "550.54.15");
    CHECK(p.cuda_version() == "12.4");
    CHECK(p.nccl_version() == "2.21.5");
    for (const char* text : {"NVIDIA H100 80GB HBM3", "132 SMs", "SM clock 1980 MHz", "memory clock 2619 MHz",
                             "NCCL 2.21.5", "moesim 0.1.0 (test)", "8 x NVIDIA"})
        CHECK_THAT(p.source(), Contains(text));
    const std::string first_note = f.doc["notes"][0];
    for (const char* text : {"device=NVIDIA H100 80GB HBM3", "sm_count=132", "sm_clock_MHz=1980", "memory_clock_MHz=2619",
                             "driver=550.54.15", "cuda=12.4", "nccl=2.21.5", "date=2025-07-01", "plan=full"})
        CHECK_THAT(first_note, Contains(text));
    CHECK(p.reference().bf16_dense_TFLOPS == h100().bf16_dense_TFLOPS);
    CHECK(p.reference().nvlink_GBps == h100().nvlink_GBps);
}

TEST_CASE("a failed reference check refuses the whole fit, naming kernel, shape and error", "[calibrate]") {
    auto points = test::synthetic_suite(h100());
    points[1].reference_ok = false;  // the block-scaled FP8 GEMM at M = 64
    points[1].max_error = 0.37;
    points[1].check_detail = "max |C - C_ref| / |C_ref| over 4096 x 7168, tolerance 2e-2";
    try {
        calib::fit_profile(points, test::synthetic_h100_device(), h100(), options());
        FAIL("expected a CalibrationError");
    } catch (const CalibrationError& e) {
        CHECK_THAT(e.what(), Contains("gemm moesim_fp8_block fp8 m=64 n=7168 k=2048"));
        CHECK_THAT(e.what(), Contains("max error 0.37"));
        CHECK_THAT(e.what(), Contains("tolerance 2e-2"));
        CHECK_THAT(e.what(), Contains("nothing is written"));
    }
}

TEST_CASE("what the fit refuses: a rate above the peak, a missing table, an SM count that is not the spec's", "[calibrate]") {
    auto points = test::synthetic_suite(h100());
    SECTION("above the peak") {
        points.push_back(test::gemm_point("cublaslt", "bf16", 4096, 4096, 4096, 1.2, h100()));
        CHECK_THROWS_WITH(calib::fit_profile(points, test::synthetic_h100_device(), h100(), options()),
                          Contains("exceeds the BF16 dense peak"));
    }
    SECTION("no attention measured") {
        points.erase(std::remove_if(points.begin(), points.end(), [](const auto& m) { return m.kind == "attention"; }),
                     points.end());
        CHECK_THROWS_WITH(calib::fit_profile(points, test::synthetic_h100_device(), h100(), options()),
                          Contains("no BF16 decode attention"));
    }
    SECTION("an H100 PCIe is not the H100 SXM spec") {
        auto device = test::synthetic_h100_device();
        device.name = "NVIDIA H100 PCIe";
        device.sm_count = 114;
        CHECK_THROWS_WITH(calib::fit_profile(points, device, h100(), options()), Contains("has 114 SMs"));
    }
}

TEST_CASE("the device name picks the built-in spec — other families need a base profile", "[calibrate]") {
    CHECK(calib::gpu_spec_for(test::synthetic_h100_device()).name == "H100");
    auto device = test::synthetic_h100_device();
    device.name = "NVIDIA H800";
    CHECK(calib::gpu_spec_for(device).name == "H800");
    device.name = "NVIDIA A100-SXM4-80GB";
    CHECK_THROWS_WITH(calib::gpu_spec_for(device), Contains("no built-in GPU spec matches"));
    device.cc_major = 8;
    CHECK_THROWS_WITH(calib::base_profile_for(device), Contains("--base"));
    CHECK(calib::base_profile_for(test::synthetic_h100_device()).name() == "h800-published");
}

TEST_CASE("the profile as written to a file loads back to the same document", "[calibrate]") {
    const Fitted f = fit(test::synthetic_suite(h100()));
    const std::string text = calib::profile_text(f.doc);
    CHECK(text.rfind("{\n  \"format\": 1,\n  \"name\": \"h100-measured-2025-07-01\",", 0) == 0);
    CHECK_THAT(text, Contains("\"m\": 4096,"));
    const json back = json::parse(text);
    CHECK(back == f.doc);
    const hw::CalibrationProfile p = hw::CalibrationProfile::from_json(back, "written.json");
    CHECK(p.gemm_efficiency({100, 7168, 2048}, hw::Dtype::FP8) == f.profile.gemm_efficiency({100, 7168, 2048}, hw::Dtype::FP8));
    CHECK(p.collective_points().size() == f.profile.collective_points().size());
}

TEST_CASE("measuring needs a GPU and NCCL: each refusal says why and that nothing was written", "[calibrate]") {
    auto device = test::synthetic_h100_device();
    REQUIRE(device.nccl_available);
    CHECK_NOTHROW(calib::check_can_measure(device));
    SECTION("no GPU") {
        device.available = false;
        device.unavailable_reason = "no CUDA device: the driver reports none";
        CHECK_THROWS_WITH(calib::check_can_measure(device),
                          Contains("no GPU to measure: no CUDA device: the driver reports none") &&
                              Contains("Nothing was written"));
    }
    SECTION("a GPU, but NCCL cannot be loaded at run time") {
        device.nccl_available = false;
        device.nccl_version.clear();
        device.nccl_unavailable_reason = "cannot load NCCL (/nonexistent/libnccl.so.2): no such file";
        CHECK_THROWS_AS(calib::check_can_measure(device), CalibrationError);
        CHECK_THROWS_WITH(calib::check_can_measure(device),
                          Contains("NCCL is not available on this machine (NVIDIA H100 80GB HBM3)") &&
                              Contains("cannot load NCCL (/nonexistent/libnccl.so.2): no such file") &&
                              Contains("MOESIM_NCCL_LIBRARY") && Contains("Nothing was written"));
    }
}
