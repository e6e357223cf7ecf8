// Deriving an H800 profile from an H100 measurement (calib/derive.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "moesim/calib/derive.h"
#include "moesim/calib/fit.h"
#include "moesim/common/error.h"
#include "synthetic_suite.h"

using namespace moesim;
using Catch::Contains;
using nlohmann::json;

namespace {

const hw::GpuSpec& gpu(const char* name) {
    static std::map<std::string, hw::GpuSpec> specs;
    auto it = specs.find(name);
    if (it == specs.end()) it = specs.emplace(name, hw::load_gpu(name, "", nullptr)).first;
    return it->second;
}

hw::CalibrationProfile h100_measured(const test::SyntheticKnown& known = {}) {
    calib::FitOptions o;
    o.date = "2025-07-01";
    o.tool_version = "moesim test";
    const json doc = calib::fit_profile(test::synthetic_suite(gpu("H100"), known), test::synthetic_h100_device(),
                                        gpu("H100"), o);
    return hw::CalibrationProfile::from_json(doc, "h100-measured.json");
}

calib::DeriveOptions derive_options() {
    calib::DeriveOptions o;
    o.from_label = "calibrations/h100-measured.json";
    o.date = "2025-07-02";
    return o;
}

}  // namespace

TEST_CASE("derive H800 from H100: compute and memory efficiencies carry over", "[calibrate]") {
    const hw::CalibrationProfile from = h100_measured();
    const json doc = calib::derive_profile(from, gpu("H800"), derive_options());
    const hw::CalibrationProfile to = hw::CalibrationProfile::from_json(doc, "h800-derived.json");
    CHECK(to.gpu() == "H800");
    CHECK(to.name() == "h800-derived-from-h100-measured-2025-07-01");
    CHECK(to.kind() == "measured");
    CHECK(to.created() == "2025-07-01");
    CHECK(to.nccl_version() == from.nccl_version());
    CHECK(to.reference().nvlink_GBps == 200);
    CHECK(to.reference().bf16_dense_TFLOPS == gpu("H800").bf16_dense_TFLOPS);
    for (double m : {64.0, 100.0, 4096.0})
        CHECK(to.gemm_efficiency({m, 7168, 2048}, hw::Dtype::FP8) == from.gemm_efficiency({m, 7168, 2048}, hw::Dtype::FP8));
    CHECK(to.grouped_gemm_efficiency({4, 256, 4096, 7168}, hw::Dtype::FP8) ==
          from.grouped_gemm_efficiency({4, 256, 4096, 7168}, hw::Dtype::FP8));
    CHECK(to.attention(hw::AttentionPhase::Decode).memory_efficiency ==
          from.attention(hw::AttentionPhase::Decode).memory_efficiency);
    CHECK(to.memory_efficiency(1e8) == from.memory_efficiency(1e8));
    // The measured rates are not the H800's: dropped.
    CHECK_FALSE(doc["gemm"][0].contains("TFLOPS"));
    CHECK_THAT(to.gemm_points()[0].source, Contains("carried over from H100"));
    // Provenance.
    CHECK_THAT(to.source(), Contains("Derived for H800 from profile 'h100-measured-2025-07-01'"));
    CHECK_THAT(doc["notes"][0].get<std::string>(), Contains("derived-from: calibrations/h100-measured.json"));
    CHECK_THAT(doc["notes"][0].get<std::string>(), Contains("derived on 2025-07-02"));
}

TEST_CASE("derive: intranode collectives keep their bandwidth until it meets the H800 link", "[calibrate]") {
    const test::SyntheticKnown known;
    const hw::CalibrationProfile from = h100_measured(known);
    const hw::CalibrationProfile to =
        hw::CalibrationProfile::from_json(calib::derive_profile(from, gpu("H800"), derive_options()), "d.json");
    const double b_src = 450, b_dst = 200;
    const double eta = known.all_reduce_top;  // the H100's best fraction of its link
    int capped = 0, carried = 0;
    for (double size : known.sizes()) {
        const auto e = from.collective(hw::CollectiveKind::AllReduce, hw::Span::Intranode, size);
        const auto d = to.collective(hw::CollectiveKind::AllReduce, hw::Span::Intranode, size);
        CHECK(d.latency_s == e.latency_s);
        const double carried_GBps = e.efficiency * b_src;
        if (carried_GBps < eta * b_dst) {
            // Latency-bound: the same achieved bandwidth, a larger fraction of the narrower link.
            CHECK(d.efficiency * b_dst == Approx(carried_GBps).epsilon(1e-12));
            ++carried;
        } else {
            // Bandwidth-bound: what NCCL reaches of the H800's link.
            CHECK(d.efficiency == Approx(eta).epsilon(1e-9));
            ++capped;
        }
    }
    CHECK(capped > 0);
    CHECK(carried > 0);
    // The internode series and DeepEP are carried verbatim.
    CHECK(to.collective(hw::CollectiveKind::AllReduce, hw::Span::Internode, 1e9).efficiency ==
          from.collective(hw::CollectiveKind::AllReduce, hw::Span::Internode, 1e9).efficiency);
    CHECK(to.deepep_normal_points().size() == from.deepep_normal_points().size());
}

TEST_CASE("derive refuses another chip", "[calibrate]") {
    const hw::CalibrationProfile from = h100_measured();
    // H200: the same compute, HBM 4.8 TB/s against 3.35: memory efficiencies do not carry.
    CHECK_THROWS_AS(calib::derive_profile(from, gpu("H200"), derive_options()), CalibrationError);
    CHECK_THROWS_WITH(calib::derive_profile(from, gpu("H200"), derive_options()), Contains("HBM bandwidth"));
}
