#pragma once
// Unit conversions, done once at the edge (STYLE.md 3). Names carry the unit.
#include <cstdint>
#include <cstdio>
#include <string>

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

// Memory in every output: GB, 1 GB = 1e9 B, one decimal ("84.9 GB"); the same unit as the
// datasheets' capacities and every GB/s in moesim.
inline std::string memory_text(double bytes) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.1f GB", bytes / kGB);
    return buf;
}

// Engine time: integer picoseconds (STYLE.md 2).
using Picoseconds = std::int64_t;
inline constexpr Picoseconds kPsPerSecond = 1'000'000'000'000;

}  // namespace moesim::units
