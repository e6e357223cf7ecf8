#include "serving_searches.h"

#include <string>

#include "format.h"

namespace moesim::cli {

namespace {

void print_pool(std::ostream& out, const char* pool, const char* target, const inference::PoolAlone& p) {
    out << pool << p.instances << (p.instances == 1 ? " instance" : " instances") << " meet" << (p.instances == 1 ? "s" : "")
        << " the " << target << " target ";
    if (p.requests_per_s)
        out << "up to " << fixed(*p.requests_per_s, 2) << " requests/s (" << fixed(p.per_instance_requests_per_s(), 2)
            << " per instance, " << p.probes << " rates simulated)\n";
    else
        out << "at no rate: " << p.why_none << "\n";
}

nlohmann::json pool_json(const inference::PoolAlone& p) {
    nlohmann::json j = {{"instances", p.instances},
                        {"requests_per_s", p.requests_per_s ? nlohmann::json(*p.requests_per_s) : nlohmann::json()},
                        {"per_instance_requests_per_s",
                         p.requests_per_s ? nlohmann::json(p.per_instance_requests_per_s()) : nlohmann::json()},
                        {"probes", p.probes}};
    if (!p.why_none.empty()) j["why_none"] = p.why_none;
    return j;
}

std::string optional_ratio(const std::optional<double>& r) { return r ? fixed(*r, 2) : "none"; }

}  // namespace

void print_pools(std::ostream& out, const inference::PoolCapacities& pools, int scenario_prefill_instances) {
    print_pool(out, "  pools alone   prefill ", "TTFT", pools.prefill);
    print_pool(out, "                decode  ", "TPOT", pools.decode);
    out << "                (prefill alone: every output one token; decode alone: every prompt a prefix-cache hit)\n";
    if (pools.prefill_per_decode)
        out << "  P:D ratio     " << fixed(*pools.prefill_per_decode, 2)
            << " prefill instances per decode instance keep either pool from limiting the other (this deployment: "
            << fixed(static_cast<double>(scenario_prefill_instances) / pools.decode.instances, 2) << ")\n";
}

void print_ratio(std::ostream& out, const inference::RatioSearch& r, int decode_instances) {
    out << "  find ratio    prefill instances per " << decode_instances << " decode "
        << (decode_instances == 1 ? "instance" : "instances") << ", from "
        << r.start_prefill_instances << " (the pools' implied ratio "
        << optional_ratio(r.pools.prefill_per_decode) << "), one at a time while the output per GPU-hour grows:\n";
    for (std::size_t i = 0; i < r.tried.size(); ++i) {
        const auto& p = r.tried[i];
        out << "                " << p.prefill_instances << " prefill (" << p.gpus << " GPUs): ";
        if (!p.requests_per_s) {
            out << "no rate meets the SLO\n";
            continue;
        }
        out << fixed(*p.requests_per_s, 2) << " requests/s, " << thousands(p.output_tokens_per_gpu_hour)
            << " output tokens per GPU-hour; per node prefill " << thousands(p.prefill_input_tokens_per_s_per_node)
            << " input, decode " << thousands(p.decode_output_tokens_per_s_per_node) << " output tokens/s; p99 TTFT "
            << fixed(p.ttft_p99_ms, 0) << " ms, TPOT " << fixed(p.tpot_p99_ms, 1) << " ms"
            << (i == r.best ? "  best" : "") << "\n";
    }
    const auto& a = r.answer();
    out << "                answer: " << a.prefill_instances << " prefill per " << decode_instances << " decode ("
        << fixed(static_cast<double>(a.prefill_instances) / decode_instances, 2)
        << " per decode instance); the run above is at that count and its max load\n";
}

nlohmann::json pools_json(const inference::PoolCapacities& pools) {
    return {{"prefill", pool_json(pools.prefill)},
            {"decode", pool_json(pools.decode)},
            {"prefill_per_decode", pools.prefill_per_decode ? nlohmann::json(*pools.prefill_per_decode) : nlohmann::json()}};
}

nlohmann::json ratio_json(const inference::RatioSearch& r, int decode_instances) {
    nlohmann::json tried = nlohmann::json::array();
    for (const auto& p : r.tried) {
        nlohmann::json row = {{"prefill_instances", p.prefill_instances},
                              {"gpus", p.gpus},
                              {"requests_per_s", p.requests_per_s ? nlohmann::json(*p.requests_per_s) : nlohmann::json()},
                              {"output_tokens_per_gpu_hour", p.output_tokens_per_gpu_hour},
                              {"prefill_input_tokens_per_s_per_node", p.prefill_input_tokens_per_s_per_node},
                              {"decode_output_tokens_per_s_per_node", p.decode_output_tokens_per_s_per_node},
                              {"ttft_p99_ms", p.ttft_p99_ms},
                              {"tpot_p99_ms", p.tpot_p99_ms},
                              {"usd_per_million_output_tokens", p.usd_per_million_output_tokens}};
        if (!p.why_none.empty()) row["why_none"] = p.why_none;
        tried.push_back(std::move(row));
    }
    const auto& a = r.answer();
    return {{"start_prefill_instances", r.start_prefill_instances},
            {"decode_instances", decode_instances},
            {"prefill_instances", a.prefill_instances},
            {"prefill_per_decode", static_cast<double>(a.prefill_instances) / decode_instances},
            {"pools", pools_json(r.pools)},
            {"tried", tried}};
}

}  // namespace moesim::cli
