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

// `comm --model flows` builds about this many flows per collective at most, from what they
// cost to simulate (bench/network_bench.cpp, 2-core machine). Pair by pair, a 256-GPU
// all-to-all (65,280 flows) takes ~25 CPU-seconds: its flows share one congested component,
// re-solved at thousands of distinct finish times.
inline constexpr double kMaxFlows = 65536;
// PXN (`--algorithm pxn`) aggregates an all-to-all to one flow per node pair and rail; its
// flows fall into one component per rail, and the cost per flow is far lower: 1,024 GPUs
// (137,216 flows) in ~2.3 CPU-s, but 2,048 GPUs (536,576 flows) had not finished after 600 s
// of wall time and over 265 CPU-s (BM_AllToAllPxnRailScaling). So PXN is budgeted up to 1,024
// GPUs' worth.
inline constexpr double kMaxPxnFlows = 150000;
// With --completion-slack-ns of at least 1,000 (flows due within 1 µs finish together, one
// re-solve) both budgets are this many times larger: 512 GPUs pair by pair (261,632 flows)
// took 11.5 CPU-s (BM_AllToAllRailScalingSlack1us), 2,048 GPUs with PXN (536,576) 25 CPU-s
// (BM_AllToAllPxnRailScalingSlack1us).
inline constexpr double kCoarseSlackNs = 1000;
inline constexpr double kCoarseSlackBudgetFactor = 4;

}  // namespace moesim::cli
