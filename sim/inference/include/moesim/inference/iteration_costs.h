#pragma once
// What one iteration of a serving instance costs: the contract between the request-level
// serving simulation (serving_sim.h) and the operator model that prices an iteration
// (operator_costs.h). The simulation only sees this interface, so its tests can use a
// hand-computable fake.
//
// An instance (prefill or decode) is `gpus` GPUs running the whole model: attention is
// data-parallel over `attention_groups()` groups of `attn_tp` GPUs each, experts are spread
// over `ep` ranks. Every iteration is one synchronous forward over all groups (the MoE
// all-to-all joins them), so its time is set by the loads of all groups together.
#include <cstdint>
#include <span>

namespace moesim::inference {

enum class Pool { Prefill, Decode };

// The work one attention group does in one iteration.
struct GroupLoad {
    std::int64_t sequences = 0;       // sequences in this group's batch
    std::int64_t new_tokens = 0;      // tokens computed this iteration (prefill chunk, or
                                      // 1 + draft tokens per sequence in decode)
    std::int64_t context_tokens = 0;  // sum over sequences of tokens already in the KV cache
                                      // before this iteration (prefix-cache hits, earlier chunks,
                                      // tokens decoded so far)
    // (query, key) pairs of causal attention this iteration, summed over the sequences: one
    // computing q new tokens after c cached attends q·c + q·(q + 1)/2. 0: priced as `sequences`
    // alike mean sequences (N/S new after C/S), exact when they are alike (decode); a prefill
    // group holding a piece of a long prompt next to short prompts is not.
    std::int64_t attention_pairs = 0;
};

// attention_pairs of one sequence computing `tokens` new tokens after `context` cached.
inline std::int64_t causal_pairs(std::int64_t tokens, std::int64_t context) {
    return tokens * context + tokens * (tokens + 1) / 2;
}

// Seconds of one iteration by kind of work. The compute-stream kinds are the busy time of
// the slowest attention group (over all micro-batches and passes); dispatch and combine are
// the communication stream's busy time. total_s = compute_s() + exposed_comm_s.
struct IterationBreakdown {
    double attention_s = 0;     // attention cores
    double dense_gemm_s = 0;    // projections, dense FFN, shared experts, router, LM head, MTP eh_proj
    double moe_gemm_s = 0;      // routed-expert grouped GEMMs
    double tp_comm_s = 0;       // all-gather / reduce-scatter inside attention groups
    double other_s = 0;         // memory-bound: norms, SwiGLU, permutes, embedding lookups
    double dispatch_s = 0;      // EP dispatch (communication stream)
    double combine_s = 0;       // EP combine (communication stream)
    double exposed_comm_s = 0;  // the part of dispatch + combine not hidden behind compute
    double total_s = 0;         // == iteration_s
    int micro_batches = 1;      // micro-batches the iteration was cut into (operator_costs.h)
    double compute_s() const { return attention_s + dense_gemm_s + moe_gemm_s + tp_comm_s + other_s; }
    double comm_s() const { return dispatch_s + combine_s; }
};

class IterationCosts {
public:
    virtual ~IterationCosts() = default;

    virtual int gpus(Pool) const = 0;              // per instance
    virtual int nodes(Pool) const = 0;             // per instance
    virtual int attention_groups(Pool) const = 0;  // data-parallel attention groups per instance

    // Seconds of one forward iteration of an instance over these group loads (one entry per
    // attention group; missing groups are idle). Includes MoE dispatch/combine, the overlap
    // of `micro_batches`, and in decode the MTP module's draft work.
    virtual double iteration_s(Pool, std::span<const GroupLoad> groups) const = 0;

    // The same iteration by kind of work (the serving breakdown tallies it). The default puts
    // all of iteration_s in other_s; the operator model (operator_costs.h) splits it.
    virtual IterationBreakdown iteration_breakdown(Pool p, std::span<const GroupLoad> groups) const {
        IterationBreakdown b;
        b.total_s = b.other_s = iteration_s(p, groups);
        return b;
    }

    // Seconds of the cheapest decode iteration of an instance: one sequence in one group, one
    // token of context, `new_tokens` new tokens (1 + MTP draft tokens). The serving
    // simulation's work budget divides by it before the run (serving_deployment.cpp); the
    // default prices it through iteration_s.
    virtual double shortest_decode_iteration_s(std::int64_t new_tokens) const {
        const GroupLoad one{1, new_tokens, 1};
        return iteration_s(Pool::Decode, std::span<const GroupLoad>(&one, 1));
    }

    // Seconds of one attention group's own compute at this load in one iteration: its
    // attention, projections, dense FFN and the like, without the instance-wide expert side
    // and communication. The prefill balancer derives its token cost from it.
    virtual double group_compute_s(Pool, const GroupLoad& group) const = 0;

    // Seconds to move `tokens` tokens of prefill KV cache (every layer) into one prefill
    // attention group from another of its instance: what a prompt split over groups gathers.
    virtual double kv_gather_s(std::int64_t tokens) const = 0;

    // KV cache: tokens an attention group can hold after weights and working memory, and
    // the most sequences a group may batch (decode: max_batch_per_gpu x attn_tp).
    virtual std::int64_t kv_capacity_tokens_per_group(Pool) const = 0;
    virtual std::int64_t max_sequences_per_group(Pool) const = 0;
    // Prefill: the most new tokens one iteration takes over the whole instance (max_batch_tokens).
    virtual std::int64_t max_batch_tokens() const = 0;

    // Seconds to move one request's KV cache of `tokens` tokens from a prefill instance to a
    // decode instance (0 when colocated).
    virtual double kv_transfer_s(std::int64_t tokens) const = 0;

    // Expected tokens emitted per sequence per decode iteration: 1 without MTP; with
    // `draft_tokens` d accepted each with probability a (a draft counts only when all before
    // it were accepted): 1 + a + a^2 + ... + a^d.
    virtual double tokens_per_decode_step() const = 0;
};

}  // namespace moesim::inference
