// Pipeline stage split, which rank holds which stage under each schedule, and the share of
// parameters one GPU holds under TP and EP.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "moesim/common/error.h"
#include "moesim/workload/layout.h"

using namespace moesim::workload;
using moesim::ScenarioError;

namespace {

std::vector<int> repeat(std::vector<int> head, int value, int times, std::vector<int> tail) {
    head.insert(head.end(), times, value);
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

std::string path_of_error(int layers, int stages, const std::optional<std::vector<int>>& o) {
    try {
        stage_layer_counts(layers, stages, o);
    } catch (const ScenarioError& e) {
        return e.json_path();
    }
    return "no error";
}

}  // namespace

TEST_CASE("stage split: as even as possible, extra layers to the middle stages", "[workload]") {
    // DeepSeek-V3: 61 = 16·3 + 13; stages 1..13 get the 13 extra layers.
    CHECK(stage_layer_counts(61, 16) == repeat({3}, 4, 13, {3, 3}));
    // Llama 3.1 405B: 126 = 16·7 + 14; stages 1..14 get 8, the first and last 7 — Llama 3's
    // "one layer fewer on the first and last stages".
    CHECK(stage_layer_counts(126, 16) == repeat({7}, 8, 14, {7}));
    CHECK(stage_layer_counts(32, 4) == std::vector<int>{8, 8, 8, 8});
    CHECK(stage_layer_counts(61, 1) == std::vector<int>{61});
    // Two stages: no middle, the first stage takes the extra one (the head is heavier).
    CHECK(stage_layer_counts(61, 2) == std::vector<int>{31, 30});
    // Remainder S−1: the middle stages, then the first.
    CHECK(stage_layer_counts(7, 4) == std::vector<int>{2, 2, 2, 1});
    for (int stages : {1, 2, 3, 5, 8, 16, 32}) {
        const auto counts = stage_layer_counts(61, stages);
        CHECK(std::accumulate(counts.begin(), counts.end(), 0) == 61);
        CHECK(*std::max_element(counts.begin(), counts.end()) - *std::min_element(counts.begin(), counts.end()) <= 1);
    }
}

TEST_CASE("stage split: an override is checked and used", "[workload]") {
    const std::vector<int> custom = repeat({2}, 4, 14, {3});
    CHECK(stage_layer_counts(61, 16, custom) == custom);
    CHECK(path_of_error(61, 16, std::vector<int>{30, 31}) == "/parallelism/stage_layers");  // wrong length
    CHECK(path_of_error(61, 2, std::vector<int>{30, 30}) == "/parallelism/stage_layers");   // wrong sum
    CHECK(path_of_error(61, 2, std::vector<int>{62, -1}) == "/parallelism/stage_layers/1");
    CHECK(path_of_error(4, 8, std::nullopt) == "/parallelism/pp");  // more stages than layers
}

TEST_CASE("which stages each pipeline rank holds", "[workload]") {
    using V = std::vector<std::vector<int>>;
    CHECK(rank_stages(Schedule::OneFOneB, 4, 1) == V{{0}, {1}, {2}, {3}});
    CHECK(rank_stages(Schedule::Interleaved1F1B, 2, 3) == V{{0, 2, 4}, {1, 3, 5}});
    CHECK(pipeline_stage_count(Schedule::Interleaved1F1B, 2, 3) == 6);
    CHECK(rank_stages(Schedule::DualPipe, 4, 1) == V{{0, 3}, {1, 2}, {2, 1}, {3, 0}});
    CHECK(rank_stages(Schedule::DualPipeV, 2, 1) == V{{0, 3}, {1, 2}});
    CHECK(pipeline_stage_count(Schedule::DualPipeV, 2, 1) == 4);
    CHECK_THROWS_AS(rank_stages(Schedule::DualPipe, 3, 1), ScenarioError);
}

TEST_CASE("DeepSeek-V3 on 16 DualPipe ranks: embedding, head and MTP on rank 0", "[workload]") {
    const ModelAccounting a = account_model(load_model("deepseek-v3"), 4096);
    Parallelism p;
    p.pp = 16;
    p.schedule = Schedule::DualPipe;
    const PipelineLayout layout = pipeline_layout(a, p);
    REQUIRE(layout.stages.size() == 16);
    REQUIRE(layout.ranks.size() == 16);
    CHECK(layout.stages[0].embedding);
    CHECK(layout.stages[15].head);
    CHECK(layout.stages[15].mtp);
    CHECK(layout.stages[0].transformer_layers == 3);  // the three dense layers
    CHECK(layout.stages[1].first_layer == 3);
    // Rank 0 holds stages 0 and 15: 3 + 3 layers, embedding, head and MTP, no extra copy.
    CHECK(layout.ranks[0].stages == std::vector<int>{0, 15});
    CHECK(layout.ranks[0].transformer_layers == 6);
    CHECK((layout.ranks[0].embedding && layout.ranks[0].head && layout.ranks[0].mtp));
    CHECK_FALSE(layout.ranks[0].embedding_copy_for_mtp);
    CHECK(layout.ranks[7].transformer_layers == 8);  // stages 7 and 8
    // Over the stages every parameter is counted once (main model + MTP).
    double sum = 0;
    for (const auto& st : layout.stages) sum += st.params.total();
    CHECK(sum == static_cast<double>(a.params_total + a.params_mtp));
    // DualPipe holds two copies: over the ranks, twice the parameters.
    double ranks = 0;
    for (const auto& r : layout.ranks) ranks += r.params.total();
    CHECK(ranks == 2.0 * sum);

    // Under 1F1B the last rank needs its own copy of the embedding for the MTP module.
    p.schedule = Schedule::OneFOneB;
    const PipelineLayout f1b = pipeline_layout(a, p);
    CHECK(f1b.ranks[15].embedding_copy_for_mtp);
    CHECK(f1b.ranks[15].params.vocab_split == 2.0 * 129280 * 7168);  // head + embedding copy
}

TEST_CASE("per-GPU parameter share under TP and EP", "[workload]") {
    const ModelAccounting a = account_model(load_model("deepseek-v3"), 4096);
    const Layer* moe = nullptr;
    for (const auto& l : a.layers)
        if (l.name == "layer.3") moe = &l;
    REQUIRE(moe);
    const ParamCounts c = layer_params(*moe);
    // MLA projections 187,107,328 − 2048 (latent norms) + shared expert 44,040,192 split by TP;
    // norms 2·7168 + 2048 and the router 256·7168 replicated; 256 experts split by EP.
    CHECK(c.tensor_split == 187107328.0 - 2048 + 44040192.0);
    CHECK(c.replicated == 2 * 7168 + 2048 + 256 * 7168);
    CHECK(c.expert == 256.0 * 44040192);
    CHECK(c.fp8_expert == c.expert);
    const RankParams r = rank_share(c, 2, 64);
    CHECK(r.non_expert == (187107328.0 - 2048 + 44040192.0) / 2 + (2 * 7168 + 2048 + 256 * 7168));
    CHECK(r.expert == 4.0 * 44040192);  // 256 / 64 experts per rank
    CHECK(r.total() == r.non_expert + r.expert);
}
