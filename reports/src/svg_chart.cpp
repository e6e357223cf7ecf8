// A horizontal bar chart as one <svg> element: labels on the left, bars on a linear axis
// from zero, the value printed after each bar, a legend for the series. Coordinates depend
// only on the chart's data, so the same report renders byte for byte the same.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "moesim/common/error.h"
#include "moesim/reports/render.h"
#include "svg_parts.h"

namespace moesim::report {

namespace {

using svg::colour;
using svg::num;
using svg::text;

constexpr double kWidth = 820;
constexpr double kLabelWidth = 320;  // bar labels, right-aligned against the axis
constexpr double kBarSpan = 380;     // the longest bar
constexpr double kRowHeight = 18;
constexpr double kBarHeight = 13;

// A bar label fits left of the axis: at most this many characters, the rest replaced by "…";
// the bar's tooltip keeps the whole label.
constexpr std::size_t kLabelChars = static_cast<std::size_t>((kLabelWidth - 6) / svg::kGlyphWidth12);

}  // namespace

std::string svg_bar_chart(const BarChart& chart) {
    double max_value = 0;
    for (const BarGroup& group : chart.groups)
        for (const Bar& bar : group.bars) {
            MOESIM_CHECK(std::isfinite(bar.value) && bar.value >= 0,
                         "chart \"" + chart.title + "\": bar \"" + bar.label + "\" has no length");
            max_value = std::max(max_value, bar.value);
        }
    const double step = max_value > 0 ? svg::tick_step(max_value) : 1;
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
            body += text(kLabelWidth - 6, y + 11, svg::fitted(bar.label, kLabelChars), "text-anchor=\"end\"");
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
        body += text(x, y + 16, svg::tick_label(tick, step), "text-anchor=\"middle\"");
    }
    body += text(kLabelWidth + kBarSpan / 2, y + 32, chart.unit, "text-anchor=\"middle\"");
    const double height = y + 40;

    return svg::svg_element(kWidth, height, chart.title, body);
}

}  // namespace moesim::report
