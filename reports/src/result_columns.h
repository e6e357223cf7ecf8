#pragma once
// The stored columns of each result type, in the order of the schema: the INSERT, the
// SELECT that loads a result back, their bindings and the wire form of a run between
// processes (run_wire.h) all come from these lists, so they cannot disagree.
#include <optional>
#include <type_traits>

#include "moesim/inference/result.h"
#include "moesim/training/result.h"

namespace moesim::report {

template <class Result, class Visit>  // Result: TrainingResult or const TrainingResult
void visit_training_columns(Result& r, Visit&& visit) {
    visit("step_time_s", r.step_time_s);
    visit("tokens_per_step", r.tokens_per_step);
    visit("tokens_per_s", r.tokens_per_s);
    visit("tokens_per_s_per_gpu", r.tokens_per_s_per_gpu);
    visit("model_flops_per_token", r.model_flops_per_token);
    visit("mfu", r.mfu);
    visit("fp8_utilization", r.fp8_utilization);
    visit("bubble_fraction", r.bubble_fraction);
    visit("exposed_ep_s", r.exposed_comm.ep_s);
    visit("exposed_pp_s", r.exposed_comm.pp_s);
    visit("exposed_dp_s", r.exposed_comm.dp_s);
    visit("exposed_tp_s", r.exposed_comm.tp_s);
    visit("peak_memory_GB", r.peak_memory_GB);
    visit("gpu_hours", r.gpu_hours);
    visit("cost_usd", r.cost_usd);
    visit("usd_per_million_tokens", r.usd_per_million_tokens);
    visit("wall_days", r.wall_days);
    visit("memory_headroom_GB", r.memory_headroom_GB);  // schema 3
    visit("over_memory", r.over_memory);
}

template <class Result, class Visit>
void visit_inference_columns(Result& r, Visit&& visit) {
    visit("prefill_input_tokens_per_s_per_node", r.prefill_input_tokens_per_s_per_node);
    visit("decode_output_tokens_per_s_per_node", r.decode_output_tokens_per_s_per_node);
    visit("ttft_p50_ms", r.ttft_ms.p50);
    visit("ttft_p90_ms", r.ttft_ms.p90);
    visit("ttft_p99_ms", r.ttft_ms.p99);
    visit("tpot_p50_ms", r.tpot_ms.p50);
    visit("tpot_p90_ms", r.tpot_ms.p90);
    visit("tpot_p99_ms", r.tpot_ms.p99);
    visit("requests_completed", r.requests_completed);
    visit("kv_cache_utilization", r.kv_cache_utilization);
    visit("usd_per_million_input_tokens_cache_miss", r.usd_per_million_input_tokens_cache_miss);
    visit("usd_per_million_input_tokens_cache_hit", r.usd_per_million_input_tokens_cache_hit);
    visit("usd_per_million_output_tokens", r.usd_per_million_output_tokens);
    visit("requests_per_s", r.requests_per_s);  // schema 3
    visit("requests_measured", r.requests_measured);
    visit("requests_unfinished", r.requests_unfinished);
    visit("requests_rejected", r.requests_rejected);
    visit("output_tokens_decoded", r.output_tokens_decoded);
    visit("decode_holds", r.decode_holds);  // schema 5
    visit("slo_met", r.slo_met);
    visit("slo_missed", r.slo_missed);
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

}  // namespace moesim::report
