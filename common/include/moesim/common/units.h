#pragma once
// Unit conversions, done once at the edge (STYLE.md 3). Names carry the unit.
#include <cstdint>

namespace moesim::units {

inline constexpr double kGB = 1e9;            // bytes per GB (decimal, as datasheets use)
inline constexpr double kGiB = 1073741824.0;  // bytes per GiB
inline constexpr double kTera = 1e12;
inline constexpr double kSecondsPerHour = 3600.0;
inline constexpr double kSecondsPerDay = 86400.0;

constexpr double GBps_to_Bps(double GBps) { return GBps * kGB; }
constexpr double Gbps_to_Bps(double Gbps) { return Gbps * 1e9 / 8.0; }
constexpr double TFLOPS_to_FLOPS(double tflops) { return tflops * kTera; }
constexpr double us_to_s(double us) { return us * 1e-6; }

// Engine time: integer picoseconds (STYLE.md 2).
using Picoseconds = std::int64_t;
inline constexpr Picoseconds kPsPerSecond = 1'000'000'000'000;

}  // namespace moesim::units
