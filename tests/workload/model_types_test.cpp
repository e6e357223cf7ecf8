// Model types beyond Llama/Mixtral/DeepSeek (qwen2, qwen3, qwen2_moe, qwen3_moe, gpt_oss):
// each bundled representative against its publisher's parameter counts, and the features of
// each type that change the parameter or operator count.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

#include "moesim/common/error.h"
#include "moesim/workload/model_accounting.h"

using namespace moesim::workload;
using moesim::ScenarioError;

namespace {

const Operator* find_op(const ModelAccounting& a, const std::string& layer, const std::string& op) {
    for (const auto& l : a.layers)
        if (l.name == layer)
            for (const auto& o : l.ops)
                if (o.name == op) return &o;
    return nullptr;
}

// Qwen's model cards count the whole embedding table as active (Qwen1.5-MoE-A2.7B: "2.7B
// activated", of which the blog gives 2.0B non-embedding); moesim counts the one row a token
// reads (model_accounting.cpp). This converts ours to theirs.
double active_counting_whole_embedding(const ModelAccounting& a) {
    return static_cast<double>(a.params_active + a.params_embedding - a.model.hidden_size);
}

nlohmann::json tiny_qwen_moe(const std::string& type) {
    return {{"model_type", type},          {"vocab_size", 100},        {"hidden_size", 32},
            {"num_hidden_layers", 4},      {"num_attention_heads", 4}, {"num_key_value_heads", 2},
            {"intermediate_size", 64},     {"num_experts", 4},         {"num_experts_per_tok", 2},
            {"moe_intermediate_size", 16}, {"head_dim", 8}};
}

}  // namespace

TEST_CASE("Qwen and gpt-oss models reproduce their published parameter counts", "[workload]") {
    struct Case {
        std::string name;
        double total_B, active_B;  // published; active 0 for a dense model
        bool active_counts_whole_embedding;
    };
    const std::vector<Case> cases = {
        // Qwen2.5-72B-Instruct model card: "Number of Parameters: 72.7B" (we give 72.71B).
        {"qwen2.5-72b", 72.7, 0, false},
        // Qwen3-32B model card: "Number of Parameters: 32.8B" (32.76B).
        {"qwen3-32b", 32.8, 0, false},
        // Qwen3-30B-A3B model card: "30.5B in total and 3.3B activated" (30.53B; 3.04B active
        // with one embedding row, 3.35B counting the table as Qwen does).
        {"qwen3-30b-a3b", 30.5, 3.3, true},
        // Qwen1.5-MoE-A2.7B model card: "14.3B parameters in total and 2.7B activated parameters"
        // (14.32B; 2.38B with one row, 2.69B counting the table).
        {"qwen1.5-moe-a2.7b", 14.3, 2.7, true},
        // gpt-oss-120b (OpenAI's model card, as its Hugging Face and provider pages quote it):
        // 116.8B parameters, 5.1B active per token (116.83B; 5.13B).
        {"gpt-oss-120b", 116.8, 5.1, false},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const ModelAccounting a = account_model(load_model(c.name), 4096);
        CHECK(a.params_total / 1e9 == Approx(c.total_B).epsilon(0.01));
        if (c.active_B == 0) {
            CHECK_FALSE(a.model.is_moe());
            continue;
        }
        const double active = c.active_counts_whole_embedding ? active_counting_whole_embedding(a)
                                                              : static_cast<double>(a.params_active);
        CHECK(active / 1e9 == Approx(c.active_B).epsilon(0.02));
    }
}

TEST_CASE("model types: what each one adds to the operators", "[workload]") {
    // qwen2: biases on q, k, v (not o).
    const ModelAccounting q25 = account_model(load_model("qwen2.5-72b"), 4096);
    CHECK(find_op(q25, "layer.0", "q_proj")->params == 8192LL * 8192 + 8192);
    CHECK(find_op(q25, "layer.0", "k_proj")->params == 8192LL * 1024 + 1024);
    CHECK(find_op(q25, "layer.0", "o_proj")->params == 8192LL * 8192);
    CHECK(find_op(q25, "layer.0", "q_norm") == nullptr);
    // qwen3: no biases, one RMSNorm weight of head_dim for all query heads and one for keys,
    // run over every head.
    const ModelAccounting q3 = account_model(load_model("qwen3-32b"), 4096);
    CHECK(find_op(q3, "layer.0", "q_proj")->params == 5120LL * 8192);
    CHECK(find_op(q3, "layer.0", "q_norm")->params == 128);
    CHECK(find_op(q3, "layer.0", "k_norm")->params == 128);
    CHECK(find_op(q3, "layer.0", "q_norm")->hbm_bytes_fwd == 2.0 * 2.0 * 64 * 128);
    CHECK(find_op(q3, "layer.0", "k_norm")->hbm_bytes_fwd == 2.0 * 2.0 * 8 * 128);
    // qwen2_moe: a shared expert of shared_expert_intermediate_size behind a d -> 1 sigmoid gate.
    const ModelAccounting q15 = account_model(load_model("qwen1.5-moe-a2.7b"), 4096);
    CHECK(q15.model.moe_layer_count() == 24);
    CHECK(find_op(q15, "layer.0", "shared_gate")->gemm.n == 5632);
    CHECK(find_op(q15, "layer.0", "shared_expert_gate")->params == 2048);
    CHECK(find_op(q15, "layer.0", "expert_gate")->gemm.count == 4);
    CHECK(find_op(q15, "layer.0", "router")->params == 60LL * 2048);
    // qwen3_moe: no shared expert.
    const ModelAccounting q30 = account_model(load_model("qwen3-30b-a3b"), 4096);
    CHECK(find_op(q30, "layer.0", "shared_gate") == nullptr);
    CHECK(find_op(q30, "layer.0", "expert_down")->params == 128LL * 768 * 2048);
    // gpt_oss: biased experts and router, biases on all four projections, one sink per head;
    // the sliding window is named as a simplification.
    const ModelAccounting oss = account_model(load_model("gpt-oss-120b"), 4096);
    CHECK(find_op(oss, "layer.0", "expert_gate")->params == 128LL * (2880 * 2880 + 2880));
    CHECK(find_op(oss, "layer.0", "expert_gate")->params_active == 4LL * (2880 * 2880 + 2880));
    CHECK(find_op(oss, "layer.0", "expert_down")->params == 128LL * (2880 * 2880 + 2880));
    CHECK(find_op(oss, "layer.0", "router")->params == 128LL * 2880 + 128);
    CHECK(find_op(oss, "layer.0", "o_proj")->params == 4096LL * 2880 + 2880);
    CHECK(find_op(oss, "layer.0", "attn_core")->params == 64);
    const nlohmann::json j = to_json(oss);
    REQUIRE(j.contains("simplifications"));
    CHECK_THAT(j.at("simplifications").at(0).get<std::string>(), Catch::Contains("sliding-window attention (128"));
    // Models without such features print no simplifications.
    CHECK_FALSE(to_json(q25).contains("simplifications"));
}

TEST_CASE("Qwen MoE: decoder_sparse_step and mlp_only_layers pick the dense layers", "[workload]") {
    // HF (modeling_qwen2_moe.py): layer i is MoE when i is not in mlp_only_layers and
    // (i + 1) % decoder_sparse_step == 0.
    auto j = tiny_qwen_moe("qwen3_moe");
    j["decoder_sparse_step"] = 2;
    const ModelConfig step2 = parse_model_config(j, "t.json");
    CHECK(step2.is_moe_layer(0) == false);
    CHECK(step2.is_moe_layer(1) == true);
    CHECK(step2.is_moe_layer(2) == false);
    CHECK(step2.is_moe_layer(3) == true);
    j = tiny_qwen_moe("qwen2_moe");
    j["mlp_only_layers"] = {0, 2};
    const ModelConfig only = parse_model_config(j, "t.json");
    CHECK(only.moe_layer_count() == 2);
    CHECK(only.is_moe_layer(1));
    CHECK(only.n_shared_experts == 0);  // no shared_expert_intermediate_size: no shared expert
    const ModelAccounting a = account_model(only, 64);
    CHECK(find_op(a, "layer.0", "gate_proj")->gemm.n == 64);  // a dense layer of intermediate_size
    CHECK(find_op(a, "layer.1", "expert_gate")->gemm.n == 16);
    j["mlp_only_layers"] = {4};
    CHECK_THROWS_WITH(parse_model_config(j, "t.json"),
                      Catch::Contains("/mlp_only_layers/0") && Catch::Contains("layer index in [0, 4)"));
}

TEST_CASE("an unsupported model_type lists the supported ones", "[workload]") {
    auto j = tiny_qwen_moe("llama4");
    std::string message;
    try {
        parse_model_config(j, "m.json");
    } catch (const ScenarioError& e) {
        message = e.what();
    }
    CHECK_THAT(message, Catch::Contains("/model_type") && Catch::Contains("unsupported model_type \"llama4\""));
    for (const char* type : {"llama", "mistral", "mixtral", "deepseek_v2", "deepseek_v3", "qwen2", "qwen3",
                             "qwen2_moe", "qwen3_moe", "gpt_oss"})
        CHECK_THAT(message, Catch::Contains(std::string("supported: ")) && Catch::Contains(type));
}
