#pragma once
// Internal to calibrate: small text helpers shared by the fits, the derivation and the trace reader.
#include <algorithm>
#include <cctype>
#include <string>

namespace moesim::calib::detail {

inline std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

inline std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

}  // namespace moesim::calib::detail
