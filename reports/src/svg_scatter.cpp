// A scatter chart as one <svg> element (a sweep's Pareto front): linear axes with round
// ticks and their titles, the front's points solid and joined in x order, dominated points
// faded, excluded points hollow, and labels put where they overlap no other label or point.
// Coordinates depend only on the chart's data, so the same report renders byte for byte the
// same.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/reports/render.h"
#include "moesim/reports/report_format.h"
#include "svg_parts.h"

namespace moesim::report {

namespace {

using svg::num;
using svg::text;

constexpr double kWidth = 820, kHeight = 520;
constexpr double kLeft = 84, kRight = 770, kTop = 58, kBottom = 450;  // the plot area (room right for a tick label)
constexpr double kRadius = 5;
constexpr double kLabelFont = 10;
constexpr double kGlyph = svg::kGlyphWidth12 * kLabelFont / 12;
constexpr std::size_t kLabelChars = 80;

struct Axis {
    double lo = 0, hi = 1, step = 1;
};

// Round ends around the values, with a little room so that no point sits on an axis line.
Axis axis_of(double lo, double hi) {
    const bool non_negative = lo >= 0;
    if (hi - lo <= std::fabs(hi) * 1e-12) {
        const double pad = hi != 0 ? std::fabs(hi) * 0.05 : 1;
        lo -= pad, hi += pad;
    }
    const double room = 0.05 * (hi - lo);
    lo -= room, hi += room;
    if (non_negative) lo = std::max(lo, 0.0);
    Axis a;
    a.step = svg::tick_step(hi - lo);
    a.lo = std::floor(lo / a.step + 1e-9) * a.step;
    a.hi = std::ceil(hi / a.step - 1e-9) * a.step;
    return a;
}

struct Box {
    double x0, y0, x1, y1;
    bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

struct Placed {
    std::string text, anchor;
    double x, y;
    Box box;
};

class Labels {
public:
    explicit Labels(std::vector<Box> points) : occupied_(std::move(points)) {}

    // The first spot around (px, py) where `label` overlaps no label or point and stays in the
    // plot: beside the point, above or below it, then (`far`: a front's label, whose points
    // may crowd) stacked up to four lines further up or down. False, and nothing drawn, when
    // none is free: a label never covers another.
    bool place(const std::string& label, double px, double py, bool far) {
        struct Spot {
            double dx, dy;
            bool start;
        };
        std::vector<Spot> spots = {{8, 4, true}, {-8, 4, false}, {6, -8, true}, {-6, -8, false}, {6, 16, true},
                                   {-6, 16, false}};
        if (far)
            for (int k = 1; k <= 4; ++k)
                for (double sign : {-1.0, 1.0}) {
                    spots.push_back({8, 4 + sign * (kLabelFont + 2) * (k + 1), true});
                    spots.push_back({-8, 4 + sign * (kLabelFont + 2) * (k + 1), false});
                }
        const double width = kGlyph * static_cast<double>(glyph_count(label));
        for (const Spot& s : spots) {
            const double x = px + s.dx, y = py + s.dy;
            const Box box{s.start ? x : x - width, y - kLabelFont + 1, s.start ? x + width : x, y + 3};
            if (box.x0 < kLeft + 2 || box.x1 > kWidth - 2 || box.y0 < kTop - 12 || box.y1 > kBottom - 1) continue;
            if (std::any_of(occupied_.begin(), occupied_.end(), [&](const Box& o) { return box.overlaps(o); })) continue;
            occupied_.push_back(box);
            placed_.push_back({label, s.start ? "start" : "end", x, y, box});
            return true;
        }
        return false;
    }

    std::string svg() const {
        std::string out;
        for (const Placed& p : placed_)
            out += text(p.x, p.y, p.text,
                        "class=\"label\" font-size=\"" + num(kLabelFont) + "\" text-anchor=\"" + p.anchor + "\"");
        return out;
    }

private:
    std::vector<Box> occupied_;
    std::vector<Placed> placed_;
};

const char* kind_class(PointKind kind) {
    switch (kind) {
        case PointKind::Front: return "front";
        case PointKind::Dominated: return "dominated";
        case PointKind::Excluded: return "excluded";
    }
    return "";
}

// "towards the lower left" for two objectives to minimise.
std::string better_direction(const ScatterChart& chart) {
    return std::string("better towards the ") + (chart.y_lower_is_better ? "bottom" : "top") + " " +
           (chart.x_lower_is_better ? "left" : "right");
}

std::string swatch(double x, double y, const std::string& circle_attributes, const std::string& name) {
    return "<circle cx=\"" + num(x + 5) + "\" cy=\"" + num(y - 4) + "\" r=\"" + num(kRadius) + "\" " +
           circle_attributes + "/>\n" + text(x + 14, y, name);
}

}  // namespace

std::string svg_scatter_chart(const ScatterChart& chart) {
    MOESIM_CHECK(!chart.points.empty(), "chart \"" + chart.title + "\" has no points");
    double x_lo = chart.points.front().x, x_hi = x_lo, y_lo = chart.points.front().y, y_hi = y_lo;
    for (const ScatterPoint& p : chart.points) {
        MOESIM_CHECK(std::isfinite(p.x) && std::isfinite(p.y),
                     "chart \"" + chart.title + "\": point " + p.id + " is not finite");
        x_lo = std::min(x_lo, p.x), x_hi = std::max(x_hi, p.x);
        y_lo = std::min(y_lo, p.y), y_hi = std::max(y_hi, p.y);
    }
    const Axis ax = axis_of(x_lo, x_hi), ay = axis_of(y_lo, y_hi);
    auto px = [&](double x) { return kLeft + (x - ax.lo) / (ax.hi - ax.lo) * (kRight - kLeft); };
    auto py = [&](double y) { return kBottom - (y - ay.lo) / (ay.hi - ay.lo) * (kBottom - kTop); };
    const char* blue = svg::colour(0);
    const std::string front_style = std::string("fill=\"") + blue + "\" stroke=\"#fff\" stroke-width=\"1\"";
    const std::string dominated_style = std::string("fill=\"") + blue + "\" fill-opacity=\"0.25\" stroke=\"none\"";
    const std::string excluded_style = "fill=\"none\" stroke=\"#999\" stroke-width=\"1.2\"";

    std::string body = text(0, 18, chart.title, "font-weight=\"bold\" font-size=\"14\"");
    // Legend.
    double lx = 0;
    body += swatch(lx, 40, front_style, "Pareto front"), lx += 110;
    body += swatch(lx, 40, dominated_style, "dominated"), lx += 95;
    const bool any_excluded = std::any_of(chart.points.begin(), chart.points.end(),
                                          [](const ScatterPoint& p) { return p.kind == PointKind::Excluded; });
    if (any_excluded) {
        const std::string name = "excluded: " + chart.excluded_legend;
        body += swatch(lx, 40, excluded_style, name);
        lx += 24 + svg::kGlyphWidth12 * static_cast<double>(glyph_count(name));
    }
    body += text(kWidth - 2, 40, better_direction(chart), "text-anchor=\"end\" fill=\"#555\"");

    // Grid, ticks and axes.
    for (int k = 0; k <= static_cast<int>(std::lround((ax.hi - ax.lo) / ax.step)); ++k) {
        const double v = ax.lo + k * ax.step, x = px(v);
        body += svg::line(x, kTop, x, kBottom, "stroke=\"#eee\"");
        body += svg::line(x, kBottom, x, kBottom + 4);
        body += text(x, kBottom + 17, svg::tick_label(v, ax.step, true), "text-anchor=\"middle\"");
    }
    for (int k = 0; k <= static_cast<int>(std::lround((ay.hi - ay.lo) / ay.step)); ++k) {
        const double v = ay.lo + k * ay.step, y = py(v);
        body += svg::line(kLeft, y, kRight, y, "stroke=\"#eee\"");
        body += svg::line(kLeft - 4, y, kLeft, y);
        body += text(kLeft - 7, y + 4, svg::tick_label(v, ay.step, true), "text-anchor=\"end\"");
    }
    body += svg::line(kLeft, kBottom, kRight, kBottom);
    body += svg::line(kLeft, kTop, kLeft, kBottom);
    body += text((kLeft + kRight) / 2, kBottom + 38, chart.x_title, "text-anchor=\"middle\"");
    const double mid = (kTop + kBottom) / 2;
    body += text(16, mid, chart.y_title,
                 "text-anchor=\"middle\" transform=\"rotate(-90 16 " + num(mid) + ")\"");

    // The front's line, in x order (ties by y).
    std::vector<const ScatterPoint*> front;
    for (const ScatterPoint& p : chart.points)
        if (p.kind == PointKind::Front) front.push_back(&p);
    std::stable_sort(front.begin(), front.end(), [](const ScatterPoint* a, const ScatterPoint* b) {
        return a->x != b->x ? a->x < b->x : a->y < b->y;
    });
    if (front.size() > 1) {
        std::string points;
        for (const ScatterPoint* p : front) points += (points.empty() ? "" : " ") + num(px(p->x)) + "," + num(py(p->y));
        body += "<polyline class=\"front-line\" points=\"" + points + "\" fill=\"none\" stroke=\"" + blue +
                "\" stroke-width=\"1.5\"/>\n";
    }

    // Points: excluded and dominated first, the front on top.
    std::vector<Box> point_boxes;
    for (const ScatterPoint& p : chart.points)
        point_boxes.push_back({px(p.x) - kRadius, py(p.y) - kRadius, px(p.x) + kRadius, py(p.y) + kRadius});
    for (PointKind kind : {PointKind::Excluded, PointKind::Dominated, PointKind::Front})
        for (const ScatterPoint& p : chart.points) {
            if (p.kind != kind) continue;
            const std::string& style =
                kind == PointKind::Front ? front_style : kind == PointKind::Dominated ? dominated_style : excluded_style;
            body += "<circle class=\"point " + std::string(kind_class(kind)) + "\" cx=\"" + num(px(p.x)) + "\" cy=\"" +
                    num(py(p.y)) + "\" r=\"" + num(kRadius) + "\" data-run=\"" + xml_escape(p.id) + "\" data-x=\"" +
                    exact(p.x) + "\" data-y=\"" + exact(p.y) + "\" " + style + "><title>" + xml_escape(p.tooltip) +
                    "</title></circle>\n";
        }

    // Labels: the front's first, each where it is least crowded; then the others where they
    // are free, their label or else "#" and their id.
    Labels labels(point_boxes);
    for (const ScatterPoint* p : front)
        if (!p->label.empty()) labels.place(svg::fitted(p->label, kLabelChars), px(p->x), py(p->y), true);
    for (const ScatterPoint& p : chart.points) {
        if (p.kind == PointKind::Front) continue;
        if (!p.label.empty() && labels.place(svg::fitted(p.label, kLabelChars), px(p.x), py(p.y), false)) continue;
        labels.place("#" + p.id, px(p.x), py(p.y), false);
    }
    body += labels.svg();
    return svg::svg_element(kWidth, kHeight, chart.title, body);
}

}  // namespace moesim::report
