#pragma once
// A profile document as written to a file: the top-level keys in the order of
// calibrations/h800-published.json (format, name, gpu, kind, … tables), each point's keys
// shape first and source last, two-space indent, a final newline.
#include <string>

#include <nlohmann/json.hpp>

namespace moesim::calib {

std::string profile_text(const nlohmann::json& doc);

}  // namespace moesim::calib
