#include "moesim/common/value_range.h"

#include <cmath>
#include <cstdio>

#include "moesim/common/error.h"

namespace moesim {

namespace {

bool matches(std::string_view pattern, std::string_view path) {
    while (!pattern.empty() || !path.empty()) {
        if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
        pattern.remove_prefix(1);
        path.remove_prefix(1);
        const auto pe = std::min(pattern.find('/'), pattern.size());
        const auto te = std::min(path.find('/'), path.size());
        if (pattern.substr(0, pe) != "*" && pattern.substr(0, pe) != path.substr(0, te)) return false;
        pattern.remove_prefix(pe);
        path.remove_prefix(te);
    }
    return true;
}

}  // namespace

const ValueRange* find_range(std::span<const ValueRange> table, std::string_view path) {
    for (const auto& r : table)
        if (matches(r.path, path)) return &r;
    return nullptr;
}

std::string show_bound(double v) {
    const double l = std::log2(std::abs(v));
    if (v >= 65536 && l == std::floor(l)) return "2^" + std::to_string(static_cast<int>(l));
    if (v >= 65536 && std::log2(v + 1) == std::floor(std::log2(v + 1)))
        return "2^" + std::to_string(static_cast<int>(std::log2(v + 1))) + "-1";
    const double e10 = std::log10(std::abs(v));
    if (v > 0 && e10 == std::round(e10) && std::abs(e10) >= 5) return "1e" + std::to_string(static_cast<int>(e10));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

std::string range_violation(const ValueRange& r, double v) {
    if (v >= r.min && v <= r.max) return "";
    char got[32];
    std::snprintf(got, sizeof got, "%.17g", v);
    return "must be in [" + show_bound(r.min) + ", " + show_bound(r.max) + "], got " + got;
}

void check_range(std::span<const ValueRange> table, double v, const std::string& file, const std::string& path) {
    const ValueRange* r = find_range(table, path);
    if (!r) return;
    if (auto why = range_violation(*r, v); !why.empty()) throw ScenarioError(file, path, why);
}

}  // namespace moesim
