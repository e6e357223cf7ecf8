#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>

#include "moesim/reports/json_output.h"
#include "moesim/reports/results_db.h"
#include "report_fixtures.h"

using namespace moesim::report;
namespace training = moesim::training;
namespace inference = moesim::inference;
using nlohmann::json;

namespace {

std::set<std::string> keys(const json& object) {
    std::set<std::string> out;
    for (const auto& item : object.items()) out.insert(item.key());
    return out;
}

// DESIGN.md §6, plus fidelity and assumptions on every run and fp8_utilization beside mfu.
const std::set<std::string> kEveryRun = {"run_id", "name", "mode", "model", "gpu", "gpus", "seed", "sim_wall_s",
                                         "fidelity", "assumptions", "label", "overrides"};

std::set<std::string> with_every_run(std::set<std::string> keys) {
    keys.insert(kEveryRun.begin(), kEveryRun.end());
    return keys;
}

}  // namespace

TEST_CASE("training JSON has exactly the DESIGN §6 keys", "[report]") {
    const RunRecord record = test::sample_record("pretrain", "training");
    const json out = run_to_json(7, record, test::sample_training());
    CHECK(keys(out) == with_every_run({"step_time_s", "tokens_per_step", "tokens_per_s", "tokens_per_s_per_gpu",
                                       "model_flops_per_token", "mfu", "fp8_utilization", "bubble_fraction",
                                       "exposed_comm_s", "peak_memory_GB", "gpu_hours", "cost_usd",
                                       "usd_per_million_tokens", "wall_days", "breakdown",
                                       "memory_headroom_GB", "over_memory"}));
    CHECK(keys(out["exposed_comm_s"]) == std::set<std::string>{"ep", "pp", "dp", "tp"});
    CHECK(out["exposed_comm_s"]["tp"] == 0.044);
    REQUIRE(out["breakdown"].is_array());
    REQUIRE(out["breakdown"].size() == 3);
    CHECK(keys(out["breakdown"][0]) == std::set<std::string>{"phase", "category", "seconds"});
    CHECK(out["breakdown"][1]["category"] == "ep_all_to_all");
    CHECK(out["run_id"] == 7);
    CHECK(out["mode"] == "training");
    CHECK(out["gpus"] == 2048);
    CHECK(out["mfu"] == 0.391);
    CHECK(out["fidelity"] == "analytic");
    CHECK(out["assumptions"] == json::array({"uniform expert load", "no stragglers"}));
}

TEST_CASE("inference JSON has exactly the DESIGN §6 keys", "[report]") {
    const RunRecord record = test::sample_record("serving", "inference");
    const json out = run_to_json(3, record, test::sample_inference());
    CHECK(keys(out) == with_every_run({"prefill_input_tokens_per_s_per_node", "decode_output_tokens_per_s_per_node",
                                       "ttft_ms", "tpot_ms", "requests_completed", "kv_cache_utilization",
                                       "usd_per_million_input_tokens_cache_miss",
                                       "usd_per_million_input_tokens_cache_hit", "usd_per_million_output_tokens",
                                       "requests_per_s", "requests_measured", "requests_unfinished",
                                       "requests_rejected", "output_tokens_decoded", "decode_holds", "slo_met",
                                       "slo_missed"}));
    for (const char* percentiles : {"ttft_ms", "tpot_ms"})
        CHECK(keys(out[percentiles]) == std::set<std::string>{"p50", "p90", "p99"});
    CHECK(out["ttft_ms"]["p99"] == 1930.125);
    CHECK(out["requests_completed"] == 119873);
    CHECK(out["requests_completed"].is_number_integer());
    CHECK(out["fidelity"] == "event");
}

TEST_CASE("JSON of a stored run equals the JSON of the run as recorded", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    const RunRecord training_record = test::sample_record("pretrain", "training");
    const RunRecord serving_record = test::sample_record("serving", "inference");
    const std::int64_t t = db.record_training_run(training_record, test::sample_training());
    const std::int64_t i = db.record_inference_run(serving_record, test::sample_inference());
    CHECK(run_to_json(*db.load_run(t)) == run_to_json(t, training_record, test::sample_training()));
    CHECK(run_to_json(*db.load_run(i)) == run_to_json(i, serving_record, RunResult(test::sample_inference())));
}
