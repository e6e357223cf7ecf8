#pragma once
// A hand-computable IterationCosts for the serving simulation's tests: every iteration costs
// a fixed time plus linear terms in the loads it is given, and every call is logged so that
// tests can check what the simulation asked for.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "moesim/inference/iteration_costs.h"
#include "moesim/inference/serving_sim.h"
#include "moesim/workload/scenario.h"

namespace moesim::test {

using inference::GroupLoad;
using inference::Pool;

struct FakeCosts final : inference::IterationCosts {
    struct Linear {
        double fixed_s = 0;        // per iteration
        double per_token_s = 0;    // per new token, summed over groups
        double per_context_s = 0;  // per context token, summed over groups
    };
    int nodes_per_instance[2] = {1, 1};         // [Prefill, Decode]
    int gpus_per_instance[2] = {8, 8};
    int groups[2] = {1, 1};
    std::int64_t kv_capacity[2] = {1'000'000, 1'000'000};
    std::int64_t max_sequences[2] = {1'000, 1'000};
    std::int64_t batch_tokens = 4096;
    double transfer_s = 0;
    double gather_s_per_token = 0;  // kv_gather_s
    double tokens_per_step = 1;
    Linear cost[2] = {{0.010, 1e-5, 0}, {0.005, 0, 0}};
    // iteration_breakdown: these shares of iteration_s; dispatch and combine each the exposed
    // share (half of the communication hidden); the rest "other".
    struct Shares {
        double attention = 0, moe_gemm = 0, exposed_comm = 0;
    };
    Shares shares[2] = {};

    struct Call {
        Pool pool;
        std::vector<GroupLoad> loads;
    };
    mutable std::vector<Call> calls;

    static int at(Pool p) { return p == Pool::Prefill ? 0 : 1; }
    int gpus(Pool p) const override { return gpus_per_instance[at(p)]; }
    int nodes(Pool p) const override { return nodes_per_instance[at(p)]; }
    int attention_groups(Pool p) const override { return groups[at(p)]; }
    double iteration_s(Pool p, std::span<const GroupLoad> loads) const override {
        calls.push_back({p, std::vector<GroupLoad>(loads.begin(), loads.end())});
        const Linear& c = cost[at(p)];
        double t = c.fixed_s;
        for (const GroupLoad& l : loads)
            t += c.per_token_s * static_cast<double>(l.new_tokens) + c.per_context_s * static_cast<double>(l.context_tokens);
        return t;
    }
    inference::IterationBreakdown iteration_breakdown(Pool p, std::span<const GroupLoad> loads) const override {
        inference::IterationBreakdown b;
        b.total_s = iteration_s(p, loads);
        const Shares& s = shares[at(p)];
        b.attention_s = s.attention * b.total_s;
        b.moe_gemm_s = s.moe_gemm * b.total_s;
        b.exposed_comm_s = s.exposed_comm * b.total_s;
        b.dispatch_s = b.combine_s = b.exposed_comm_s;
        b.other_s = b.total_s - b.attention_s - b.moe_gemm_s - b.exposed_comm_s;
        return b;
    }
    // The same price as iteration_s, not logged: the budget's probe is not a simulated iteration.
    double shortest_decode_iteration_s(std::int64_t new_tokens) const override {
        const Linear& c = cost[at(Pool::Decode)];
        return c.fixed_s + c.per_token_s * static_cast<double>(new_tokens) + c.per_context_s;
    }
    // The linear terms of iteration_s for one group (no fixed part).
    double group_compute_s(Pool p, const GroupLoad& l) const override {
        const Linear& c = cost[at(p)];
        return c.per_token_s * static_cast<double>(l.new_tokens) + c.per_context_s * static_cast<double>(l.context_tokens);
    }
    double kv_gather_s(std::int64_t tokens) const override { return gather_s_per_token * static_cast<double>(tokens); }
    std::int64_t kv_capacity_tokens_per_group(Pool p) const override { return kv_capacity[at(p)]; }
    std::int64_t max_sequences_per_group(Pool p) const override { return max_sequences[at(p)]; }
    std::int64_t max_batch_tokens() const override { return batch_tokens; }
    double kv_transfer_s(std::int64_t) const override { return transfer_s; }
    double tokens_per_decode_step() const override { return tokens_per_step; }

    // The iterations of `pool` simulated, in order.
    std::vector<std::vector<GroupLoad>> loads_of(Pool pool) const {
        std::vector<std::vector<GroupLoad>> out;
        for (const Call& c : calls)
            if (c.pool == pool) out.push_back(c.loads);
        return out;
    }
    std::vector<std::vector<GroupLoad>> decode_loads() const { return loads_of(Pool::Decode); }
    std::vector<std::vector<GroupLoad>> prefill_loads() const { return loads_of(Pool::Prefill); }
};

inline bool same(const GroupLoad& a, const GroupLoad& b) {
    return a.sequences == b.sequences && a.new_tokens == b.new_tokens && a.context_tokens == b.context_tokens;
}

// A serving scenario for the fake costs: one prefill and one decode instance of one node,
// Poisson traffic with fixed lengths unless a test changes them.
inline workload::Scenario serving_scenario() {
    workload::Scenario s;
    s.name = "fake-serving";
    s.mode = workload::Mode::Inference;
    s.model = "fake";
    s.cluster.nodes = 2;
    s.source_file = "fake.json";
    s.source_dir = ".";
    workload::Traffic& t = s.inference.traffic;
    t.requests_per_s = 1;
    t.duration_s = 100;
    t.input_tokens = {workload::LengthDist::Fixed, 1000, 1.0};
    t.output_tokens = {workload::LengthDist::Fixed, 5, 1.0};
    return s;
}

// The scenario the rate and ratio searches are tested on: 60 s of Poisson traffic from 4
// requests/s, 1000-token prompts, 100 output tokens, a 500 ms TTFT and 20 ms TPOT target.
inline workload::Scenario search_scenario() {
    auto s = serving_scenario();
    s.inference.traffic.duration_s = 60;
    s.inference.traffic.requests_per_s = 4;
    s.inference.traffic.output_tokens = {workload::LengthDist::Fixed, 100, 1.0};
    s.inference.slo = {500, 20};
    return s;
}

// Writes `rows` (CSV text) as a trace file in `dir` and points the scenario at it.
inline void use_trace(workload::Scenario& s, const std::filesystem::path& dir, const std::string& rows,
                      double duration_s = 1000) {
    const auto path = dir / "trace.csv";
    std::ofstream(path) << rows;
    s.inference.traffic.arrival = workload::Arrival::Trace;
    s.inference.traffic.trace_file = path.string();
    s.inference.traffic.duration_s = duration_s;
}

// serving_scenario() on the trace `rows` (CSV text, written in `dir`) over `duration_s`.
inline workload::Scenario trace_scenario(const std::filesystem::path& dir, const std::string& rows,
                                         double duration_s = 1000) {
    auto s = serving_scenario();
    use_trace(s, dir, rows, duration_s);
    return s;
}

// Serving options that keep every request's record (ServingRun::requests).
inline inference::ServingOptions keep_requests() {
    inference::ServingOptions o;
    o.keep_requests = true;
    return o;
}

}  // namespace moesim::test
