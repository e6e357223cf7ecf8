// A run handed between processes (run_wire.h; the ranks of `mpirun … moesim sweep`): what
// comes out is what went in, every stored field, doubles bit for bit, infinities and NaN
// included; a wire document that is not one is an internal error, not a wrong run.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "moesim/common/error.h"
#include "moesim/reports/run_wire.h"
#include "report_fixtures.h"
#include "same_run.h"

using namespace moesim::report;
using moesim::report::test::check_same;
using nlohmann::json;

namespace {

// Through text, as it travels.
PendingRun through_wire(const PendingRun& run) { return run_from_wire(json::parse(run_to_wire(run).dump())); }

void check_record_extras(const RunRecord& a, const RunRecord& b) {
    CHECK(a.fidelity == b.fidelity);
    CHECK(a.label == b.label);
    CHECK(a.sweep_id == b.sweep_id);
}

}  // namespace

TEST_CASE("run wire: a training run comes back field for field, doubles bit for bit", "[report]") {
    PendingRun run{test::sample_record("v3 [tp=2]", "training"), test::sample_training()};
    run.record.overrides = {"/parallelism/tp=2", "/seed=7"};
    run.record.label = "v3 [tp=2, seed=7]";
    run.record.sweep_id = 3;
    run.record.calibration_id = 5;
    run.record.fidelity = "event";
    auto& t = std::get<moesim::training::TrainingResult>(run.result);
    t.step_time_s = 0.1 + 0.2;  // not the shortest decimal of anything near it
    t.mfu = std::nextafter(0.4, 1.0);
    t.wall_days = std::numeric_limits<double>::infinity();
    t.cost_usd = -std::numeric_limits<double>::infinity();
    t.memory_headroom_GB.reset();
    const PendingRun back = through_wire(run);
    check_same(back.record, run.record);
    check_record_extras(back.record, run.record);
    REQUIRE(std::holds_alternative<moesim::training::TrainingResult>(back.result));
    CHECK(std::get<moesim::training::TrainingResult>(back.result) == t);  // every field, bit for bit

    t.fp8_utilization = std::numeric_limits<double>::quiet_NaN();
    const auto nan_back = std::get<moesim::training::TrainingResult>(through_wire(run).result);
    CHECK(std::isnan(nan_back.fp8_utilization));
}

TEST_CASE("run wire: a serving run and a calibration come back field for field", "[report]") {
    PendingRun run{test::sample_record("v3-serving", "inference"), test::sample_inference()};
    run.record.sweep_id.reset();
    auto& s = std::get<moesim::inference::InferenceResult>(run.result);
    s.ttft_ms.p99 = 1.0 / 3.0;
    s.slo_met = false;
    s.slo_missed = "ttft_p99_ms";
    s.requests_rejected.reset();
    const PendingRun back = through_wire(run);
    check_same(back.record, run.record);
    check_record_extras(back.record, run.record);
    REQUIRE(std::holds_alternative<moesim::inference::InferenceResult>(back.result));
    check_same(std::get<moesim::inference::InferenceResult>(back.result), s);

    const CalibrationRecord c{"published-h800", "H800", R"({"schema": 1})", "published: PUBLISHED.md"};
    const CalibrationRecord c_back = calibration_from_wire(json::parse(calibration_to_wire(c).dump()));
    CHECK(c_back.name == c.name);
    CHECK(c_back.gpu == c.gpu);
    CHECK(c_back.profile_json == c.profile_json);
    CHECK(c_back.provenance == c.provenance);
}

TEST_CASE("run wire: a document that is not a run is an internal error", "[report]") {
    json wire = run_to_wire({test::sample_record("a", "training"), test::sample_training()});
    wire["result"]["columns"].erase("mfu");
    CHECK_THROWS_AS(run_from_wire(wire), moesim::InternalError);
    wire = run_to_wire({test::sample_record("a", "training"), test::sample_training()});
    wire["result"]["mode"] = "juggling";
    CHECK_THROWS_AS(run_from_wire(wire), moesim::InternalError);
    wire = run_to_wire({test::sample_record("a", "training"), test::sample_training()});
    wire["result"]["columns"]["mfu"] = "lots";
    CHECK_THROWS_AS(run_from_wire(wire), moesim::InternalError);
}
