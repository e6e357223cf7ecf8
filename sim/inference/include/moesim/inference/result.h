#pragma once
// The typed result of one serving simulation (DESIGN.md §4, §6).
#include <optional>
#include <string>
#include <vector>

namespace moesim::inference {

struct Percentiles {
    double p50 = 0, p90 = 0, p99 = 0;
};

// One kind of work of a pool's iterations (ServingStats' breakdown): mean seconds per
// iteration inside the window, and its share of the pool's iteration time. The compute kinds
// and the exposed communication and gather add up to the iteration; "ep_comm" (dispatch +
// combine on the communication stream, hidden or not) does not add in. Pool "kv_transfer":
// mean seconds per request of the prefill → decode KV transfer (not in an iteration; share 0).
struct ServingBreakdownEntry {
    std::string pool;       // "prefill", "decode", "kv_transfer"
    std::string category;   // attention, dense_gemm, moe_gemm, tp_comm, other, ep_comm_exposed,
                            // kv_gather_exposed, ep_comm
    double seconds = 0;     // per iteration (kv_transfer: per request)
    double share = 0;       // of the pool's iteration time
};

struct InferenceResult {
    std::string fidelity;
    double prefill_input_tokens_per_s_per_node = 0;
    double decode_output_tokens_per_s_per_node = 0;
    Percentiles ttft_ms;
    Percentiles tpot_ms;
    long long requests_completed = 0;
    double kv_cache_utilization = 0;
    double usd_per_million_input_tokens_cache_miss = 0;
    double usd_per_million_input_tokens_cache_hit = 0;
    double usd_per_million_output_tokens = 0;
    std::vector<std::string> assumptions;
    std::vector<ServingBreakdownEntry> breakdown;  // not stored in the results database

    // What tells a run apart from another of the same deployment (serving_sim.h's
    // measurement). nullopt only in a run read back from a database written before these were
    // stored (schema 3).
    std::optional<double> requests_per_s;              // offered (Poisson) or measured (trace)
    std::optional<long long> requests_measured;        // arrived inside the window
    std::optional<long long> requests_unfinished;      // measured, still in the system at the stop
    std::optional<long long> requests_rejected;        // measured, too long for any group's KV cache
    std::optional<long long> output_tokens_decoded;    // in the window, of any request: the
                                                       // denominator of usd_per_million_output_tokens
    std::optional<long long> decode_holds;             // measured, waited for decode KV room (schema 5)
    std::optional<bool> slo_met;                       // slo.h: every target met, a request completed
    std::string slo_missed;                            // slo.h's targets missed, comma-separated; "" if met
};

}  // namespace moesim::inference
