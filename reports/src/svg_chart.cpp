// A horizontal bar chart as one <svg> element: labels on the left, bars on a linear axis
// from zero, the value printed after each bar, a legend for the series. Coordinates depend
// only on the chart's data, so the same report renders byte for byte the same.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "moesim/common/error.h"
#include "moesim/reports/render.h"

namespace moesim::report {

namespace {

constexpr double kWidth = 820;
constexpr double kLabelWidth = 320;  // bar labels, right-aligned against the axis
constexpr double kBarSpan = 380;     // the longest bar
constexpr double kRowHeight = 18;
constexpr double kBarHeight = 13;
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2"};

std::string num(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    return buffer;
}

const char* colour(int series) {
    constexpr int count = static_cast<int>(std::size(kPalette));
    return kPalette[((series % count) + count) % count];
}

// A round step for about four intervals up to `max_value`: 1, 2 or 5 times a power of ten.
double tick_step(double max_value) {
    const double rough = max_value / 4;
    const double power = std::pow(10.0, std::floor(std::log10(rough)));
    for (double factor : {1.0, 2.0, 5.0})
        if (factor * power >= rough) return factor * power;
    return 10 * power;
}

std::string tick_label(double value, double step) {
    const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

// A bar label that fits left of the axis: at most kLabelChars characters (UTF-8 aware), the
// rest replaced by "…"; the bar's tooltip keeps the whole label.
// 7 px: a generous mean glyph width of a 12 px sans-serif font, so the longest label still
// ends inside the SVG (48 characters overflowed the left edge, seen in a headless-Chromium
// screenshot of `report training --format html`).
constexpr std::size_t kLabelChars = static_cast<std::size_t>((kLabelWidth - 6) / 7);
std::string fitted(const std::string& label) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < label.size(); ++i) {
        if ((static_cast<unsigned char>(label[i]) & 0xC0) == 0x80) continue;  // continuation byte
        if (++chars > kLabelChars) return label.substr(0, i) + "…";
    }
    return label;
}

std::string text(double x, double y, const std::string& content, const std::string& attributes = "") {
    return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\"" + (attributes.empty() ? "" : " " + attributes) + ">" +
           xml_escape(content) + "</text>\n";
}

}  // namespace

std::string svg_bar_chart(const BarChart& chart) {
    double max_value = 0;
    for (const BarGroup& group : chart.groups)
        for (const Bar& bar : group.bars) {
            MOESIM_CHECK(std::isfinite(bar.value) && bar.value >= 0,
                         "chart \"" + chart.title + "\": bar \"" + bar.label + "\" has no length");
            max_value = std::max(max_value, bar.value);
        }
    const double step = max_value > 0 ? tick_step(max_value) : 1;
    const double axis_max = max_value > 0 ? std::ceil(max_value / step - 1e-9) * step : 1;
    const double scale = kBarSpan / axis_max;

    std::string body;
    double y = 24;
    body += text(0, y - 6, chart.title, "font-weight=\"bold\" font-size=\"14\"");
    double legend_x = 0;
    y += 8;
    for (std::size_t s = 0; s < chart.series.size(); ++s) {
        body += "<rect x=\"" + num(legend_x) + "\" y=\"" + num(y) + "\" width=\"10\" height=\"10\" fill=\"" +
                colour(static_cast<int>(s)) + "\"/>\n";
        body += text(legend_x + 14, y + 9, chart.series[s]);
        legend_x += 24 + 7.0 * static_cast<double>(chart.series[s].size());
    }
    y += 22;
    const double plot_top = y;
    for (const BarGroup& group : chart.groups) {
        if (!group.label.empty()) {
            body += text(0, y + 13, group.label, "font-weight=\"bold\"");
            y += kRowHeight;
        }
        for (const Bar& bar : group.bars) {
            const double length = bar.value * scale;
            body += text(kLabelWidth - 6, y + 11, fitted(bar.label), "text-anchor=\"end\"");
            body += "<rect x=\"" + num(kLabelWidth) + "\" y=\"" + num(y + 1) + "\" width=\"" + num(length) +
                    "\" height=\"" + num(kBarHeight) + "\" fill=\"" + colour(bar.series) + "\"><title>" +
                    xml_escape(bar.label + ": " + bar.value_text) + "</title></rect>\n";
            body += text(kLabelWidth + length + 4, y + 11, bar.value_text);
            y += kRowHeight;
        }
        y += 6;
    }
    // The axis: a baseline, ticks, and the unit under them.
    body += "<line x1=\"" + num(kLabelWidth) + "\" y1=\"" + num(plot_top) + "\" x2=\"" + num(kLabelWidth) +
            "\" y2=\"" + num(y) + "\" stroke=\"#666\"/>\n";
    body += "<line x1=\"" + num(kLabelWidth) + "\" y1=\"" + num(y) + "\" x2=\"" + num(kLabelWidth + kBarSpan) +
            "\" y2=\"" + num(y) + "\" stroke=\"#666\"/>\n";
    const int ticks = static_cast<int>(std::lround(axis_max / step));
    for (int k = 0; k <= ticks; ++k) {
        const double tick = k * step;
        const double x = kLabelWidth + tick * scale;
        body += "<line x1=\"" + num(x) + "\" y1=\"" + num(y) + "\" x2=\"" + num(x) + "\" y2=\"" + num(y + 4) +
                "\" stroke=\"#666\"/>\n";
        body += text(x, y + 16, tick_label(tick, step), "text-anchor=\"middle\"");
    }
    body += text(kLabelWidth + kBarSpan / 2, y + 32, chart.unit, "text-anchor=\"middle\"");
    const double height = y + 40;

    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" + num(height) +
           "\" viewBox=\"0 0 " + num(kWidth) + " " + num(height) + "\" role=\"img\" aria-label=\"" +
           xml_escape(chart.title) + "\" font-family=\"system-ui, sans-serif\" font-size=\"12\">\n" + body +
           "</svg>\n";
}

}  // namespace moesim::report
