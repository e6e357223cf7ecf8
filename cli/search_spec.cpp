#include "search_spec.h"

#include <cmath>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"

namespace moesim::cli {

namespace {

using nlohmann::json;

const std::vector<std::string> kMetrics = {"gpu_hours", "usd_per_million_tokens", "tokens_per_s_per_gpu"};

std::optional<double> positive(const json& c, const char* key, const std::string& file, bool allow_zero_or_negative = false) {
    if (!c.contains(key)) return std::nullopt;
    const json& v = c.at(key);
    const std::string path = std::string("/constraints/") + key;
    if (!v.is_number() || !std::isfinite(v.get<double>()))
        throw ScenarioError(file, path, "expected a finite number, got " + v.dump());
    if (!allow_zero_or_negative && !(v.get<double>() > 0)) throw ScenarioError(file, path, "must be positive, got " + v.dump());
    return v.get<double>();
}

void read_objective(const json& o, const std::string& file, SearchSpec& s) {
    if (!o.is_object()) throw ScenarioError(file, "/objective", "expected {\"metric\": …, \"sense\": …}, got " + o.dump());
    only_keys(o, file, "/objective", {"metric", "sense"});
    if (!o.contains("metric") || !o.at("metric").is_string())
        throw ScenarioError(file, "/objective/metric", "required: one of gpu_hours, usd_per_million_tokens, tokens_per_s_per_gpu");
    const std::string m = o.at("metric").get<std::string>();
    const auto it = std::find(kMetrics.begin(), kMetrics.end(), m);
    if (it == kMetrics.end())
        throw ScenarioError(file, "/objective/metric", "\"" + m + "\"" + did_you_mean(m, kMetrics) +
                                                           "; expected one of gpu_hours, usd_per_million_tokens, tokens_per_s_per_gpu");
    s.metric = static_cast<SearchMetric>(it - kMetrics.begin());
    s.minimize = s.metric != SearchMetric::TokensPerSPerGpu;
    if (o.contains("sense")) {
        const json& v = o.at("sense");
        if (v != "minimize" && v != "maximize")
            throw ScenarioError(file, "/objective/sense", "expected \"minimize\" or \"maximize\", got " + v.dump());
        s.minimize = v == "minimize";
    }
}

void read_constraints(const json& c, const std::string& file, SearchConstraints& k) {
    if (!c.is_object()) throw ScenarioError(file, "/constraints", "expected an object, got " + c.dump());
    only_keys(c, file, "/constraints",
              {"max_gpus", "min_memory_headroom_GB", "max_step_time_s", "max_gpu_hours", "max_cost_usd",
               "max_usd_per_million_tokens", "slo_met"});
    if (c.contains("max_gpus")) {
        const json& v = c.at("max_gpus");
        if (!v.is_number_integer() || v.get<std::int64_t>() < 1)
            throw ScenarioError(file, "/constraints/max_gpus", "expected a positive integer, got " + v.dump());
        k.max_gpus = v.get<std::int64_t>();
    }
    k.min_memory_headroom_GB = positive(c, "min_memory_headroom_GB", file, true);
    k.max_step_time_s = positive(c, "max_step_time_s", file);
    k.max_gpu_hours = positive(c, "max_gpu_hours", file);
    k.max_cost_usd = positive(c, "max_cost_usd", file);
    k.max_usd_per_million_tokens = positive(c, "max_usd_per_million_tokens", file);
    if (c.contains("slo_met")) {
        if (!c.at("slo_met").is_boolean())
            throw ScenarioError(file, "/constraints/slo_met", "expected true or false, got " + c.at("slo_met").dump());
        k.slo_met = c.at("slo_met").get<bool>();
    }
}

}  // namespace

std::string to_string(SearchMetric m) { return kMetrics.at(static_cast<std::size_t>(m)); }

SearchSpec read_search(const std::string& file) {
    SearchSpec s;
    json doc;
    s.sweep = read_sweep(file, {"objective", "constraints", "top"}, doc);
    if (!doc.contains("objective"))
        throw ScenarioError(file, "/objective", "required: {\"metric\": gpu_hours | usd_per_million_tokens | tokens_per_s_per_gpu}");
    read_objective(doc.at("objective"), file, s);
    if (doc.contains("constraints")) read_constraints(doc.at("constraints"), file, s.constraints);
    if (doc.contains("top")) {
        const json& v = doc.at("top");
        if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 1000)
            throw ScenarioError(file, "/top", "expected an integer from 1 to 1000, got " + v.dump());
        s.top = v.get<std::int64_t>();
    }
    return s;
}

}  // namespace moesim::cli
