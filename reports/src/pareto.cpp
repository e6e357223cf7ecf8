#include "moesim/reports/pareto.h"

#include <cmath>

namespace moesim::report {

namespace {

// How much better `a` is than `b` along one objective: > 0 better, 0 tie, < 0 worse.
int compare(double a, double b, Sense sense) {
    if (a == b) return 0;
    return (sense == Sense::Minimize) == (a < b) ? 1 : -1;
}

bool usable(const ParetoPoint& p) { return p.eligible && std::isfinite(p.x) && std::isfinite(p.y); }

}  // namespace

bool dominates(const ParetoPoint& a, const ParetoPoint& b, Sense x, Sense y) {
    const int on_x = compare(a.x, b.x, x), on_y = compare(a.y, b.y, y);
    return on_x >= 0 && on_y >= 0 && (on_x > 0 || on_y > 0);
}

std::vector<bool> pareto_front(std::span<const ParetoPoint> points, Sense x, Sense y) {
    std::vector<bool> front(points.size(), false);
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (!usable(points[i])) continue;
        bool dominated = false;
        for (std::size_t j = 0; j < points.size() && !dominated; ++j)
            dominated = j != i && usable(points[j]) && dominates(points[j], points[i], x, y);
        front[i] = !dominated;
    }
    return front;
}

}  // namespace moesim::report
