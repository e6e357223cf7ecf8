#include "search_rank.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "format.h"

namespace moesim::cli {

namespace {

std::string signed_fixed(double v, int decimals) { return (v >= 0 ? "+" : "−") + fixed(std::fabs(v), decimals); }

std::string over(const std::string& key, double value, double limit) {
    return "constraints/" + key + " (" + fixed(value, 3) + " > " + fixed(limit, 3) + ")";
}

// The step's difference split over the breakdown's (phase, category) entries.
std::vector<LossComponent> step_components(const training::TrainingResult& best, const training::TrainingResult& other) {
    std::map<std::string, double> delta;
    for (const auto& e : other.breakdown) delta[e.phase + "/" + e.category] += e.seconds;
    for (const auto& e : best.breakdown) delta[e.phase + "/" + e.category] -= e.seconds;
    std::vector<LossComponent> out;
    for (const auto& [what, d] : delta)
        if (d != 0) out.push_back({what, d, "s"});
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.delta > b.delta; });
    return out;
}

}  // namespace

double objective_value(SearchMetric metric, const report::RunResult& result, int gpus_per_node) {
    if (const auto* t = std::get_if<training::TrainingResult>(&result)) {
        switch (metric) {
            case SearchMetric::GpuHours: return t->gpu_hours;
            case SearchMetric::UsdPerMillionTokens: return t->usd_per_million_tokens;
            case SearchMetric::TokensPerSPerGpu: return t->tokens_per_s_per_gpu;
        }
    }
    const auto& s = std::get<inference::InferenceResult>(result);
    return metric == SearchMetric::UsdPerMillionTokens ? s.usd_per_million_output_tokens
                                                       : s.decode_output_tokens_per_s_per_node / gpus_per_node;
}

std::string broken_constraint(const SearchConstraints& c, const report::RunResult& result) {
    if (const auto* t = std::get_if<training::TrainingResult>(&result)) {
        if (c.min_memory_headroom_GB && t->memory_headroom_GB.value_or(0) < *c.min_memory_headroom_GB)
            return "constraints/min_memory_headroom_GB (" + fixed(t->memory_headroom_GB.value_or(0), 3) + " < " +
                   fixed(*c.min_memory_headroom_GB, 3) + ")";
        if (c.max_step_time_s && t->step_time_s > *c.max_step_time_s) return over("max_step_time_s", t->step_time_s, *c.max_step_time_s);
        if (c.max_gpu_hours && t->gpu_hours > *c.max_gpu_hours) return over("max_gpu_hours", t->gpu_hours, *c.max_gpu_hours);
        if (c.max_cost_usd && t->cost_usd > *c.max_cost_usd) return over("max_cost_usd", t->cost_usd, *c.max_cost_usd);
        if (c.max_usd_per_million_tokens && t->usd_per_million_tokens > *c.max_usd_per_million_tokens)
            return over("max_usd_per_million_tokens", t->usd_per_million_tokens, *c.max_usd_per_million_tokens);
        return "";
    }
    const auto& s = std::get<inference::InferenceResult>(result);
    if (c.slo_met && !s.slo_met.value_or(false))
        return "constraints/slo_met (missed: " + (s.slo_missed.empty() ? std::string("no request completed") : s.slo_missed) + ")";
    if (c.max_usd_per_million_tokens && s.usd_per_million_output_tokens > *c.max_usd_per_million_tokens)
        return over("max_usd_per_million_tokens", s.usd_per_million_output_tokens, *c.max_usd_per_million_tokens);
    return "";
}

LossExplanation explain_loss(SearchMetric metric, double best_value, const report::PendingRun& best_run, double value,
                             const report::PendingRun& other_run) {
    const report::RunResult& best = best_run.result;
    const report::RunResult& other = other_run.result;
    LossExplanation e;
    e.objective_delta = value - best_value;
    e.objective_delta_fraction = best_value != 0 ? e.objective_delta / best_value : 0;
    e.text = (e.objective_delta_fraction >= 0 ? "+" : "−") + fixed(100 * std::fabs(e.objective_delta_fraction), 1) + "% " +
             to_string(metric);
    std::vector<std::string> parts;
    if (const auto* b = std::get_if<training::TrainingResult>(&best)) {
        const auto& o = std::get<training::TrainingResult>(other);
        e.step_time_delta_s = o.step_time_s - b->step_time_s;
        e.components = step_components(*b, o);
        std::string step = "step " + signed_fixed(*e.step_time_delta_s, 2) + " s";
        // What makes it lose: the entries that grew, largest first, then the largest that shrank
        // (to the 0.01 s printed).
        std::vector<std::string> grew;
        for (const auto& c : e.components)
            if (c.delta >= 0.005 && grew.size() < 3) grew.push_back(signed_fixed(c.delta, 2) + " s " + c.what);
        if (!e.components.empty() && e.components.back().delta <= -0.005)
            grew.push_back("offset by " + signed_fixed(e.components.back().delta, 2) + " s " + e.components.back().what);
        if (!grew.empty()) {
            step += " (";
            for (std::size_t i = 0; i < grew.size(); ++i) step += (i ? ", " : "") + grew[i];
            step += ")";
        }
        parts.push_back(step);
        if (o.tokens_per_step != b->tokens_per_step) {
            e.components.push_back({"tokens per step", o.tokens_per_step - b->tokens_per_step, "tokens"});
            parts.push_back(thousands(o.tokens_per_step) + " tokens per step against " + thousands(b->tokens_per_step));
        }
    } else {
        const auto& bs = std::get<inference::InferenceResult>(best);
        const auto& o = std::get<inference::InferenceResult>(other);
        const auto add = [&](const std::string& what, double ob, double bb, const std::string& unit, int decimals) {
            if (ob == bb) return;
            e.components.push_back({what, ob - bb, unit});
            parts.push_back(what + " " + fixed(ob, decimals) + " against " + fixed(bb, decimals) + " " + unit);
        };
        add("decode", o.decode_output_tokens_per_s_per_node, bs.decode_output_tokens_per_s_per_node, "output tok/s per node", 0);
        add("prefill", o.prefill_input_tokens_per_s_per_node, bs.prefill_input_tokens_per_s_per_node, "input tok/s per node", 0);
        add("TTFT p99", o.ttft_ms.p99, bs.ttft_ms.p99, "ms", 1);
        add("TPOT p99", o.tpot_ms.p99, bs.tpot_ms.p99, "ms", 2);
    }
    if (other_run.record.gpus != best_run.record.gpus) {
        e.components.push_back({"GPUs", static_cast<double>(other_run.record.gpus - best_run.record.gpus), "GPUs"});
        parts.push_back(thousands(static_cast<double>(other_run.record.gpus)) + " GPUs against " +
                        thousands(static_cast<double>(best_run.record.gpus)));
    }
    for (const auto& p : parts) e.text += "; " + p;
    return e;
}

nlohmann::json to_json(const LossExplanation& e) {
    nlohmann::json components = nlohmann::json::array();
    for (const auto& c : e.components) components.push_back({{"what", c.what}, {"delta", c.delta}, {"unit", c.unit}});
    nlohmann::json j = {{"objective_delta", e.objective_delta},
                        {"objective_delta_fraction", e.objective_delta_fraction},
                        {"components", components},
                        {"text", e.text}};
    j["step_time_delta_s"] = e.step_time_delta_s ? nlohmann::json(*e.step_time_delta_s) : nlohmann::json();
    return j;
}

}  // namespace moesim::cli
