#pragma once
// The request-level serving simulation (issue 5): requests arrive, are prefilled in batches
// (long prompts chunked), their KV cache moves to a decode instance, and they decode with
// continuous batching until their last token. It runs on the engine's event loop; every
// iteration's time comes from IterationCosts::iteration_s over the loads of the attention
// groups, so the same code runs against the operator model or a hand-computable fake.
//
// Policies (each also printed in the result's assumptions):
//  * Arrival: a request goes to the prefill instance with the fewest prompt tokens still to
//    compute (ties: lowest index) and waits there in FIFO order.
//  * Prefill iteration, balancer "attention-cost" (the default; prefill_balancer.h): the
//    instance takes up to max_batch_tokens new tokens in FIFO order, started prompts' next
//    chunks first, then queued prompts whose KV fits a home group (the group with the most
//    room; a prompt's KV lives there until it has moved to decode); the token stream is cut
//    into one contiguous piece per group of equal cost, a token at position p costing λ + p
//    (λ from the cost model, serving_deployment.cpp), so a long prompt is split over groups
//    and no group's attention stalls the rest. A piece computed away from the prompt's home
//    gathers the KV of its earlier positions and sends its own back, kv_gather_s(start +
//    tokens) on each side, summed per group; the gather moves layer by layer under the
//    compute, so the iteration takes the longer of compute and the busiest group's gather.
//  * Prefill iteration, balancer "none" (the behaviour before issue 13): each attention
//    group takes up to max_batch_tokens / groups new
//    tokens and max_sequences_per_group(Prefill) sequences; requests already started go
//    first, then queued ones in order, each to the group with the most budget left
//    (least load) that can hold its prompt's KV; a prompt longer than the budget is
//    chunked over iterations. A group's prompt KV stays until it has moved to decode.
//    The share is strict: giving idle groups' shares to a lone long prompt (work-conserving)
//    makes that group's chunk, and so the whole iteration, longer for every prompt queued
//    behind it; tried on the Feb-2025 DeepSeek-V3 prefill layout (32 groups), it cut the
//    highest rate meeting a 2 s p99 TTFT by about 4x.
//  * Prefix cache: cached tokens are not computed but are attention context.
//  * First token: made by the prefill iteration that computes the last prompt token.
//  * Decode placement and admission (decode_placement.h; FIFO): a request reserves input +
//    output tokens of KV in the decode group (over all decode instances) with the least KV
//    reserved after placing it, then the fewest sequences, among those with room for them
//    and fewer than max_sequences_per_group(Decode) sequences; admission "hold": while none
//    has, it waits (and keeps its prompt KV on the prefill group), counted in decode_holds.
//    The simulator knows each output length, so reserving it up front means no sequence is
//    ever preempted.
//  * KV transfer: kv_transfer_s(input tokens) per request, transfers independent of each other.
//  * Decode: continuous batching; sequences join at the next iteration boundary. With t =
//    tokens_per_decode_step() (MTP: fractional), a sequence that has run k steps of its
//    instance has emitted floor(K·t) − floor(K0·t) decode tokens, K the instance's step
//    count (K0 at its admission): deterministic, the long-run mean is t, and the last step
//    is capped at the request's output.
//  * Colocated: the decode instances also prefill, prefill first (each iteration is either
//    a prefill iteration, when a prompt is waiting and fits, or a decode iteration); a
//    prompt reserves its decode KV when its prefill starts. Prefill and decode must then
//    have the same GPUs and attention groups per instance.
//
// Measurement: Poisson traffic is measured on the requests arriving in [0.1·duration_s,
// duration_s) (the first 10% is warm-up); arrivals go on after the window so that the
// measured requests finish under load, and the simulation stops when the last of them has
// finished, or at 2·duration_s: those left are counted unfinished, and enter the latency
// percentiles with what they had got by then (the wait for a first token not yet made, or
// (stop − first token) / (output − 1)), lower bounds that keep an overloaded deployment's
// slowest requests in its percentiles. A trace is measured whole over [0, duration_s); its
// rows arriving later are not simulated. Rates, throughput and GPU-time costs are over the
// window; latencies over the measured requests.
#include <cstdint>
#include <vector>

#include "moesim/inference/iteration_costs.h"
#include "moesim/inference/requests.h"
#include "moesim/inference/result.h"
#include "moesim/workload/scenario.h"

namespace moesim::inference {

struct ServingOptions {
    std::optional<double> requests_per_s;  // overrides traffic.requests_per_s (Poisson only)
    bool keep_requests = false;            // fill ServingRun::requests (tests)
};

// One request as it went through the simulation (with keep_requests).
struct RequestRecord {
    Request request;
    bool measured = false;         // arrived inside the measurement window
    bool rejected = false;         // could never fit a group's KV cache: not served
    double first_token_s = -1;     // -1: not reached
    double finish_s = -1;          // -1: not finished
};

// Where one pool's iteration time went: IterationBreakdowns summed over the pool's iterations
// inside the window (each weighted by its share inside the window), in instance-seconds.
// iteration_s = compute (attention … other) + exposed_comm_s + kv_gather_exposed_s.
struct ServingBreakdown {
    double attention_s = 0, dense_gemm_s = 0, moe_gemm_s = 0, tp_comm_s = 0, other_s = 0;
    double dispatch_s = 0, combine_s = 0;  // the communication stream's busy time
    double exposed_comm_s = 0;             // the part of dispatch + combine not hidden behind compute
    double kv_gather_exposed_s = 0;        // prefill: a split prompt's KV gather beyond the compute
    double iteration_s = 0;                // Σ iteration lengths
    double iterations = 0;
    double compute_s() const { return attention_s + dense_gemm_s + moe_gemm_s + tp_comm_s + other_s; }
    // Adds one iteration (`gather_exposed_s` beyond b.total_s), weighted by `weight` in [0, 1].
    void add(const IterationBreakdown& b, double gather_exposed_s, double weight);
};

// What the simulation counted, beside the result's headline figures.
struct ServingStats {
    double requests_per_s = 0;          // offered rate (Poisson), or measured / window (trace)
    double window_start_s = 0, window_end_s = 0;
    double end_s = 0;                   // clock when the simulation stopped
    long long requests_arrived = 0;     // every arrival simulated (warm-up and cool-down too)
    long long requests_measured = 0;    // arrived inside the window
    long long requests_rejected = 0;    // measured ones too long for any group's KV cache
    long long requests_unfinished = 0;  // measured ones still in the system at the stop
    long long prefill_iterations = 0, decode_iterations = 0;
    long long prefill_gather_bound_iterations = 0;  // attention-cost: KV gather longer than compute
    long long decode_holds = 0;         // measured ones that waited for decode KV room (admission "hold")
    // Inside the window.
    double mean_requests_in_system = 0;     // time average of (arrived, not yet finished)
    double mean_latency_s = 0;              // measured and completed: arrival → last token
    long long input_tokens_computed = 0;    // by prefill iterations ending in the window
    long long input_tokens_cached = 0;      // cache hits of prompts starting prefill in the window
    long long output_tokens_decoded = 0;    // by decode iterations ending in the window
    // Busy: the fraction of the instances' time they had work (prompts queued or computing;
    // sequences decoding or joining), whether or not an iteration could run. Iterating: the
    // fraction an iteration was running (a prefill instance with prompts queued waits when its
    // groups' KV is full).
    double prefill_busy_fraction = 0;       // of the prefill (or colocated) instances' time
    double decode_busy_fraction = 0;        // of the decode (or colocated) instances' time
    double prefill_iterating_fraction = 0, decode_iterating_fraction = 0;
    ServingBreakdown prefill_breakdown, decode_breakdown;  // colocated: the same instances'
    double kv_transfer_s = 0;               // Σ of the KV transfers starting in the window
    long long kv_transfers = 0;             // transfers starting in the window
    double cache_hit_time_fraction = 0;     // of prefill time, added by cached context
    double mean_decode_sequences_per_group = 0;  // over decode iterations
    double kv_reserved_fraction = 0;        // time average of reserved / capacity (decode groups)
    // Over the whole simulation (conservation checks).
    long long total_tokens_computed = 0, total_tokens_cached = 0;
    long long total_first_tokens = 0, total_tokens_decoded = 0;
    long long total_completed = 0;
};

struct ServingRun {
    InferenceResult result;
    ServingStats stats;
    std::vector<RequestRecord> requests;  // with keep_requests, in arrival order
};

// Simulates the scenario's serving traffic on `costs`. Throws ScenarioError when the request
// trace is bad, when no KV cache is left for a group, or when a colocated deployment's pools
// differ in GPUs or attention groups.
ServingRun simulate_serving(const workload::Scenario& s, const IterationCosts& costs,
                            const ServingOptions& options = {});

}  // namespace moesim::inference
