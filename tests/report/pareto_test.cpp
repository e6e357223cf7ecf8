// The Pareto front of `moesim report sweep` (pareto.h): hand cases whose fronts can be read
// off a sketch, ties, excluded and non-finite points, and the definition checked on random
// points.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "moesim/reports/pareto.h"

using moesim::report::dominates;
using moesim::report::pareto_front;
using moesim::report::ParetoPoint;
using moesim::report::Sense;

TEST_CASE("pareto: both minimised, the staircase from the lower left", "[report][pareto]") {
    //  y
    //  5  a
    //  4        c
    //  3     b
    //  1           d
    //     1  2  3  4  x     c is beaten by b (lower x, lower y); a, b, d trade one for the other
    const std::vector<ParetoPoint> points = {{1, 5}, {2, 3}, {3, 4}, {4, 1}};
    CHECK(pareto_front(points, Sense::Minimize, Sense::Minimize) == std::vector<bool>{true, true, false, true});
    // Maximising y instead, the upper left wins: a (x 1, y 5) beats everything else.
    CHECK(pareto_front(points, Sense::Minimize, Sense::Maximize) == std::vector<bool>{true, false, false, false});
    // Maximising both: a has the most y, d the most x, c beats b on both.
    CHECK(pareto_front(points, Sense::Maximize, Sense::Maximize) == std::vector<bool>{true, false, true, true});
}

TEST_CASE("pareto: ties", "[report][pareto]") {
    // The same point twice: neither beats the other, so both are on the front.
    CHECK(pareto_front(std::vector<ParetoPoint>{{2, 3}, {2, 3}, {3, 4}}, Sense::Minimize, Sense::Minimize) ==
          std::vector<bool>{true, true, false});
    // Equal on x, better on y: the better one dominates.
    CHECK(pareto_front(std::vector<ParetoPoint>{{1, 5}, {1, 4}}, Sense::Minimize, Sense::Minimize) ==
          std::vector<bool>{false, true});
    // Equal on y, better on x.
    CHECK(pareto_front(std::vector<ParetoPoint>{{1, 4}, {2, 4}}, Sense::Minimize, Sense::Minimize) ==
          std::vector<bool>{true, false});
    CHECK_FALSE(dominates({2, 3}, {2, 3}, Sense::Minimize, Sense::Minimize));
    CHECK(dominates({2, 3}, {2, 4}, Sense::Minimize, Sense::Minimize));
    CHECK_FALSE(dominates({2, 3}, {2, 4}, Sense::Minimize, Sense::Maximize));
}

TEST_CASE("pareto: an excluded or non-finite point is never on the front and pushes none off", "[report][pareto]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // (0, 0) would beat both others, but it is excluded (a run that missed its SLO).
    std::vector<ParetoPoint> points = {{0, 0, false}, {1, 2}, {2, 1}};
    CHECK(pareto_front(points, Sense::Minimize, Sense::Minimize) == std::vector<bool>{false, true, true});
    points = {{nan, 0}, {1, 2}, {2, std::numeric_limits<double>::infinity()}};
    CHECK(pareto_front(points, Sense::Minimize, Sense::Minimize) == std::vector<bool>{false, true, false});
    CHECK(pareto_front(std::vector<ParetoPoint>{}, Sense::Minimize, Sense::Minimize).empty());
}

TEST_CASE("pareto: on random points, the front is exactly the undominated points", "[report][pareto]") {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> coord(0, 9);  // small range: many ties
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<ParetoPoint> points(20);
        for (auto& p : points) p = {double(coord(rng)), double(coord(rng)), coord(rng) > 0};
        for (Sense sx : {Sense::Minimize, Sense::Maximize})
            for (Sense sy : {Sense::Minimize, Sense::Maximize}) {
                const auto front = pareto_front(points, sx, sy);
                std::size_t on = 0;
                for (std::size_t i = 0; i < points.size(); ++i) {
                    bool beaten = false;
                    for (const auto& q : points) beaten = beaten || (q.eligible && dominates(q, points[i], sx, sy));
                    CHECK(front[i] == (points[i].eligible && !beaten));
                    on += front[i];
                }
                // At least one eligible point exists in practice, so the front is never empty.
                if (std::any_of(points.begin(), points.end(), [](const auto& p) { return p.eligible; })) CHECK(on > 0);
            }
    }
}
