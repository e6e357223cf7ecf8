#pragma once
// Private to the scenario parser (scenario_*.cpp): a reader for one JSON object of the
// scenario that knows its JSON path, rejects unknown keys, and turns every wrong type or
// out-of-range value into a ScenarioError that names the path and the value.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/workload/scenario.h"

namespace moesim::workload::detail {

using nlohmann::json;

[[noreturn]] void fail_at(const std::string& file, const std::string& path, const std::string& message);

// How a JSON value is named in an error: `string "8"`, `number 8.5`, `boolean true`, `null`,
// `an object`, `an array`.
std::string describe(const json& v);
// A number as the shortest JSON text that reads back to it ("inf"/"nan" for non-finite).
std::string show(double v);
// A JSON pointer token for `key` (RFC 6901 escaping of '~' and '/').
std::string pointer_token(const std::string& key);

// Names of each enum's values as they appear in JSON, in DESIGN.md §3 order.
template <class E>
using EnumTable = std::vector<std::pair<E, std::string>>;
const EnumTable<Mode>& enum_names(Mode);
const EnumTable<Topology>& enum_names(Topology);
const EnumTable<Schedule>& enum_names(Schedule);
const EnumTable<Recompute>& enum_names(Recompute);
const EnumTable<Precision>& enum_names(Precision);
const EnumTable<ExpertLoadKind>& enum_names(ExpertLoadKind);
const EnumTable<Deployment>& enum_names(Deployment);
const EnumTable<Arrival>& enum_names(Arrival);
const EnumTable<LengthDist>& enum_names(LengthDist);
const EnumTable<PrefillBalancer>& enum_names(PrefillBalancer);
const EnumTable<DecodeAdmission>& enum_names(DecodeAdmission);
const EnumTable<AttentionKernel>& enum_names(AttentionKernel);
const EnumTable<EpComm>& enum_names(EpComm);
const EnumTable<GemmLibrary>& enum_names(GemmLibrary);

// The range a floating-point value must lie in.
enum class Bound { Finite, Positive, NonNegative, AtLeastOne, Probability };

// One JSON value checked against a type and a range; errors name `path` in `file`.
// Integer bounds are inclusive; integral floats (8.0, 1e3) count as integers.
std::int64_t read_integer(const json& v, const std::string& path, const std::string& file, std::int64_t min,
                          std::int64_t max = std::numeric_limits<int>::max());
double read_number(const json& v, const std::string& path, const std::string& file, Bound bound);

class Section {
public:
    // `j` must be an object whose keys are all in `keys`; otherwise throws, naming the
    // unknown key and the closest known one.
    Section(const json& j, std::string path, std::string file, std::vector<std::string> keys);

    const std::string& path() const { return path_; }
    const std::string& file() const { return file_; }
    std::string path_of(const std::string& key) const { return path_ + "/" + pointer_token(key); }
    bool has(const std::string& key) const { return j_.contains(key); }

    [[noreturn]] void fail(const std::string& key, const std::string& message) const;
    [[noreturn]] void fail_here(const std::string& message) const;

    // Readers. A `def` of nullopt makes the key required. Integer bounds are inclusive.
    std::int64_t integer(const std::string& key, std::optional<std::int64_t> def, std::int64_t min,
                         std::int64_t max = std::numeric_limits<int>::max()) const;
    int positive(const std::string& key, std::optional<int> def) const {
        return static_cast<int>(integer(key, def, 1));
    }
    int non_negative(const std::string& key, std::optional<int> def) const {
        return static_cast<int>(integer(key, def, 0));
    }
    std::uint64_t unsigned_integer(const std::string& key, std::optional<std::uint64_t> def) const;
    double number(const std::string& key, std::optional<double> def, Bound bound) const;
    // A non-empty string; `null_is_default` also accepts null for "use the default".
    std::string text(const std::string& key, std::optional<std::string> def, bool null_is_default = false) const;
    template <class E>
    E choice(const std::string& key, std::optional<E> def) const;

    // A nested object (required, or nullopt when absent).
    Section section(const std::string& key, const std::vector<std::string>& keys) const;
    std::optional<Section> optional_section(const std::string& key, const std::vector<std::string>& keys) const;
    const json& at(const std::string& key) const { return j_.at(key); }

    // Reject `key` if present, explaining that it only belongs with `owner`.
    void forbid(const std::string& key, const std::string& owner) const;

private:
    const json* value(const std::string& key, bool required) const;
    std::string choice_name(const std::string& key, const std::vector<std::string>& names,
                            std::optional<std::string> def) const;

    const json& j_;
    std::string path_, file_;
};

template <class E>
E Section::choice(const std::string& key, std::optional<E> def) const {
    const auto& table = enum_names(E::Invalid);
    std::vector<std::string> names;
    for (const auto& [value, name] : table) names.push_back(name);
    std::optional<std::string> def_name;
    for (const auto& [value, name] : table)
        if (def && value == *def) def_name = name;
    const std::string picked = choice_name(key, names, def_name);
    for (const auto& [value, name] : table)
        if (name == picked) return value;
    return E::Invalid;  // unreachable: choice_name only returns a listed name
}

// Cross-field checks (scenario_validate.cpp), run on a parsed section: layouts that must
// divide, pools that must fit the cluster, schedule constraints.
void validate_training(const Scenario& s, const std::string& file);
void validate_inference(const Scenario& s, const std::string& file);

}  // namespace moesim::workload::detail
