// The raw measurement file and the database rows of the raw points.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "moesim/calib/measurement_file.h"
#include "moesim/calib/points.h"
#include "moesim/common/error.h"
#include "synthetic_suite.h"

using namespace moesim;
using Catch::Contains;
using nlohmann::json;

namespace {

calib::MeasurementFile synthetic_file() {
    calib::MeasurementFile f;
    f.created = "2025-07-01";
    f.tool_version = "moesim test";
    f.device = test::synthetic_h100_device();
    f.plan.quick = true;
    f.plan.kinds = {"gemm", "collective"};
    f.measurements = test::synthetic_suite(hw::load_gpu("H100", "", nullptr));
    return f;
}

std::string error_for(json j) {
    try {
        calib::measurement_file_from_json(j, "m.json");
    } catch (const CalibrationError& e) {
        return e.what();
    }
    FAIL("expected a CalibrationError");
    return {};
}

}  // namespace

TEST_CASE("a measurement file round-trips every field", "[calibrate]") {
    const calib::MeasurementFile f = synthetic_file();
    const json j = calib::to_json(f);
    const calib::MeasurementFile back = calib::measurement_file_from_json(json::parse(j.dump()), "m.json");
    CHECK(calib::to_json(back) == j);
    CHECK(back.device.name == f.device.name);
    CHECK(back.device.sm_clock_MHz == 1980);
    CHECK(back.plan.quick);
    CHECK(back.plan.kinds == f.plan.kinds);
    REQUIRE(back.measurements.size() == f.measurements.size());
    CHECK(back.measurements[1].impl == "moesim_fp8_block");
    CHECK(back.measurements[1].shape == f.measurements[1].shape);
    CHECK(back.measurements[1].time_s == f.measurements[1].time_s);
}

TEST_CASE("a measurement file's errors name the file and the JSON path", "[calibrate]") {
    const json good = calib::to_json(synthetic_file());
    json j = good;
    j["format"] = 2;
    CHECK_THAT(error_for(j), Contains("m.json: /format: format 2 was written by a newer moesim"));
    j = good;
    j["measurements"][3].erase("time_s");
    CHECK_THAT(error_for(j), Contains("m.json: /measurements/3/time_s: required key is missing"));
    j = good;
    j["measurements"][0]["shape"]["m"] = "big";
    CHECK_THAT(error_for(j), Contains("/measurements/0/shape/m: expected a number"));
    j = good;
    j["device"]["sm_cnt"] = 1;
    CHECK_THAT(error_for(j), Contains("/device/sm_cnt: unknown key (did you mean \"sm_count\"?)"));
    j = good;
    j["kind"] = "profile";
    CHECK_THAT(error_for(j), Contains("/kind"));
    CHECK_THROWS_WITH(calib::read_measurement_file("/nonexistent/m.json"), Contains("/nonexistent/m.json: cannot read"));
}

TEST_CASE("one database row per measured point, naming the shape", "[calibrate]") {
    const auto points = synthetic_file().measurements;
    const auto rows = calib::raw_points(points);
    REQUIRE(rows.size() == points.size());
    CHECK(rows[1].kind == "gemm");
    CHECK(rows[1].key == "moesim_fp8_block fp8 m=64 n=7168 k=2048");
    CHECK(rows[1].unit == "TFLOPS");
    CHECK(rows[1].value == Approx(points[1].TFLOPS));
    CHECK_THAT(rows[1].source, Contains("reference check ok"));
    const auto collective = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.kind == "collective"; });
    REQUIRE(collective != rows.end());
    CHECK(collective->key == "nccl all_reduce bf16 size_bytes=1024 ranks=8");
    CHECK(collective->unit == "GBps (bus)");
}
