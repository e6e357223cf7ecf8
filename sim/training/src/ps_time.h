#pragma once
// Internal to sim/training: seconds of the cost model to and from the engines' integer
// picoseconds (STYLE.md 2), rounded once per activity.
#include <cmath>

#include "moesim/common/error.h"
#include "moesim/common/units.h"

namespace moesim::training::detail {

inline units::Picoseconds to_ps(double seconds) {
    MOESIM_CHECK(seconds >= 0 && std::isfinite(seconds), "simulation: a duration is negative or not finite");
    return static_cast<units::Picoseconds>(std::llround(seconds * static_cast<double>(units::kPsPerSecond)));
}
inline double to_s(units::Picoseconds ps) { return static_cast<double>(ps) / static_cast<double>(units::kPsPerSecond); }

}  // namespace moesim::training::detail
