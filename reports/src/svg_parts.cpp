#include "svg_parts.h"

#include <cmath>
#include <cstdio>
#include <iterator>

#include "moesim/reports/render.h"
#include "moesim/reports/report_format.h"

namespace moesim::report::svg {

namespace {
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2"};
}

std::string num(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    return buffer;
}

const char* colour(int series) {
    constexpr int count = static_cast<int>(std::size(kPalette));
    return kPalette[((series % count) + count) % count];
}

double tick_step(double span) {
    const double rough = span / 4;
    const double power = std::pow(10.0, std::floor(std::log10(rough)));
    for (double factor : {1.0, 2.0, 5.0})
        if (factor * power >= rough) return factor * power;
    return 10 * power;
}

std::string tick_label(double value, double step, bool grouped) {
    const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    if (std::fabs(value) < step * 1e-6) value = 0;  // no "-0.0"
    if (grouped) return report::grouped(value, decimals);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string fitted(const std::string& text, std::size_t max_chars) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
        if (++chars > max_chars) return text.substr(0, i) + "…";
    }
    return text;
}

std::string text(double x, double y, const std::string& content, const std::string& attributes) {
    return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"" + (attributes.empty() ? "" : " " + attributes) + ">" +
           xml_escape(content) + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, const std::string& attributes) {
    return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\" " +
           attributes + "/>\n";
}

std::string svg_element(double width, double height, const std::string& title, const std::string& body) {
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) + "\" height=\"" + num(height) +
           "\" viewBox=\"0 0 " + num(width) + " " + num(height) + "\" role=\"img\" aria-label=\"" + xml_escape(title) +
           "\" font-family=\"system-ui, sans-serif\" font-size=\"12\">\n" + body + "</svg>\n";
}

}  // namespace moesim::report::svg
