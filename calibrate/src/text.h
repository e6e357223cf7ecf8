#pragma once
// Internal to calibrate: small text helpers shared by the fit and the derivation.
#include <algorithm>
#include <cctype>
#include <string>

namespace moesim::calib::detail {

inline std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace moesim::calib::detail
