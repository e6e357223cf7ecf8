// The optional memory_bound_ops and latencies tables of a profile (calibration_profile.h):
// one class's own HBM efficiency, DeepEP's notify latency, and their validation.
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

std::string error_of(const json& j) {
    try {
        CalibrationProfile::from_json(j, "p.json");
    } catch (const CalibrationError& e) {
        return e.what();
    }
    FAIL("expected a CalibrationError");
    return {};
}
}  // namespace

TEST_CASE("a memory_bound_ops point prices its class, the others keep the size table", "[hw]") {
    json j = shipped();
    j["memory_bound_ops"] = json::array({{{"op", "rotary"}, {"efficiency", 0.25}, {"source", "test"}}});
    j["latencies"] = json::array({{{"what", "deepep_notify"}, {"latency_us", 120.5}, {"source", "test"}}});
    const auto p = CalibrationProfile::from_json(j, "p.json");
    const auto base = CalibrationProfile::from_json(shipped(), "base.json");
    CHECK(p.memory_op_efficiency("rotary", 1e8) == 0.25);
    CHECK(p.memory_op_efficiency("elementwise", 1e8) == base.memory_efficiency(1e8));
    CHECK(p.memory_op_efficiency("", 1e8) == base.memory_efficiency(1e8));
    CHECK(p.latency_s("deepep_notify") == Approx(120.5e-6));
    CHECK(base.latency_s("deepep_notify") == 0);
    const GpuSpec gpu = load_gpu("H800", "", json());
    // 1 GB at a quarter of the HBM peak.
    CHECK(memory_op_time_s("rotary", 1e9, gpu, p) == Approx(1e9 / (gpu.hbm_GBps * 1e9 * 0.25)));
    CHECK(memory_op_time_s("elementwise", 1e9, gpu, p) == memory_bound_time_s(1e9, gpu, p));
}

TEST_CASE("memory_bound_ops and latencies are validated with their JSON path", "[hw]") {
    json j = shipped();
    j["memory_bound_ops"] = json::array({{{"op", "softmax"}, {"efficiency", 0.5}, {"source", "s"}}});
    CHECK_THAT(error_of(j), Catch::Contains("p.json: /memory_bound_ops/0/op: \"softmax\" is not one of \"rotary\", \"elementwise\""));
    j["memory_bound_ops"] = json::array({{{"op", "rotary"}, {"efficiency", 1.5}, {"source", "s"}}});
    CHECK_THAT(error_of(j), Catch::Contains("/memory_bound_ops/0/efficiency"));
    j["memory_bound_ops"] = json::array({{{"op", "rotary"}, {"efficiency", 0.5}, {"source", "s"}},
                                         {{"op", "rotary"}, {"efficiency", 0.4}, {"source", "s"}}});
    CHECK_THAT(error_of(j), Catch::Contains("/memory_bound_ops/1/op: \"rotary\" has a point already"));
    j.erase("memory_bound_ops");
    j["latencies"] = json::array({{{"what", "deepep_notify"}, {"latency_us", -1}, {"source", "s"}}});
    CHECK_THAT(error_of(j), Catch::Contains("/latencies/0/latency_us"));
    j["latencies"] = json::array({{{"what", "deepep_notify"}, {"latency_ms", 1}, {"source", "s"}}});
    CHECK_THAT(error_of(j), Catch::Contains("/latencies/0/latency_ms: unknown key"));
}
