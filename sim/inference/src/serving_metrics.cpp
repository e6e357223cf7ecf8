// From the serving simulation's counts to the result's figures (serving_tally.h): latency
// percentiles, throughput per node, KV-cache utilisation, dollars per million tokens, and
// the assumptions behind them.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "moesim/common/units.h"
#include "moesim/inference/slo.h"
#include "serving_tally.h"

namespace moesim::inference {

void ServingBreakdown::add(const IterationBreakdown& b, double gather_exposed_s, double weight) {
    attention_s += weight * b.attention_s;
    dense_gemm_s += weight * b.dense_gemm_s;
    moe_gemm_s += weight * b.moe_gemm_s;
    tp_comm_s += weight * b.tp_comm_s;
    other_s += weight * b.other_s;
    dispatch_s += weight * b.dispatch_s;
    combine_s += weight * b.combine_s;
    exposed_comm_s += weight * b.exposed_comm_s;
    kv_gather_exposed_s += weight * gather_exposed_s;
    iteration_s += weight * (b.total_s + gather_exposed_s);
    iterations += weight;
}

}  // namespace moesim::inference

namespace moesim::inference::detail {

namespace {

Percentiles percentiles(std::vector<double>& v) { return {nearest_rank(v, 50), nearest_rank(v, 90), nearest_rank(v, 99)}; }

double per_million(double usd, long long tokens) { return tokens > 0 ? usd / static_cast<double>(tokens) * 1e6 : 0; }
double ratio(double a, double b) { return b > 0 ? a / b : 0; }

std::string num(double v, int decimals = 2) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(decimals);
    out << v;
    return out.str();
}

void add_assumptions(const workload::Scenario& s, const Deployment& d, const ServingRun& run,
                     std::vector<std::string>& out) {
    const ServingStats& st = run.stats;
    const workload::Traffic& t = s.inference.traffic;
    const bool poisson = t.arrival == workload::Arrival::Poisson;
    out.push_back(
        "request-level discrete-event simulation: " +
        (poisson ? "Poisson arrivals at " + num(st.requests_per_s, 3) + " requests/s (seed " + std::to_string(s.seed) + ")"
                 : "the arrivals of trace " + t.trace_file) +
        "; measured: the " + std::to_string(st.requests_measured) + " requests arriving in [" + num(st.window_start_s, 1) +
        ", " + num(st.window_end_s, 1) + ") s" + (poisson ? " (the first 10% of duration_s is warm-up)" : "") +
        ", each followed to its last token while arrivals go on, up to 2 x duration_s; " +
        std::to_string(run.result.requests_completed) + " completed, " + std::to_string(st.requests_unfinished) +
        " unfinished when the simulation stopped at " + num(st.end_s, 1) + " s, " +
        std::to_string(st.requests_rejected) + " rejected (prompt and output larger than a group's KV cache)");
    if (poisson)
        out.push_back("prefix cache: each request's first round(" + num(t.prefix_cache_hit_rate, 3) +
                      " x input) tokens are cache hits (at most input - 1: the last prompt token is computed); hits "
                      "skip prefill compute but are attention context");
    const std::string groups_p = std::to_string(d.prefill_groups), groups_d = std::to_string(d.decode_groups);
    if (d.prefill_balancer == workload::PrefillBalancer::None)
        out.push_back("prefill (balancer \"none\"): FIFO per instance, a request to the instance with the fewest "
                      "prompt tokens left; each iteration gives each of the " + groups_p + " attention groups up to " +
                      std::to_string(d.prefill_tokens_per_group) + " new tokens (max_batch_tokens / groups) and " +
                      std::to_string(d.prefill_max_sequences) +
                      " sequences, started prompts first, then queued ones to the group with the most budget left; "
                      "longer prompts are chunked over iterations; the first token comes out of the prompt's last "
                      "chunk");
    else
        out.push_back(
            "prefill (balancer \"attention-cost\"): FIFO per instance, a request to the instance with the fewest "
            "prompt tokens left; each iteration takes up to max_batch_tokens new tokens, started prompts first, then "
            "queued ones whose KV fits a home group (the one with the most room; the prompt's KV lives there), and "
            "cuts that token stream into " + groups_p + " contiguous pieces, one per attention group, so that the "
            "slowest group's compute as the cost model prices it (GEMMs, attention pairs, kv_b_proj over the "
            "piece's prefix) is least: a first cut on a token at position p costing lambda + p attention pairs, "
            "lambda = " + num(d.prefill_token_cost.per_token, 0) + " (the cost model's group compute at " +
            std::to_string(d.prefill_tokens_per_group) + " new tokens, less the chunk's attention to itself), "
            "then greedy cuts under a bound on a group's priced compute, lowered until the groups are within one "
            "mean token's price of each other (or the bound is least), so a long prompt is "
            "split over groups; a piece away from its prompt's home gathers the KV of its earlier positions and "
            "sends its own back (kv_gather_s of start + tokens per piece on the busiest group's link), moving layer "
            "by layer under the compute, so an iteration takes the longer of the two (" +
            std::to_string(st.prefill_gather_bound_iterations) + " of " + std::to_string(st.prefill_iterations) +
            " iterations gather-bound); working memory stays sized for max_batch_tokens / groups per group; the "
            "first token comes out of the prompt's last chunk");
    out.push_back("decode: continuous batching; FIFO admission to the group (of " + groups_d + " per instance x " +
                  std::to_string(d.decode_instances) + " instances) with the least KV reserved after placing it, then "
                  "the fewest sequences (decode_placement.h), reserving input + output tokens of its " +
                  std::to_string(d.decode_kv_capacity) + "-token KV cache (at most " +
                  std::to_string(d.decode_max_sequences) +
                  " sequences); admission \"hold\": with no room the request waits, in FIFO order (" +
                  std::to_string(st.decode_holds) +
                  " measured requests waited); the output length is known, so nothing is preempted; KV-cache "
                  "utilisation counts the tokens really cached, time-averaged over the window (reserved: " +
                  num(100 * st.kv_reserved_fraction, 1) + "%)");
    out.push_back("decode tokens per step " + num(d.tokens_per_decode_step, 4) +
                  (d.draft_tokens > 0 ? " (MTP: " + std::to_string(d.draft_tokens) + " draft tokens)" : "") +
                  ": after K steps of its instance a sequence has emitted floor(K t) - floor(K0 t) tokens, its last "
                  "step capped at its output; mean " + num(st.mean_decode_sequences_per_group, 1) +
                  " sequences per attention group per decode iteration");
    if (d.colocated)
        out.push_back("colocated: the " + std::to_string(d.decode_instances) +
                      " decode instances also prefill, prefill first: an instance runs a prefill iteration whenever a "
                      "prompt is waiting and its group has room for its KV (reserved when its prefill starts), and "
                      "decodes otherwise; decoding sequences wait during prefill iterations");
    else
        out.push_back("KV cache moves to the decode group when admitted: kv_transfer_s per request, transfers not "
                      "sharing links; the prompt's KV stays on its prefill group until it has moved");
    out.push_back("TTFT: arrival to the end of the prefill iteration that computes the last prompt token; TPOT: (last "
                  "token - first token) / (output - 1), KV transfer and admission wait included, requests of one "
                  "output token left out; percentiles nearest-rank over the measured requests, those unfinished "
                  "at the stop with what they had got by then (a lower bound)");
    out.push_back(
        "dollars: every GPU costs gpu_hour_usd for the whole window, busy or idle; " +
        std::string(d.colocated ? "the instances' time goes to prefill and decode in proportion to their iteration time, "
                                : "the prefill pool's time goes to input tokens and the decode pool's to output tokens, ") +
        "output tokens being those decode emits (the first token is prefill's); prefill time splits between cache hits "
        "and misses by the time cached context adds to each prefill iteration (iteration_s with and without it): " +
        num(100 * st.cache_hit_time_fraction, 1) + "% to hits; busy: prefill " + num(100 * st.prefill_busy_fraction, 1) +
        "%, decode " + num(100 * st.decode_busy_fraction, 1) +
        "% of their instances' time had work (prompts queued or computing, sequences decoding), iterating: prefill " +
        num(100 * st.prefill_iterating_fraction, 1) + "%, decode " + num(100 * st.decode_iterating_fraction, 1) + "%");
}

void add_pool_breakdown(const char* pool, const ServingBreakdown& b, std::vector<ServingBreakdownEntry>& out) {
    if (b.iterations <= 0) return;
    const std::pair<const char*, double> kinds[] = {
        {"attention", b.attention_s}, {"dense_gemm", b.dense_gemm_s},         {"moe_gemm", b.moe_gemm_s},
        {"tp_comm", b.tp_comm_s},     {"other", b.other_s},                   {"ep_comm_exposed", b.exposed_comm_s},
        {"kv_gather_exposed", b.kv_gather_exposed_s}, {"ep_comm", b.dispatch_s + b.combine_s}};
    for (const auto& [category, seconds] : kinds)
        out.push_back({pool, category, seconds / b.iterations, ratio(seconds, b.iteration_s)});
}

void add_breakdown(const ServingStats& st, std::vector<ServingBreakdownEntry>& out) {
    add_pool_breakdown("prefill", st.prefill_breakdown, out);
    add_pool_breakdown("decode", st.decode_breakdown, out);
    if (st.kv_transfers > 0)
        out.push_back({"kv_transfer", "kv_transfer", st.kv_transfer_s / static_cast<double>(st.kv_transfers), 0});
}

}  // namespace

double nearest_rank(std::vector<double>& v, long long percent) {
    if (v.empty()) return 0;
    const auto n = static_cast<long long>(v.size());
    const long long rank = std::clamp((percent * n + 99) / 100, 1LL, n);
    const auto k = v.begin() + (rank - 1);
    std::nth_element(v.begin(), k, v.end());
    return *k;
}

void summarize(const workload::Scenario& s, const Deployment& d, Tally& t, ServingRun& run) {
    ServingStats& st = run.stats;
    InferenceResult& r = run.result;
    r.fidelity = "event";
    const double window_s = st.window_end_s - st.window_start_s;
    if (s.inference.traffic.arrival == workload::Arrival::Trace)
        st.requests_per_s = static_cast<double>(st.requests_measured) / window_s;
    st.mean_requests_in_system = t.in_system_request_s / window_s;
    st.mean_latency_s = ratio(t.latency_sum_s, static_cast<double>(t.measured_completed));
    const double prefill_instance_s = d.prefill_instances * window_s;
    const double decode_instance_s = d.decode_instances * window_s;
    st.prefill_busy_fraction = t.prefill_work_s / prefill_instance_s;
    st.decode_busy_fraction = t.decode_work_s / decode_instance_s;
    st.prefill_iterating_fraction = t.prefill_busy_s / prefill_instance_s;
    st.decode_iterating_fraction = t.decode_busy_s / decode_instance_s;
    st.cache_hit_time_fraction = ratio(t.cache_hit_s, t.prefill_busy_s);
    st.mean_decode_sequences_per_group = ratio(t.decode_group_sequences, static_cast<double>(t.decode_group_iterations));
    const double kv_token_s =
        static_cast<double>(d.decode_kv_capacity) * d.decode_groups * d.decode_instances * window_s;
    st.kv_reserved_fraction = t.kv_reserved_token_s / kv_token_s;

    r.ttft_ms = percentiles(t.ttft_ms);
    r.tpot_ms = percentiles(t.tpot_ms);
    r.requests_completed = t.measured_completed;
    r.kv_cache_utilization = t.kv_used_token_s / kv_token_s;
    const int prefill_nodes = d.colocated ? d.decode_nodes * d.decode_instances : d.prefill_nodes * d.prefill_instances;
    const int decode_nodes = d.decode_nodes * d.decode_instances;
    r.prefill_input_tokens_per_s_per_node =
        static_cast<double>(st.input_tokens_computed + st.input_tokens_cached) / window_s / prefill_nodes;
    r.decode_output_tokens_per_s_per_node = static_cast<double>(st.output_tokens_decoded) / window_s / decode_nodes;

    const double usd_per_gpu_s = s.cluster.gpu_hour_usd / units::kSecondsPerHour;
    double prefill_usd = 0, decode_usd = 0;
    if (d.colocated) {
        const double all_usd = d.decode_gpus * d.decode_instances * window_s * usd_per_gpu_s;
        const double busy_s = t.prefill_busy_s + t.decode_busy_s;
        prefill_usd = all_usd * ratio(t.prefill_busy_s, busy_s);
        decode_usd = all_usd * ratio(t.decode_busy_s, busy_s);
    } else {
        prefill_usd = d.prefill_gpus * d.prefill_instances * window_s * usd_per_gpu_s;
        decode_usd = d.decode_gpus * d.decode_instances * window_s * usd_per_gpu_s;
    }
    const double hit_share = st.cache_hit_time_fraction;
    r.usd_per_million_input_tokens_cache_miss = per_million(prefill_usd * (1 - hit_share), st.input_tokens_computed);
    r.usd_per_million_input_tokens_cache_hit = per_million(prefill_usd * hit_share, st.input_tokens_cached);
    r.usd_per_million_output_tokens = per_million(decode_usd, st.output_tokens_decoded);
    r.requests_per_s = st.requests_per_s;
    r.requests_measured = st.requests_measured;
    r.requests_unfinished = st.requests_unfinished;
    r.requests_rejected = st.requests_rejected;
    r.decode_holds = st.decode_holds;
    r.output_tokens_decoded = st.output_tokens_decoded;
    add_breakdown(st, r.breakdown);
    record_slo(s.inference.slo, r);
    add_assumptions(s, d, run, r.assumptions);
}

}  // namespace moesim::inference::detail
