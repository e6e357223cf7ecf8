// Every row of the scenario range table (scenario_ranges.cpp) is enforced at its JSON path:
// the test walks the table itself, so a new row is a new case. Plus the work budgets.
#include <algorithm>
#include <cmath>
#include <string>

#include <fstream>
#include <iterator>

#include "moesim/hw/calibration_ranges.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/workload/model_config_ranges.h"
#include "moesim/workload/scenario_ranges.h"
#include "scenario_test_helpers.h"

using namespace scenario_test;
using namespace moesim::workload;

namespace {

// A concrete path for a row ("*" → the decode pool or the input-length distribution) and a
// valid document that reaches it (the kinds that own the key selected).
std::pair<std::string, json> host_for(const std::string& pattern) {
    std::string path = pattern;
    const bool traffic = path.rfind("/inference/traffic/*/", 0) == 0;
    if (const auto star = path.find('*'); star != std::string::npos)
        path.replace(star, 1, traffic ? "input_tokens" : path.rfind("/parallelism", 0) == 0 ? "0" : "decode");
    json doc = path.rfind("/inference", 0) == 0 ? inference_doc() : training_doc();
    if (path.ends_with("/alpha")) doc = with(doc, "/training/moe/expert_load/kind", "zipf");
    if (path.ends_with("/concentration")) doc = with(doc, "/training/moe/expert_load/kind", "dirichlet");
    if (traffic && (path.ends_with("/min") || path.ends_with("/max")))
        doc = with(with(with(doc, "/inference/traffic/input_tokens/dist", "uniform"),
                        "/inference/traffic/input_tokens/min", 1),
                   "/inference/traffic/input_tokens/max", 1);
    return {path, doc};
}

// The range error of `doc` at `path`, or "" when parsing passes that key.
std::string range_error_at(const json& doc, const std::string& path) {
    try {
        parse(doc);
    } catch (const moesim::ScenarioError& e) {
        if (e.json_path() == path) return e.message();
    }
    return "";
}

}  // namespace

TEST_CASE("every scenario range row refuses values just outside it, naming the path", "[workload][ranges]") {
    for (const auto& row : scenario_ranges()) {
        const auto [path, doc] = host_for(row.path);
        INFO("row " << row.path << " as " << path);
        const double above = row.max >= 1 ? std::max(row.max + 1, row.max * (1 + 1e-9)) : row.max * 1.5 + 0.01;
        const std::string over = range_error_at(with(doc, path, above), path);
        CHECK_THAT(over, Catch::Contains("must be"));
        if (row.max < 1e15) CHECK_THAT(over, Catch::Contains(moesim::show_bound(row.max)));
        if (row.min > 0) {
            const double below = row.min >= 1 ? row.min - 1 : row.min / 2;
            CHECK_THAT(range_error_at(with(doc, path, below), path), Catch::Contains("must be"));
        }
        // The bounds themselves are inside the range.
        CHECK_THAT(range_error_at(with(doc, path, row.max), path), !Catch::Contains("must be in"));
        CHECK_THAT(range_error_at(with(doc, path, row.min), path), !Catch::Contains("must be in"));
    }
}

TEST_CASE("the issue's extreme values are refused with their path", "[workload][ranges]") {
    require_rejected(with(inference_doc(), "/inference/traffic/requests_per_s", 5e-324),
                     "/inference/traffic/requests_per_s", {"must be in [1e-6, 1e6]"});
    require_rejected(with(inference_doc(), "/inference/traffic/input_tokens/sigma", 1e308),
                     "/inference/traffic/input_tokens/sigma", {"must be in", "10]"});
    require_rejected(with(training_doc(), "/cluster/network/nic_Gbps", 5e-324), "/cluster/network/nic_Gbps",
                     {"must be in [0.001, 1e6]"});
    require_rejected(with(training_doc(), "/training/global_batch_size", 2147483648.0), "/training/global_batch_size",
                     {"must be in [1, 2^24]"});
}

TEST_CASE("serving traffic over the request budget is refused with the estimate", "[workload][ranges]") {
    const json doc = with(with(inference_doc(), "/inference/traffic/requests_per_s", 1e5),
                          "/inference/traffic/duration_s", 600);
    require_rejected(doc, "/inference/traffic/requests_per_s", {"about 60000000 simulated requests", "budget of 10000000"});
    // Just inside the budget passes.
    CHECK_NOTHROW(parse(with(with(inference_doc(), "/inference/traffic/requests_per_s", 1e4),
                             "/inference/traffic/duration_s", 1000)));
}

TEST_CASE("a training schedule over the event budget is refused with the estimate", "[workload][ranges]") {
    // 2^24 sequences / (dp 8 · 1) = 2^21 micro-batches, · pp 4 · 1 chunk · 2 (fwd, bwd) · 2 steps.
    const json doc = with(training_doc(), "/training/global_batch_size", 16777216);
    require_rejected(doc, "/training/global_batch_size", {"about 33554432 events", "budget of 10000000 events"});
}

TEST_CASE("scenarios/README.md lists every range row with its bounds", "[workload][ranges]") {
    std::ifstream in(std::string(MOESIM_SOURCE_DIR) + "/scenarios/README.md");
    const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto listed = [&](std::span<const moesim::ValueRange> table) {
        for (const auto& r : table) {
            const std::string line = std::string("| `") + r.path + "` | [" + moesim::show_bound(r.min) + ", " +
                                     moesim::show_bound(r.max) + "] |";
            INFO(line);
            CHECK(readme.find(line) != std::string::npos);
        }
    };
    listed(scenario_ranges());
    listed(model_config_ranges());
    listed(moesim::hw::gpu_spec_ranges());
    listed(moesim::hw::calibration_ranges());
}
