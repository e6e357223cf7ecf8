#include "moesim/reports/json_output.h"

#include <nlohmann/json.hpp>

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
                {"fidelity", fidelity.empty() ? record.fidelity : fidelity}};
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
    json breakdown = json::array();
    for (const training::BreakdownEntry& entry : result.breakdown)
        breakdown.push_back({{"phase", entry.phase}, {"category", entry.category}, {"seconds", entry.seconds}});
    out["breakdown"] = std::move(breakdown);
    out["assumptions"] = result.assumptions;
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
    out["assumptions"] = result.assumptions;
    return out;
}

json run_to_json(std::int64_t run_id, const RunRecord& record, const RunResult& result) {
    return std::visit([&](const auto& typed) { return run_to_json(run_id, record, typed); }, result);
}

json run_to_json(const StoredRun& run) { return run_to_json(run.id, run.record, run.result); }

}  // namespace moesim::report
