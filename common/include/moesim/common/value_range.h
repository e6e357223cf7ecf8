#pragma once
// Documented ranges for numeric inputs (issue 17 item 1). Each file kind keeps ONE table of
// ValueRange rows next to its parser; the readers look a value's JSON path up in it and refuse
// anything outside [min, max] with the path. The limits are far beyond any real model or
// cluster but keep every downstream figure finite (no overflow, no denormal step time).
#include <span>
#include <string>
#include <string_view>

namespace moesim {

struct ValueRange {
    const char* path;  // JSON pointer; a "*" token matches any one token
    double min;
    double max;
};

// The first row whose pattern matches `path`, or nullptr.
const ValueRange* find_range(std::span<const ValueRange> table, std::string_view path);

// "" when `v` lies in `r`, else "must be in [min, max], got v".
std::string range_violation(const ValueRange& r, double v);

// Throws ScenarioError(file, path, …) when the path has a row and `v` lies outside it.
void check_range(std::span<const ValueRange> table, double v, const std::string& file, const std::string& path);

// A bound as the README prints it: 1048576 → "2^20", 1e15 → "1e15", 1e-6 → "1e-6", 0.001 → "0.001".
std::string show_bound(double v);

}  // namespace moesim
