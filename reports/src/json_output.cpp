#include "moesim/reports/json_output.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "moesim/reports/run_status.h"

namespace moesim::report {

namespace {

using nlohmann::json;

// The keys every run has (§6).
json common_keys(std::int64_t run_id, const RunRecord& record, const std::string& fidelity) {
    return json{{"run_id", run_id},
                {"name", record.name},
                {"mode", record.mode},
                {"model", record.model},
                {"gpu", record.gpu},
                {"gpus", record.gpus},
                {"seed", record.seed},
                {"sim_wall_s", record.sim_wall_s},
                {"fidelity", fidelity.empty() ? record.fidelity : fidelity},
                {"label", record.label.empty() ? record.name : record.label},
                {"overrides", record.overrides}};
}

// A value a run from before schema 3 lacks: null.
template <class T>
json optional_value(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

// The schema-3 keys of a training run (a TrainingResult or a RunSummary).
template <class Run>
void put_memory_verdict(json& out, const Run& r) {
    out["memory_headroom_GB"] = optional_value(r.memory_headroom_GB);
    out["over_memory"] = optional_value(r.over_memory);
}

// The schema-3 keys of a serving run (an InferenceResult or a RunSummary).
template <class Run>
void put_serving_verdict(json& out, const Run& r) {
    out["requests_per_s"] = optional_value(r.requests_per_s);
    out["requests_measured"] = optional_value(r.requests_measured);
    out["requests_unfinished"] = optional_value(r.requests_unfinished);
    out["requests_rejected"] = optional_value(r.requests_rejected);
    out["slo_met"] = optional_value(r.slo_met);
    out["slo_missed"] = slo_missed_targets(r.slo_missed);
}

json percentiles(const inference::Percentiles& p) { return json{{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}}; }

}  // namespace

json run_to_json(std::int64_t run_id, const RunRecord& record, const training::TrainingResult& result) {
    json out = common_keys(run_id, record, result.fidelity);
    out["step_time_s"] = result.step_time_s;
    out["tokens_per_step"] = result.tokens_per_step;
    out["tokens_per_s"] = result.tokens_per_s;
    out["tokens_per_s_per_gpu"] = result.tokens_per_s_per_gpu;
    out["model_flops_per_token"] = result.model_flops_per_token;
    out["mfu"] = result.mfu;
    out["fp8_utilization"] = result.fp8_utilization;
    out["bubble_fraction"] = result.bubble_fraction;
    out["exposed_comm_s"] = json{{"ep", result.exposed_comm.ep_s},
                                 {"pp", result.exposed_comm.pp_s},
                                 {"dp", result.exposed_comm.dp_s},
                                 {"tp", result.exposed_comm.tp_s}};
    out["peak_memory_GB"] = result.peak_memory_GB;
    out["gpu_hours"] = result.gpu_hours;
    out["cost_usd"] = result.cost_usd;
    out["usd_per_million_tokens"] = result.usd_per_million_tokens;
    out["wall_days"] = result.wall_days;
    put_memory_verdict(out, result);
    json breakdown = json::array();
    for (const training::BreakdownEntry& entry : result.breakdown)
        breakdown.push_back({{"phase", entry.phase}, {"category", entry.category}, {"seconds", entry.seconds}});
    out["breakdown"] = std::move(breakdown);
    if (!result.phases.empty()) {  // a run read back from SQLite has none
        json phases = json::array();
        for (const training::PhaseEntry& p : result.phases)
            phases.push_back({{"phase", p.phase}, {"part", p.part}, {"seconds", p.seconds}});
        out["phases"] = std::move(phases);
    }
    out["assumptions"] = result.assumptions;
    if (!result.traffic.empty()) {  // --network flows (docs/STEP_FLOWS.md)
        json traffic = json::array();
        for (const training::TrafficClassFigures& c : result.traffic)
            traffic.push_back({{"class", c.name},
                               {"instances", c.instances},
                               {"ideal_s", c.ideal_s},
                               {"achieved_s", c.achieved_s},
                               {"slowdown", c.slowdown()},
                               {"worst_slowdown", c.worst_slowdown},
                               {"slowed", c.slowed}});
        out["traffic_classes"] = std::move(traffic);
    }
    return out;
}

json run_to_json(std::int64_t run_id, const RunRecord& record, const inference::InferenceResult& result) {
    json out = common_keys(run_id, record, result.fidelity);
    out["prefill_input_tokens_per_s_per_node"] = result.prefill_input_tokens_per_s_per_node;
    out["decode_output_tokens_per_s_per_node"] = result.decode_output_tokens_per_s_per_node;
    out["ttft_ms"] = percentiles(result.ttft_ms);
    out["tpot_ms"] = percentiles(result.tpot_ms);
    out["requests_completed"] = result.requests_completed;
    out["kv_cache_utilization"] = result.kv_cache_utilization;
    out["usd_per_million_input_tokens_cache_miss"] = result.usd_per_million_input_tokens_cache_miss;
    out["usd_per_million_input_tokens_cache_hit"] = result.usd_per_million_input_tokens_cache_hit;
    out["usd_per_million_output_tokens"] = result.usd_per_million_output_tokens;
    put_serving_verdict(out, result);
    out["output_tokens_decoded"] = optional_value(result.output_tokens_decoded);
    out["decode_holds"] = optional_value(result.decode_holds);
    if (!result.breakdown.empty()) {
        json breakdown = json::array();
        for (const inference::ServingBreakdownEntry& e : result.breakdown)
            breakdown.push_back({{"pool", e.pool}, {"category", e.category}, {"seconds", e.seconds}, {"share", e.share}});
        out["breakdown"] = std::move(breakdown);
    }
    out["assumptions"] = result.assumptions;
    return out;
}

json run_to_json(std::int64_t run_id, const RunRecord& record, const RunResult& result) {
    return std::visit([&](const auto& typed) { return run_to_json(run_id, record, typed); }, result);
}

json run_to_json(const StoredRun& run) { return run_to_json(run.id, run.record, run.result); }

json run_summary_to_json(const RunSummary& r) {
    json j = {{"run_id", r.id},   {"created_utc", r.created_utc}, {"name", r.name},         {"mode", r.mode},
              {"model", r.model}, {"gpu", r.gpu},                 {"gpus", r.gpus},         {"fidelity", r.fidelity},
              {"label", r.label}, {"overrides", r.overrides}};
    if (r.gpu_hours) j["gpu_hours"] = *r.gpu_hours;
    if (r.cost_usd) j["cost_usd"] = *r.cost_usd;
    if (r.mfu) j["mfu"] = *r.mfu;
    if (r.step_time_s) j["step_time_s"] = *r.step_time_s;
    if (r.usd_per_million_output_tokens) j["usd_per_million_output_tokens"] = *r.usd_per_million_output_tokens;
    if (r.mode == "training")
        put_memory_verdict(j, r);
    else
        put_serving_verdict(j, r);
    return j;
}

}  // namespace moesim::report
