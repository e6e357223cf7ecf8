#pragma once
// Documented ranges of the numeric command-line flags (README.md, "Flag ranges"): one table
// per verb, checked right after parsing; a value outside its range exits 2 naming the flag.
#include <span>

#include <boost/program_options.hpp>

#include "moesim/common/value_range.h"

namespace moesim::cli {

// `comm`'s numeric flags; the rows' paths are the flag names ("--nodes").
std::span<const ValueRange> comm_flag_ranges();
// `run`'s numeric flags.
std::span<const ValueRange> run_flag_ranges();
// `sweep`'s and `search`'s.
std::span<const ValueRange> sweep_flag_ranges();
std::span<const ValueRange> search_flag_ranges();

// Throws UserError("--nodes: must be in [1, 2^16], got 0") for each flag the user gave
// (defaults are not checked) whose value lies outside its row.
void check_flag_ranges(const boost::program_options::variables_map& vm, std::span<const ValueRange> table);

// `comm --model flows` builds about this many flows per collective at most: a 256-GPU
// all-to-all (65,280 flows) simulates in ~25 CPU-seconds (bench/network_bench.cpp).
inline constexpr double kMaxFlows = 65536;

}  // namespace moesim::cli
