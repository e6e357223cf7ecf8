#pragma once
// Small number formatting helpers for terminal output.
#include <string>

namespace moesim::cli {

std::string fixed(double value, int decimals);
// 62914560 -> "62.9M", 1.5e12 -> "1.50T"
std::string si(double value, int decimals = 1);
// 1234567.8 -> "1,234,568"
std::string thousands(double value);
std::string percent(double fraction, int decimals = 1);

}  // namespace moesim::cli
