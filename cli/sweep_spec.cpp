#include "sweep_spec.h"

#include <cmath>
#include <filesystem>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "moesim/common/json_document.h"

namespace moesim::cli {

using nlohmann::json;

void only_keys(const json& j, const std::string& file, const std::string& path, const std::vector<std::string>& keys) {
    for (auto it = j.begin(); it != j.end(); ++it)
        if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) {
            std::string list;
            for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
            throw ScenarioError(file, path + "/" + json_pointer_token(it.key()),
                                "unknown key" + did_you_mean(it.key(), keys) + "; expected one of " + list);
        }
}

namespace {

double number_at(const json& j, const std::string& key, const std::string& file, const std::string& path) {
    if (!j.contains(key)) throw ScenarioError(file, path + "/" + key, "required: a number");
    const json& v = j.at(key);
    if (!v.is_number() || !std::isfinite(v.get<double>()))
        throw ScenarioError(file, path + "/" + key, "expected a finite number, got " + v.dump());
    return v.get<double>();
}

// A range's values, as integers when from and step (or factor) are integers.
std::vector<json> expand_range(const json& r, const std::string& file, const std::string& path) {
    if (!r.is_object()) throw ScenarioError(file, path, "expected {\"from\", \"to\", \"step\" or \"factor\"}");
    only_keys(r, file, path, {"from", "to", "step", "factor"});
    const double from = number_at(r, "from", file, path), to = number_at(r, "to", file, path);
    if (r.contains("step") == r.contains("factor"))
        throw ScenarioError(file, path, "give exactly one of \"step\" (arithmetic) or \"factor\" (geometric)");
    if (to < from) throw ScenarioError(file, path + "/to", "must be at least \"from\" (" + r.at("from").dump() + ")");
    const bool geometric = r.contains("factor");
    const double by = number_at(r, geometric ? "factor" : "step", file, path);
    if (geometric ? !(by > 1) : !(by > 0))
        throw ScenarioError(file, path + (geometric ? "/factor" : "/step"),
                            geometric ? "must be above 1" : "must be positive");
    const bool integers = from == std::floor(from) && by == std::floor(by);
    std::vector<json> out;
    for (double v = from; v <= to * (1 + 1e-12); v = geometric ? v * by : v + by) {
        if (static_cast<std::int64_t>(out.size()) >= kMaxSweepPoints)
            throw ScenarioError(file, path, "spans more than " + std::to_string(kMaxSweepPoints) + " values");
        out.push_back(integers ? json(static_cast<std::int64_t>(std::llround(v))) : json(v));
    }
    return out;
}

SweepAxis parse_axis(const json& a, const std::string& file, const std::string& path) {
    if (!a.is_object()) throw ScenarioError(file, path, "expected an object with \"set\" and \"values\" or \"range\"");
    only_keys(a, file, path, {"set", "values", "range"});
    SweepAxis axis;
    if (!a.contains("set")) throw ScenarioError(file, path + "/set", "required: a JSON pointer or a list of them");
    const json& set = a.at("set");
    const auto pointer = [&](const json& p, const std::string& at) {
        if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>()[0] != '/')
            throw ScenarioError(file, at, "expected a JSON pointer such as \"/parallelism/pp\", got " + p.dump());
        return p.get<std::string>();
    };
    if (set.is_array()) {
        if (set.empty()) throw ScenarioError(file, path + "/set", "an empty list moves nothing");
        for (std::size_t i = 0; i < set.size(); ++i) axis.pointers.push_back(pointer(set[i], path + "/set/" + std::to_string(i)));
    } else {
        axis.pointers.push_back(pointer(set, path + "/set"));
    }
    if (a.contains("values") == a.contains("range"))
        throw ScenarioError(file, path, "give exactly one of \"values\" or \"range\"");
    if (a.contains("range")) {
        if (axis.pointers.size() != 1)
            throw ScenarioError(file, path + "/range", "a range moves one pointer; zip several with \"values\"");
        for (auto& v : expand_range(a.at("range"), file, path + "/range")) axis.values.push_back({v});
        return axis;
    }
    const json& values = a.at("values");
    if (!values.is_array() || values.empty()) throw ScenarioError(file, path + "/values", "expected a non-empty list");
    for (std::size_t i = 0; i < values.size(); ++i) {
        const std::string at = path + "/values/" + std::to_string(i);
        if (axis.pointers.size() == 1) {
            axis.values.push_back({values[i]});
            continue;
        }
        if (!values[i].is_array() || values[i].size() != axis.pointers.size())
            throw ScenarioError(file, at, "expected a list of " + std::to_string(axis.pointers.size()) +
                                              " values, one per pointer of \"set\"");
        axis.values.push_back(values[i].get<std::vector<json>>());
    }
    return axis;
}

// The value as `--set` takes it: JSON, except a string that is not itself JSON, which goes
// bare (dualpipe, not "dualpipe") as a user would type it, and reads back the same.
std::string set_text(const json& v) {
    if (v.is_string() && json::parse(v.get<std::string>(), nullptr, false).is_discarded()) return v.get<std::string>();
    return v.dump();
}

}  // namespace

std::int64_t SweepSpec::points() const {
    std::int64_t n = 1;
    for (const auto& a : axes) n *= static_cast<std::int64_t>(a.values.size());
    return n;
}

std::vector<std::string> SweepSpec::point(std::int64_t index) const {
    std::vector<std::int64_t> digits(axes.size());
    for (std::size_t k = axes.size(); k-- > 0;) {
        const auto n = static_cast<std::int64_t>(axes[k].values.size());
        digits[k] = index % n;
        index /= n;
    }
    std::vector<std::string> sets;
    for (std::size_t k = 0; k < axes.size(); ++k) {
        const auto& value = axes[k].values[static_cast<std::size_t>(digits[k])];
        for (std::size_t p = 0; p < axes[k].pointers.size(); ++p) sets.push_back(axes[k].pointers[p] + "=" + set_text(value[p]));
    }
    return sets;
}

SweepSpec read_sweep(const std::string& file) {
    json document;
    return read_sweep(file, {}, document);
}

SweepSpec read_sweep(const std::string& file, const std::vector<std::string>& extra_keys, json& document) {
    SweepSpec s;
    s.file = file;
    s.text = read_input_file(file, "sweep", kMaxDocumentBytes);
    // The project's strict reader: line and column on a syntax error, no key twice.
    document = parse_json_document(s.text, file);
    const json& j = document;
    if (!j.is_object()) throw ScenarioError(file, "", "a sweep is a JSON object");
    std::vector<std::string> keys = {"name", "scenario", "fidelity", "find_max_load", "axes"};
    keys.insert(keys.end(), extra_keys.begin(), extra_keys.end());
    only_keys(j, file, "", keys);
    const auto text = [&](const char* key, bool required) -> std::string {
        if (!j.contains(key)) {
            if (required) throw ScenarioError(file, std::string("/") + key, "required: a string");
            return "";
        }
        if (!j.at(key).is_string() || j.at(key).get<std::string>().empty())
            throw ScenarioError(file, std::string("/") + key, "expected a non-empty string, got " + j.at(key).dump());
        return j.at(key).get<std::string>();
    };
    s.name = text("name", true);
    const std::string scenario = text("scenario", true);
    const std::filesystem::path base = std::filesystem::path(file).parent_path();
    s.scenario = std::filesystem::path(scenario).is_absolute() ? scenario : (base / scenario).lexically_normal().string();
    if (j.contains("fidelity")) s.fidelity = text("fidelity", false);
    if (j.contains("find_max_load")) {
        if (!j.at("find_max_load").is_boolean())
            throw ScenarioError(file, "/find_max_load", "expected true or false, got " + j.at("find_max_load").dump());
        s.find_max_load = j.at("find_max_load").get<bool>();
    }
    if (!j.contains("axes") || !j.at("axes").is_array() || j.at("axes").empty())
        throw ScenarioError(file, "/axes", "required: a non-empty list of axes");
    const json& axes = j.at("axes");
    for (std::size_t i = 0; i < axes.size(); ++i) s.axes.push_back(parse_axis(axes[i], file, "/axes/" + std::to_string(i)));
    double n = 1;
    for (const auto& a : s.axes) n *= static_cast<double>(a.values.size());
    if (n > static_cast<double>(kMaxSweepPoints))
        throw ScenarioError(file, "/axes", "the axes span " + std::to_string(static_cast<long long>(n)) +
                                               " points, more than the " + std::to_string(kMaxSweepPoints) + " a sweep may run");
    return s;
}

}  // namespace moesim::cli
