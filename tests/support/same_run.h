#pragma once
// Two runs the same, field by field (doubles bit for bit), as Catch checks: a run read back
// from the store, or handed between processes (run_wire.h), against the one recorded.
#include <catch2/catch.hpp>

#include "moesim/reports/run_record.h"

namespace moesim::report::test {

using moesim::report::RunRecord;
namespace training = moesim::training;
namespace inference = moesim::inference;

inline void check_same(const training::TrainingResult& a, const training::TrainingResult& b) {
    CHECK(a.fidelity == b.fidelity);
    CHECK(a.step_time_s == b.step_time_s);
    CHECK(a.tokens_per_step == b.tokens_per_step);
    CHECK(a.tokens_per_s == b.tokens_per_s);
    CHECK(a.tokens_per_s_per_gpu == b.tokens_per_s_per_gpu);
    CHECK(a.model_flops_per_token == b.model_flops_per_token);
    CHECK(a.mfu == b.mfu);
    CHECK(a.fp8_utilization == b.fp8_utilization);
    CHECK(a.bubble_fraction == b.bubble_fraction);
    CHECK(a.exposed_comm.ep_s == b.exposed_comm.ep_s);
    CHECK(a.exposed_comm.pp_s == b.exposed_comm.pp_s);
    CHECK(a.exposed_comm.dp_s == b.exposed_comm.dp_s);
    CHECK(a.exposed_comm.tp_s == b.exposed_comm.tp_s);
    CHECK(a.peak_memory_GB == b.peak_memory_GB);
    CHECK(a.gpu_hours == b.gpu_hours);
    CHECK(a.cost_usd == b.cost_usd);
    CHECK(a.usd_per_million_tokens == b.usd_per_million_tokens);
    CHECK(a.wall_days == b.wall_days);
    CHECK(a.memory_headroom_GB == b.memory_headroom_GB);
    CHECK(a.over_memory == b.over_memory);
    REQUIRE(a.breakdown.size() == b.breakdown.size());
    for (std::size_t i = 0; i < a.breakdown.size(); ++i) {
        CHECK(a.breakdown[i].phase == b.breakdown[i].phase);
        CHECK(a.breakdown[i].category == b.breakdown[i].category);
        CHECK(a.breakdown[i].seconds == b.breakdown[i].seconds);
    }
    CHECK(a.assumptions == b.assumptions);
}

inline void check_same(const inference::InferenceResult& a, const inference::InferenceResult& b) {
    CHECK(a.fidelity == b.fidelity);
    CHECK(a.prefill_input_tokens_per_s_per_node == b.prefill_input_tokens_per_s_per_node);
    CHECK(a.decode_output_tokens_per_s_per_node == b.decode_output_tokens_per_s_per_node);
    CHECK(a.ttft_ms.p50 == b.ttft_ms.p50);
    CHECK(a.ttft_ms.p90 == b.ttft_ms.p90);
    CHECK(a.ttft_ms.p99 == b.ttft_ms.p99);
    CHECK(a.tpot_ms.p50 == b.tpot_ms.p50);
    CHECK(a.tpot_ms.p90 == b.tpot_ms.p90);
    CHECK(a.tpot_ms.p99 == b.tpot_ms.p99);
    CHECK(a.requests_completed == b.requests_completed);
    CHECK(a.kv_cache_utilization == b.kv_cache_utilization);
    CHECK(a.usd_per_million_input_tokens_cache_miss == b.usd_per_million_input_tokens_cache_miss);
    CHECK(a.usd_per_million_input_tokens_cache_hit == b.usd_per_million_input_tokens_cache_hit);
    CHECK(a.usd_per_million_output_tokens == b.usd_per_million_output_tokens);
    CHECK(a.requests_per_s == b.requests_per_s);
    CHECK(a.requests_measured == b.requests_measured);
    CHECK(a.requests_unfinished == b.requests_unfinished);
    CHECK(a.requests_rejected == b.requests_rejected);
    CHECK(a.output_tokens_decoded == b.output_tokens_decoded);
    CHECK(a.slo_met == b.slo_met);
    CHECK(a.slo_missed == b.slo_missed);
    CHECK(a.assumptions == b.assumptions);
}

inline void check_same(const RunRecord& a, const RunRecord& b) {
    CHECK(a.name == b.name);
    CHECK(a.mode == b.mode);
    CHECK(a.model == b.model);
    CHECK(a.gpu == b.gpu);
    CHECK(a.gpus == b.gpus);
    CHECK(a.seed == b.seed);
    CHECK(a.sim_wall_s == b.sim_wall_s);
    CHECK(a.scenario_json == b.scenario_json);
    CHECK(a.tool_version == b.tool_version);
    CHECK(a.git_revision == b.git_revision);
    CHECK(a.calibration_id == b.calibration_id);
    CHECK(a.overrides == b.overrides);
    CHECK((a.label.empty() ? a.name : a.label) == (b.label.empty() ? b.name : b.label));
}

}  // namespace moesim::report::test
