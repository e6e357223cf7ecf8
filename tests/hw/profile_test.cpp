#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "moesim/common/error.h"
#include "moesim/hw/calibration_profile.h"
#include "profile_fixtures.h"

using moesim::CalibrationError;
using namespace moesim::hw;
using nlohmann::json;

namespace {
json shipped_json() { return moesim::test::shipped_profile_json(); }

// The CalibrationError message for a mutated copy of the shipped profile.
template <typename F>
std::string error_for(F mutate) {
    json j = shipped_json();
    mutate(j);
    try {
        CalibrationProfile::from_json(j, "p.json");
    } catch (const CalibrationError& e) {
        return e.what();
    }
    FAIL("expected a CalibrationError");
    return {};
}
}  // namespace

TEST_CASE("the default profile is the embedded h800-published", "[hw]") {
    const CalibrationProfile& p = default_profile();
    CHECK(p.name() == "h800-published");
    CHECK(p.gpu() == "H800");
    CHECK(p.kind() == "published");
    CHECK(p.reference().fp8_dense_TFLOPS == 1979);
    CHECK(p.reference().bf16_dense_TFLOPS == 989);
    CHECK(builtin_profile_names() == std::vector<std::string>{"h800-published"});
    for (const auto& g : p.gemm_points()) CHECK(!g.source.empty());
}

TEST_CASE("load_profile by name, by path, and a path to a built-in from elsewhere", "[hw]") {
    CHECK(load_profile("h800-published", "").name() == "h800-published");
    CHECK(load_profile("h800-published.json", "").name() == "h800-published");
    CHECK(load_profile("calibrations/h800-published.json", MOESIM_SOURCE_DIR).gemm_points().size() ==
          default_profile().gemm_points().size());
    CHECK(load_profile("calibrations/h800-published.json", "/nonexistent").name() == "h800-published");
    try {
        load_profile("h800-publishd", "");
        FAIL("expected a CalibrationError");
    } catch (const CalibrationError& e) {
        CHECK_THAT(e.what(), Catch::Contains("did you mean \"h800-published\""));
    }
    CHECK_THROWS_AS(load_profile("/nonexistent/mine.json", ""), CalibrationError);
}

TEST_CASE("profile validation names the JSON path", "[hw]") {
    SECTION("missing table") {
        CHECK_THAT(error_for([](json& j) { j.erase("gemm"); }), Catch::Contains("p.json: /gemm: required table is missing"));
        CHECK_THAT(error_for([](json& j) { j.erase("deepep_low_latency"); }), Catch::Contains("/deepep_low_latency"));
    }
    SECTION("efficiency above 1") {
        CHECK_THAT(error_for([](json& j) { j["gemm"][0]["efficiency"] = 1.2; }),
                   Catch::Contains("/gemm/0/efficiency: efficiency 1.2 is greater than 1"));
        CHECK_THAT(error_for([](json& j) { j["collectives"][1]["efficiency"] = 1.5; }),
                   Catch::Contains("/collectives/1/efficiency"));
    }
    SECTION("non-monotonic size axis") {
        // gemm[1] follows gemm[0] (M=64) in the same (N, K) series.
        CHECK_THAT(error_for([](json& j) { j["gemm"][1]["m"] = 32; j["gemm"][1].erase("TFLOPS"); }),
                   Catch::Contains("/gemm/1/m: m = 32 is not greater than the previous m = 64"));
        CHECK_THAT(error_for([](json& j) { j["deepep_low_latency"][1]["ep"] = 8; }),
                   Catch::Contains("/deepep_low_latency/1/ep"));
    }
    SECTION("non-positive values") {
        CHECK_THAT(error_for([](json& j) { j["memory_bound"][0]["size_bytes"] = -1; }),
                   Catch::Contains("/memory_bound/0/size_bytes: must be positive"));
        CHECK_THAT(error_for([](json& j) { j["deepep_normal"][0]["dispatch_GBps"] = 0; }),
                   Catch::Contains("/deepep_normal/0/dispatch_GBps"));
    }
    SECTION("newer format") {
        CHECK_THAT(error_for([](json& j) { j["format"] = 2; }),
                   Catch::Contains("/format: format 2 was written by a newer moesim"));
    }
    SECTION("measured TFLOPS must agree with efficiency x peak") {
        CHECK_THAT(error_for([](json& j) { j["gemm"][0]["TFLOPS"] = 999; }), Catch::Contains("/gemm/0/TFLOPS"));
    }
    SECTION("measured profiles need tool versions") {
        CHECK_THAT(error_for([](json& j) { j["kind"] = "measured"; }), Catch::Contains("/versions"));
    }
    SECTION("unknown keys suggest the right one") {
        CHECK_THAT(error_for([](json& j) { j["gemm"][0]["efficency"] = 0.5; }),
                   Catch::Contains("/gemm/0/efficency: unknown key (did you mean \"efficiency\"?)"));
    }
    SECTION("bad enum values") {
        CHECK_THAT(error_for([](json& j) { j["gemm"][0]["dtype"] = "fp16"; }), Catch::Contains("/gemm/0/dtype"));
        CHECK_THAT(error_for([](json& j) { j["collectives"][0]["span"] = "rack"; }), Catch::Contains("/collectives/0/span"));
    }
}

TEST_CASE("GEMM efficiency: nearest (N, K) series, piecewise-linear in log2(M), clamped", "[hw]") {
    const CalibrationProfile& p = default_profile();
    // Exact table points (o_proj shape, DeepGEMM @327ec92).
    CHECK(p.gemm_efficiency({4096, 7168, 16384}, Dtype::FP8) == Approx(1520.0 / 1979).epsilon(1e-5));
    CHECK(p.gemm_efficiency({128, 7168, 16384}, Dtype::FP8) == Approx(645.0 / 1979).epsilon(1e-5));
    // Clamped at both ends.
    CHECK(p.gemm_efficiency({65536, 7168, 16384}, Dtype::FP8) == Approx(1520.0 / 1979).epsilon(1e-5));
    CHECK(p.gemm_efficiency({8, 7168, 16384}, Dtype::FP8) == Approx(336.0 / 1979).epsilon(1e-5));
    // Halfway in log2(M) between 128 (2^7) and 4096 (2^12): M = 2^9.5.
    CHECK(p.gemm_efficiency({std::pow(2.0, 9.5), 7168, 16384}, Dtype::FP8) ==
          Approx((645.0 + 1520.0) / 2 / 1979).epsilon(1e-5));
    // Nearest shape: (7000, 15000) is nearest to (7168, 16384).
    CHECK(p.gemm_efficiency({4096, 7000, 15000}, Dtype::FP8) == Approx(1520.0 / 1979).epsilon(1e-5));
    // BF16 uses the BF16 points: (2048, 13312) is nearest to (2048, 12000).
    CHECK(p.gemm_efficiency({2048, 2048, 12000}, Dtype::BF16) == Approx(794.5 / 989).epsilon(1e-5));
}

TEST_CASE("a BF16 GEMM with only FP8 points uses the FP8 fraction of peak", "[hw]") {
    json j = shipped_json();
    json fp8_only = json::array();
    for (const auto& g : j["gemm"])
        if (g["dtype"] == "fp8") fp8_only.push_back(g);
    j["gemm"] = fp8_only;
    const auto p = CalibrationProfile::from_json(j, "fp8-only");
    CHECK(p.gemm_efficiency({4096, 7168, 16384}, Dtype::BF16) == Approx(1520.0 / 1979).epsilon(1e-5));
}

TEST_CASE("grouped GEMM, memory, attention and collective lookups", "[hw]") {
    const CalibrationProfile& p = default_profile();
    CHECK(p.grouped_gemm_efficiency({4, 8192, 4096, 7168}, Dtype::FP8) == Approx(1346.0 / 1979).epsilon(1e-5));
    CHECK(p.grouped_gemm_efficiency({4, 256, 7168, 2048}, Dtype::FP8) == Approx(815.0 / 1979).epsilon(1e-5));
    CHECK(p.memory_efficiency(1e3) == Approx(3000.0 / 3350).epsilon(1e-5));
    CHECK(p.attention(AttentionPhase::Decode).memory_efficiency == Approx(3000.0 / 3350).epsilon(1e-5));
    CHECK(p.attention(AttentionPhase::Decode).compute_efficiency == Approx(660.0 / 989).epsilon(1e-5));
    CHECK(p.attention(AttentionPhase::Prefill).compute_efficiency == Approx(579.0 / 989).epsilon(1e-5));
    CHECK(p.attention(AttentionPhase::Backward).compute_efficiency == Approx(542.0 / 989).epsilon(1e-5));
    const auto intra = p.collective(CollectiveKind::AllReduce, Span::Intranode, 1e6);
    CHECK(intra.efficiency == Approx(0.8));
    CHECK(intra.latency_s == Approx(3.33e-6));
    const auto inter = p.collective(CollectiveKind::AllGather, Span::Internode, 1e9);  // the "any" series
    CHECK(inter.efficiency == Approx(0.8));
    CHECK(inter.latency_s == Approx(3.7e-6));
    const auto a2a = p.collective(CollectiveKind::AllToAll, Span::Internode, 1e9);  // its own series
    CHECK(a2a.efficiency == Approx(0.92));
    CHECK(a2a.latency_s == Approx(3.7e-6));
}

TEST_CASE("collective series interpolate in log2(size) and prefer an exact kind", "[hw]") {
    json j = shipped_json();
    j["collectives"].push_back({{"kind", "all_reduce"}, {"span", "intranode"}, {"size_bytes", 1 << 20},
                                {"efficiency", 0.4}, {"latency_us", 10}, {"source", "test"}});
    j["collectives"].push_back({{"kind", "all_reduce"}, {"span", "intranode"}, {"size_bytes", 1 << 30},
                                {"efficiency", 0.7}, {"latency_us", 20}, {"source", "test"}});
    const auto p = CalibrationProfile::from_json(j, "t");
    const auto mid = p.collective(CollectiveKind::AllReduce, Span::Intranode, 1 << 25);  // halfway in log2
    CHECK(mid.efficiency == Approx(0.55));
    CHECK(mid.latency_s == Approx(15e-6));
    CHECK(p.collective(CollectiveKind::AllGather, Span::Intranode, 1 << 25).efficiency == Approx(0.8));
}

TEST_CASE("attention by_seq_len is piecewise-linear in log2(seq_len), clamped at its ends, and validated", "[hw]") {
    const CalibrationProfile p = CalibrationProfile::from_json(shipped_json(), "p.json");
    const AttentionPoint& pre = p.attention(AttentionPhase::Prefill);
    REQUIRE(pre.by_seq_len.size() >= 2);
    const AttentionSeqPoint &first = pre.by_seq_len.front(), &last = pre.by_seq_len.back();
    // At and beyond the ends, the end points.
    CHECK(pre.compute_efficiency_at(first.seq_len) == first.compute_efficiency);
    CHECK(pre.compute_efficiency_at(first.seq_len / 4) == first.compute_efficiency);
    CHECK(pre.compute_efficiency_at(last.seq_len * 8) == last.compute_efficiency);
    // Between two points, a quarter of the way in log2.
    const AttentionSeqPoint &a = pre.by_seq_len[0], &b = pre.by_seq_len[1];
    const double x = a.seq_len * std::pow(b.seq_len / a.seq_len, 0.25);
    CHECK(pre.compute_efficiency_at(x) ==
          Approx(a.compute_efficiency + 0.25 * (b.compute_efficiency - a.compute_efficiency)).epsilon(1e-12));
    CHECK(pre.peak_compute_efficiency() >= last.compute_efficiency);
    // A point without a curve is flat.
    const AttentionPoint& bwd = p.attention(AttentionPhase::Backward);
    REQUIRE(bwd.by_seq_len.empty());
    CHECK(bwd.compute_efficiency_at(512) == bwd.compute_efficiency);
    CHECK(bwd.compute_efficiency_at(1e6) == bwd.compute_efficiency);

    auto prefill_index = [](const json& j) {
        for (std::size_t i = 0; i < j["attention"].size(); ++i)
            if (j["attention"][i]["phase"] == "prefill" && !j["attention"][i].contains("kernel")) return i;
        FAIL("no default prefill point");
        return std::size_t{0};
    };
    const std::string at = "/attention/" + std::to_string(prefill_index(shipped_json())) + "/by_seq_len";
    CHECK_THAT(error_for([&](json& j) { j["attention"][prefill_index(j)]["by_seq_len"][2]["seq_len"] = 100; }),
               Catch::Contains(at + "/2/seq_len: seq_len = 100 is not greater than the previous seq_len = 1024"));
    CHECK_THAT(error_for([&](json& j) {
                   auto& s = j["attention"][prefill_index(j)]["by_seq_len"][0];
                   s["compute_efficiency"] = 1.5;
                   s.erase("TFLOPS");
               }),
               Catch::Contains(at + "/0/compute_efficiency: efficiency 1.5 is greater than 1"));
    CHECK_THAT(error_for([&](json& j) { j["attention"][prefill_index(j)]["by_seq_len"][0]["TFLOPS"] = 500; }),
               Catch::Contains(at + "/0/TFLOPS"));
    CHECK_THAT(error_for([&](json& j) { j["attention"][prefill_index(j)]["by_seq_len"][0]["seqlen"] = 512; }),
               Catch::Contains(at + "/0/seqlen: unknown key"));
    CHECK_THAT(error_for([&](json& j) { j["attention"][prefill_index(j)]["by_seq_len"] = json::array(); }),
               Catch::Contains(at + ": expected a non-empty array"));
    CHECK_THAT(error_for([](json& j) {
                   for (auto& a : j["attention"])
                       if (a["phase"] == "decode") a["by_seq_len"] = json::array({{{"seq_len", 512}, {"compute_efficiency", 0.5}}});
               }),
               Catch::Contains("only prefill and backward points have a curve along seq_len"));
}
