#pragma once
// The Pareto front of a set of points on two objectives (`moesim report sweep`): a point is
// on the front when no other eligible point is at least as good on both objectives and
// strictly better on one. Points that tie exactly (same x, same y) do not dominate each
// other, so all of them are on the front or none is. An ineligible point (a serving run that
// missed its SLO, a layout over memory) neither is on the front nor pushes another off it.
// Quadratic in the points: a sweep holds hundreds, not millions.
#include <span>
#include <vector>

namespace moesim::report {

enum class Sense { Minimize, Maximize };

struct ParetoPoint {
    double x = 0, y = 0;
    bool eligible = true;
};

// true: `a` is at least as good as `b` on both objectives and better on one.
bool dominates(const ParetoPoint& a, const ParetoPoint& b, Sense x, Sense y);

// One flag per point, in the points' order. A non-finite coordinate makes a point
// ineligible.
std::vector<bool> pareto_front(std::span<const ParetoPoint> points, Sense x, Sense y);

}  // namespace moesim::report
