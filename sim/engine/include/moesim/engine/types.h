#pragma once
// Time and identifiers shared by the engine's parts. Time is an integer number of
// picoseconds (STYLE.md 2); identifiers are dense indices handed out in creation order.
#include <cstdint>
#include <limits>

#include "moesim/common/units.h"

namespace moesim::engine {

using units::Picoseconds;

// "No time": an event that never happens, a flow that never finishes.
inline constexpr Picoseconds kNever = std::numeric_limits<Picoseconds>::max();

using ActivityId = std::uint32_t;
using ResourceId = std::uint32_t;
using LinkId = std::uint32_t;
using HandlerId = std::uint32_t;

// An activity that occupies no resource starts as soon as its predecessors are done.
inline constexpr ResourceId kNoResource = std::numeric_limits<ResourceId>::max();

}  // namespace moesim::engine
