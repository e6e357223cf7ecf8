// Every numeric GPU-spec key has a range (gpu_spec.cpp's field table): the test walks
// gpu_spec_ranges(), so a new field is a new case.
#include <catch2/catch.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "moesim/common/error.h"
#include "moesim/hw/gpu_spec.h"

using nlohmann::json;
using namespace moesim::hw;

namespace {

std::string error_at(const json& doc, const std::string& path) {
    try {
        parse_gpu_spec(doc, "g.json");
    } catch (const moesim::ScenarioError& e) {
        if (e.json_path() == path) return e.message();
    }
    return "";
}

}  // namespace

TEST_CASE("every GPU-spec range row refuses values outside it, naming the key", "[hw][ranges]") {
    const json h800 = json::parse(std::ifstream(std::string(MOESIM_SOURCE_DIR) + "/hw_models/gpus/H800.json"));
    REQUIRE(!gpu_spec_ranges().empty());
    for (const auto& row : gpu_spec_ranges()) {
        INFO("row " << row.path);
        const json::json_pointer p(row.path);
        json over = h800;
        over[p] = row.max < 1 ? row.max + 0.005 : row.max * 2;
        CHECK_THAT(error_at(over, row.path), Catch::Contains("must be in ["));
        json tiny = h800;
        tiny[p] = row.min > 0 ? 5e-324 : -1.0;
        CHECK_THAT(error_at(tiny, row.path), Catch::Contains("must be in ["));
        json at_max = h800;
        at_max[p] = row.max;
        CHECK(error_at(at_max, row.path).empty());
    }
}
