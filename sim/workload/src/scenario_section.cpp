// The typed reader behind every section parser: unknown keys, wrong types and out-of-range
// values become ScenarioErrors naming the JSON path and the offending value.
#include <algorithm>
#include <cmath>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/common/json_document.h"
#include "moesim/workload/scenario_ranges.h"
#include "scenario_internal.h"

namespace moesim::workload::detail {

void fail_at(const std::string& file, const std::string& path, const std::string& message) {
    throw ScenarioError(file, path, message);
}

std::string describe(const json& v) {
    switch (v.type()) {
        case json::value_t::string:
            return "string " + v.dump();
        case json::value_t::boolean:
            return "boolean " + v.dump();
        case json::value_t::null:
            return "null";
        case json::value_t::object:
            return "an object";
        case json::value_t::array:
            return "an array";
        case json::value_t::number_float:
            return "number " + show(v.get<double>());
        default:
            return "number " + v.dump();
    }
}

std::string show(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (std::trunc(v) == v && std::abs(v) < 1e15) return std::to_string(static_cast<std::int64_t>(v));
    return json(v).dump();
}

std::string pointer_token(const std::string& key) { return json_pointer_token(key); }

Section::Section(const json& j, std::string path, std::string file, std::vector<std::string> keys)
    : j_(j), path_(std::move(path)), file_(std::move(file)) {
    if (!j_.is_object()) fail_here("expected an object, got " + describe(j_));
    for (const auto& [key, unused] : j_.items()) {
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
        std::string known;
        for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k;
        fail(key, "unknown key \"" + key + "\"" + did_you_mean(key, keys) + "; known keys here: " + known);
    }
}

void Section::fail(const std::string& key, const std::string& message) const {
    fail_at(file_, path_of(key), message);
}

void Section::fail_here(const std::string& message) const {
    fail_at(file_, path_, message);
}

const json* Section::value(const std::string& key, bool required) const {
    const auto it = j_.find(key);
    if (it != j_.end()) return &*it;
    if (required) fail(key, "missing required key \"" + key + "\"");
    return nullptr;
}

std::int64_t read_integer(const json& v, const std::string& path, const std::string& file, std::int64_t min,
                          std::int64_t max) {
    // Integral floats (1e3, 8.0) are accepted: JSON has one number type.
    const double approx = v.is_number() ? v.get<double>() : 0.0;
    const bool integral_float = v.is_number_float() && std::isfinite(approx) && std::trunc(approx) == approx;
    if (!v.is_number_integer() && !integral_float) fail_at(file, path, "expected an integer, got " + describe(v));
    const bool representable = approx > -9.2e18 && approx < 9.2e18;
    const std::int64_t x = !representable        ? 0
                           : v.is_number_float() ? static_cast<std::int64_t>(approx)
                                                 : v.get<std::int64_t>();
    if (representable && x >= min && x <= max) {
        check_range(scenario_ranges(), static_cast<double>(x), file, path);
        return x;
    }
    const std::string got = ", got " + (v.is_number_float() ? show(approx) : v.dump());
    if (max < std::numeric_limits<int>::max())
        fail_at(file, path, "must be between " + std::to_string(min) + " and " + std::to_string(max) + got);
    if (approx > static_cast<double>(max)) fail_at(file, path, "must be at most " + std::to_string(max) + got);
    if (min == 1) fail_at(file, path, "must be a positive integer" + got);
    if (min == 0) fail_at(file, path, "must be a non-negative integer" + got);
    fail_at(file, path, "must be at least " + std::to_string(min) + got);
}

std::int64_t Section::integer(const std::string& key, std::optional<std::int64_t> def, std::int64_t min,
                              std::int64_t max) const {
    const json* v = value(key, !def);
    return v ? read_integer(*v, path_of(key), file_, min, max) : *def;
}

std::uint64_t Section::unsigned_integer(const std::string& key, std::optional<std::uint64_t> def) const {
    const json* v = value(key, !def);
    if (!v) return *def;
    if (v->is_number_unsigned()) return v->get<std::uint64_t>();
    const double d = v->is_number() ? v->get<double>() : 0;
    const bool integral = v->is_number_integer() || (v->is_number_float() && std::isfinite(d) && std::trunc(d) == d);
    if (!integral) fail(key, "expected an integer, got " + describe(*v));
    if (d < 0) fail(key, "must be a non-negative integer, got " + (v->is_number_float() ? show(d) : v->dump()));
    if (d >= 18446744073709551616.0) fail(key, "must be below 2^64, got " + show(d));
    return static_cast<std::uint64_t>(d);
}

double read_number(const json& v, const std::string& path, const std::string& file, Bound bound) {
    if (!v.is_number()) fail_at(file, path, "expected a number, got " + describe(v));
    const double x = v.get<double>();
    const std::string got = ", got " + show(x);
    if (!std::isfinite(x)) fail_at(file, path, "must be a finite number" + got);
    const bool ok = bound == Bound::Finite || (bound == Bound::Positive && x > 0) ||
                    (bound == Bound::NonNegative && x >= 0) || (bound == Bound::AtLeastOne && x >= 1) ||
                    (bound == Bound::Probability && x >= 0 && x <= 1);
    if (ok) {
        check_range(scenario_ranges(), x, file, path);
        return x;
    }
    switch (bound) {
        case Bound::Positive:
            fail_at(file, path, "must be > 0" + got);
        case Bound::NonNegative:
            fail_at(file, path, "must be >= 0" + got);
        case Bound::AtLeastOne:
            fail_at(file, path, "must be >= 1" + got);
        default:
            fail_at(file, path, "must be a probability between 0 and 1" + got);
    }
}

double Section::number(const std::string& key, std::optional<double> def, Bound bound) const {
    const json* v = value(key, !def);
    return v ? read_number(*v, path_of(key), file_, bound) : *def;
}

std::string Section::text(const std::string& key, std::optional<std::string> def, bool null_is_default) const {
    const json* v = value(key, !def);
    if (!v || (null_is_default && v->is_null())) return def.value_or("");
    if (!v->is_string())
        fail(key, std::string("expected a string") + (null_is_default ? " or null" : "") + ", got " + describe(*v));
    const auto s = v->get<std::string>();
    if (s.empty()) fail(key, "must not be empty");
    return s;
}

std::string Section::choice_name(const std::string& key, const std::vector<std::string>& names,
                                 std::optional<std::string> def) const {
    const json* v = value(key, !def);
    if (!v) return *def;
    if (!v->is_string()) fail(key, "expected a string, got " + describe(*v));
    const auto s = v->get<std::string>();
    if (std::find(names.begin(), names.end(), s) != names.end()) return s;
    std::string valid;
    for (const auto& n : names) valid += (valid.empty() ? "\"" : ", \"") + n + "\"";
    fail(key, "unknown value \"" + s + "\"" + did_you_mean(s, names) + "; valid values: " + valid);
}

Section Section::section(const std::string& key, const std::vector<std::string>& keys) const {
    return Section(*value(key, true), path_of(key), file_, keys);
}

std::optional<Section> Section::optional_section(const std::string& key, const std::vector<std::string>& keys) const {
    const json* v = value(key, false);
    if (!v) return std::nullopt;
    return Section(*v, path_of(key), file_, keys);
}

void Section::forbid(const std::string& key, const std::string& owner) const {
    if (has(key)) fail(key, "\"" + key + "\" is only used with " + owner);
}

}  // namespace moesim::workload::detail
