// Every row of the model-config range table is enforced: for each row, every bundled model
// that has the key gets it just above the maximum (and below the minimum) and must be
// refused at "/key" with the range. The test walks the table, so a new row is a new case.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "moesim/common/error.h"
#include "moesim/workload/model_config.h"
#include "moesim/workload/model_config_ranges.h"

using nlohmann::json;
using namespace moesim::workload;

namespace {

std::string range_error_at(const json& doc, const std::string& path) {
    try {
        parse_model_config(doc, "m.json");
    } catch (const moesim::ScenarioError& e) {
        if (e.json_path() == path) return e.message();
    }
    return "";
}

}  // namespace

TEST_CASE("every model-config range row refuses values outside it, naming the key", "[workload][ranges]") {
    std::vector<json> models;
    for (const auto& f : std::filesystem::directory_iterator(std::string(MOESIM_SOURCE_DIR) + "/scenarios/models"))
        if (f.path().extension() == ".json") models.push_back(json::parse(std::ifstream(f.path())));
    REQUIRE(models.size() >= 10);
    for (const auto& row : model_config_ranges()) {
        const std::string key = std::string(row.path).substr(1);
        int hosts = 0;
        for (const auto& m : models) {
            if (!m.contains(key) || !m.at(key).is_number()) continue;
            ++hosts;
            INFO("row " << row.path << " in " << m.value("model_type", "?"));
            json over = m;
            over[key] = row.max + 1;
            CHECK_THAT(range_error_at(over, row.path), Catch::Contains("must be in [" + moesim::show_bound(row.min)));
            json huge = m;
            huge[key] = 2147483648.0;
            CHECK_THAT(range_error_at(huge, row.path), Catch::Contains("must be"));
        }
        // sliding_window and the *_experts alternatives live in a few models only; every row
        // has at least one bundled host, so no row goes untested.
        INFO("row " << row.path);
        CHECK(hosts > 0);
    }
}

TEST_CASE("a model value of 1e308 or 2^53 is refused, not cast", "[workload][ranges]") {
    const json m = json::parse(std::ifstream(std::string(MOESIM_SOURCE_DIR) + "/scenarios/models/deepseek-v3.json"));
    for (const double v : {1e308, 9007199254740992.0}) {
        json bad = m;
        bad["intermediate_size"] = v;
        CHECK_THAT(range_error_at(bad, "/intermediate_size"), Catch::Contains("must be"));
    }
}
