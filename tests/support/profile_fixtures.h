#pragma once
// The shipped H800 profile as a JSON document, for tests that load a mutated copy of it.
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace moesim::test {

inline nlohmann::json shipped_profile_json() {
    std::ifstream in(std::string(MOESIM_SOURCE_DIR) + "/calibrations/h800-published.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
}

}  // namespace moesim::test
