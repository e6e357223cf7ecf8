#pragma once
// What the report's SVG charts share (svg_chart.cpp: bars; svg_scatter.cpp: Pareto fronts):
// numbers as attributes, the palette, round axis ticks, text elements and the <svg> wrapper.
// Coordinates depend only on the chart's data, so a report renders byte for byte the same.
#include <cstddef>
#include <string>

namespace moesim::report::svg {

// A mean glyph width of a 12 px sans-serif font, generous so that measured text ends inside
// the chart (48-character labels at 6 px overflowed, seen in a headless-Chromium screenshot).
inline constexpr double kGlyphWidth12 = 7;

std::string num(double value);  // "%.1f": coordinates
const char* colour(int series);
// A round step for about four intervals over `span` (> 0): 1, 2 or 5 times a power of ten.
double tick_step(double span);
// `value` with as many decimals as `step` needs; thousands grouped ("800,000") with `grouped`.
std::string tick_label(double value, double step, bool grouped = false);
// At most `max_chars` characters, the rest replaced by "…".
std::string fitted(const std::string& text, std::size_t max_chars);
std::string text(double x, double y, const std::string& content, const std::string& attributes = "");
std::string line(double x1, double y1, double x2, double y2, const std::string& attributes = "stroke=\"#666\"");
// The <svg> element around `body`, `title` as its accessible name.
std::string svg_element(double width, double height, const std::string& title, const std::string& body);

}  // namespace moesim::report::svg
