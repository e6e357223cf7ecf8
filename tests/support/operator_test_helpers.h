#pragma once
// Shared by the operator-model tests (operator_costs_*_test.cpp, serving_setup_test.cpp):
// serving scenarios built in code, edited by JSON pointer, resolved with prepare_serving and
// priced with make_operator_costs.
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "json_edit.h"
#include "moesim/common/error.h"
#include "moesim/inference/operator_costs.h"
#include "moesim/inference/setup.h"
#include "moesim/workload/scenario.h"

namespace operator_test {

using nlohmann::json;
using moesim::inference::GroupLoad;
using moesim::inference::IterationBreakdown;
using moesim::inference::OperatorCosts;
using moesim::inference::Pool;
using moesim::inference::ServingSetup;

// DeepSeek-V3 as in the V3 report's deployment units (V3TR §3.4, PUBLISHED.md D): prefill 4
// nodes, attention TP4, EP32; decode 40 nodes, attention TP4, EP320; two micro-batches; MTP
// with one draft token accepted 85% of the time (V3TR §5.4.3).
inline json v3_doc() {
    return json::parse(R"({
      "schema": 1, "name": "v3-serve", "mode": "inference", "model": "deepseek-v3",
      "cluster": { "gpu": "H800", "nodes": 44 },
      "inference": {
        "precision": { "weights": "fp8", "kv_cache": "bf16", "activations": "fp8" },
        "prefill": { "nodes": 4, "attn_tp": 4, "ep": 32, "max_batch_tokens": 16384, "micro_batches": 2 },
        "decode": { "nodes": 40, "attn_tp": 4, "ep": 320, "max_batch_per_gpu": 256, "micro_batches": 2,
                    "mtp": { "draft_tokens": 1, "acceptance": 0.85 } }
      }
    })");
}

// Llama 3.1 70B (dense, GQA with 8 KV heads) on one node of 8 H100 with TP8, BF16.
inline json llama_doc() {
    return json::parse(R"({
      "schema": 1, "name": "llama-serve", "mode": "inference", "model": "llama-3.1-70b",
      "cluster": { "gpu": "H100", "nodes": 1 },
      "inference": {
        "deployment": "colocated",
        "precision": { "weights": "bf16", "kv_cache": "bf16", "activations": "bf16" },
        "prefill": { "nodes": 1, "attn_tp": 8, "ep": 1 },
        "decode": { "nodes": 1, "attn_tp": 8, "ep": 1, "max_batch_per_gpu": 64 }
      }
    })");
}

using json_edit::with;

inline std::unique_ptr<ServingSetup> prepare(const json& doc) {
    return moesim::inference::prepare_serving(moesim::workload::parse_scenario(doc, "test.json"));
}

// A setup and its operator model together (the model refers to the setup).
struct Priced {
    std::unique_ptr<ServingSetup> setup;
    std::unique_ptr<OperatorCosts> costs;
    explicit Priced(const json& doc) : setup(prepare(doc)), costs(moesim::inference::make_operator_costs(*setup)) {}
};

// Every attention group of `pool` with the same load.
inline std::vector<GroupLoad> uniform(const OperatorCosts& c, Pool pool, GroupLoad load) {
    return std::vector<GroupLoad>(static_cast<std::size_t>(c.attention_groups(pool)), load);
}

// Decode load of `sequences` per group, each with `context` tokens cached and 1 + draft
// tokens computed.
inline GroupLoad decode_load(std::int64_t sequences, std::int64_t context, int draft_tokens) {
    return GroupLoad{sequences, sequences * (1 + draft_tokens), sequences * context};
}

// The error prepare_serving throws for `doc` (fails the test if it accepts it).
inline moesim::ScenarioError prepare_error(const json& doc) {
    return json_edit::rejection([](const json& d) { prepare(d); }, doc);
}

}  // namespace operator_test
