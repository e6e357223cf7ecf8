#include "stored_scenario.h"

#include <cmath>

namespace moesim::report::detail {

using nlohmann::json;

StoredScenario::StoredScenario(const std::string& scenario_json)
    : doc_(json::parse(scenario_json, nullptr, /*allow_exceptions=*/false)) {}

std::optional<double> StoredScenario::number(const char* pointer) const {
    const json::json_pointer at(pointer);
    if (!doc_.is_object() || !doc_.contains(at) || !doc_.at(at).is_number()) return std::nullopt;
    const double value = doc_.at(at).get<double>();
    return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
}

std::optional<std::string> StoredScenario::text(const char* pointer) const {
    const json::json_pointer at(pointer);
    if (!doc_.is_object() || !doc_.contains(at) || !doc_.at(at).is_string()) return std::nullopt;
    return doc_.at(at).get<std::string>();
}

std::string runs_preamble(const std::string& db_path, const std::string& kind, const std::vector<StoredRun>& runs) {
    std::string list;
    for (const StoredRun& run : runs) list += (list.empty() ? "" : ", ") + std::to_string(run.id);
    return "Results database " + db_path + ", " + kind + " runs " + list + ".";
}

namespace {

std::string integer(std::optional<double> value) {
    return value ? std::to_string(std::llround(*value)) : std::string("?");
}

}  // namespace

std::optional<std::string> StoredScenario::training_layout() const {
    if (!doc_.is_object() || !doc_.contains("parallelism")) return std::nullopt;
    std::string out = "TP" + integer(number("/parallelism/tp")) + " PP" + integer(number("/parallelism/pp")) + " DP" +
                      integer(number("/parallelism/dp")) + " EP" + integer(number("/parallelism/ep"));
    if (const auto schedule = text("/parallelism/schedule")) out += ", " + *schedule;
    if (const auto zero = number("/parallelism/zero_stage"); zero && *zero > 0) out += ", ZeRO-" + integer(zero);
    return out;
}

std::optional<std::string> StoredScenario::serving_layout() const {
    if (!doc_.is_object() || !doc_.contains("inference")) return std::nullopt;
    auto pool = [&](const std::string& name) {
        const std::string at = "/inference/" + name;
        std::string out = name + " " + integer(number((at + "/instances").c_str())) + " x " +
                          integer(number((at + "/nodes").c_str())) + " nodes (EP" +
                          integer(number((at + "/ep").c_str())) + ", attention TP" +
                          integer(number((at + "/attn_tp").c_str()));
        if (const auto draft = number((at + "/mtp/draft_tokens").c_str()); draft && *draft > 0)
            out += ", MTP " + integer(draft) + " draft";
        return out + ")";
    };
    const std::string deployment = text("/inference/deployment").value_or("?");
    // A colocated deployment still names both pools (they share nodes); print what it says.
    return deployment + "; " + pool("prefill") + "; " + pool("decode");
}

std::string overrides_cell(const StoredRun& run) {
    std::string out;
    for (const std::string& o : run.record.overrides) out += (out.empty() ? "" : " ") + o;
    return out;
}

}  // namespace moesim::report::detail
