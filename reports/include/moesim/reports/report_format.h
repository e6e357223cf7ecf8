#pragma once
// Number formatting shared by the report builders: the same figure reads the same in
// Markdown and HTML, and CSV gets the value itself.
#include <cstddef>
#include <string>
#include <string_view>

namespace moesim::report {

// 1234567.891, 2 -> "1,234,567.89"
std::string grouped(double value, int decimals);
// 0.87, 4 -> "$0.8700"; -12.5, 2 -> "-$12.50"
std::string usd(double value, int decimals);
// 0.391 -> "39.1%"
std::string percent(double fraction, int decimals = 1);
// Text that reads back as the same double, for CSV: whole numbers below 10^15 in full
// ("7400000000000"), others the shortest that round-trips ("0.1", "1e-07", "1e+20").
std::string exact(double value);
// Characters in UTF-8 text (code points), for columns and labels: "€1" -> 2.
std::size_t glyph_count(std::string_view text);

}  // namespace moesim::report
