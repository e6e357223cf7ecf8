#pragma once
// For the report-rendering tests: runs as `moesim run` stores them — a scenario JSON with
// the sections the reports read (cluster price, layout, deployment) and a typed result —
// written to a temporary results database.
#include <string>

#include <nlohmann/json.hpp>

#include "report_fixtures.h"

namespace moesim::report::test {

inline RunRecord serving_record(const std::string& name, const std::string& model, double gpu_hour_usd = 2.0) {
    RunRecord record = sample_record(name, "inference");
    record.model = model;
    record.gpus = 352;
    const nlohmann::json scenario = {
        {"schema", 1},
        {"name", name},
        {"mode", "inference"},
        {"model", model},
        {"cluster", {{"gpu", "H800"}, {"nodes", 44}, {"gpus_per_node", 8}, {"gpu_hour_usd", gpu_hour_usd}}},
        {"inference",
         {{"deployment", "disaggregated"},
          {"prefill", {{"instances", 1}, {"nodes", 4}, {"attn_tp", 4}, {"ep", 32}, {"micro_batches", 2}}},
          {"decode",
           {{"instances", 1},
            {"nodes", 40},
            {"attn_tp", 4},
            {"ep", 320},
            {"micro_batches", 2},
            {"mtp", {{"draft_tokens", 1}, {"acceptance", 0.85}}}}}}}};
    record.scenario_json = scenario.dump();
    return record;
}

inline inference::InferenceResult serving_result(double hit_usd, double miss_usd, double output_usd) {
    inference::InferenceResult r = sample_inference();
    r.usd_per_million_input_tokens_cache_hit = hit_usd;
    r.usd_per_million_input_tokens_cache_miss = miss_usd;
    r.usd_per_million_output_tokens = output_usd;
    return r;
}

inline RunRecord training_record(const std::string& name, double total_tokens = 14.8e12) {
    RunRecord record = sample_record(name, "training");
    const nlohmann::json scenario = {
        {"schema", 1},
        {"name", name},
        {"mode", "training"},
        {"model", "deepseek-v3"},
        {"cluster", {{"gpu", "H800"}, {"nodes", 256}, {"gpus_per_node", 8}, {"gpu_hour_usd", 2.0}}},
        {"parallelism",
         {{"tp", 1}, {"pp", 16}, {"dp", 128}, {"ep", 64}, {"zero_stage", 1}, {"schedule", "dualpipe"}}},
        {"training", {{"total_tokens", total_tokens}, {"precision", "fp8"}}}};
    record.scenario_json = scenario.dump();
    return record;
}

// A minimal RFC 4180 reader, to check what a CSV says rather than how it is spelt.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false, field_started = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"' && !field_started) {
            quoted = field_started = true;
        } else if (c == ',') {
            rows.back().push_back(field);
            field.clear();
            field_started = false;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            rows.back().push_back(field);
            field.clear();
            field_started = false;
            rows.emplace_back();
            ++i;
        } else {
            field += c;
            field_started = true;
        }
    }
    if (field_started || !rows.back().empty()) rows.back().push_back(field);
    if (rows.back().empty()) rows.pop_back();
    return rows;
}

}  // namespace moesim::report::test
