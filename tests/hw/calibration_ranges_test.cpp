// The calibration-profile range table: every row that appears in the bundled profile is
// enforced wherever its key appears (the test walks the table and the document).
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "moesim/common/error.h"
#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/calibration_ranges.h"

using nlohmann::json;
using namespace moesim::hw;

TEST_CASE("every calibration range row found in the bundled profile is enforced there", "[hw][ranges]") {
    const json profile =
        json::parse(std::ifstream(std::string(MOESIM_SOURCE_DIR) + "/calibrations/h800-published.json"));
    int tried = 0;
    for (const auto& row : calibration_ranges()) {
        const std::string key = std::string(row.path).substr(1);
        // The first place the key holds a number.
        std::string where;
        std::function<void(const json&, const std::string&)> find = [&](const json& j, const std::string& at) {
            if (!where.empty()) return;
            if (j.is_object()) {
                for (const auto& [k, v] : j.items()) {
                    if (k == key && v.is_number() && where.empty()) where = at + "/" + k;
                    find(v, at + "/" + k);
                }
            } else if (j.is_array()) {
                for (std::size_t i = 0; i < j.size(); ++i) find(j[i], at + "/" + std::to_string(i));
            }
        };
        find(profile, "");
        if (where.empty()) continue;
        ++tried;
        INFO("row " << row.path << " at " << where);
        json bad = profile;
        bad[json::json_pointer(where)] = row.max * 2 + 1;
        try {
            CalibrationProfile::from_json(bad, "p.json");
            FAIL("accepted");
        } catch (const moesim::CalibrationError& e) {
            CHECK_THAT(e.what(), Catch::Contains(where + ": must be in ["));
        }
    }
    CHECK(tried >= 10);
}
