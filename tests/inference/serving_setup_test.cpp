// prepare_serving: the checks that need the model or the GPU (each names the scenario file
// and the JSON path of the value to change), the expert layout, weights per GPU and the KV
// capacity left after them.
#include <cmath>
#include <initializer_list>

#include "moesim/common/units.h"
#include "operator_test_helpers.h"

using namespace operator_test;

namespace {

// `doc` is rejected by prepare_serving at `path` with a message containing each of `parts`.
void require_rejected(const json& doc, const std::string& path, std::initializer_list<std::string> parts) {
    const auto e = prepare_error(doc);
    INFO("error: " << e.what());
    CHECK(e.file() == "test.json");
    CHECK(e.json_path() == path);
    for (const auto& part : parts) CHECK_THAT(e.message(), Catch::Contains(part));
}

// DeepSeek's production decode layout (DAY6, PUBLISHED.md D): EP144 on 18 nodes, DP attention.
json production_decode(json doc) {
    doc = with(doc, "/inference/decode/nodes", 18);
    doc = with(doc, "/inference/decode/ep", 144);
    return with(doc, "/inference/decode/attn_tp", 1);
}

// Routed-expert parameters of one MoE layer's expert: gate, up (inter × d) and down (d × inter).
double expert_params(const ServingSetup& st) {
    const auto& m = st.model.model;
    return 3.0 * static_cast<double>(m.moe_intermediate_size) * static_cast<double>(m.hidden_size);
}

}  // namespace

TEST_CASE("the test serving scenarios are accepted", "[inference]") {
    CHECK_NOTHROW(prepare(v3_doc()));
    CHECK_NOTHROW(prepare(llama_doc()));
    CHECK_NOTHROW(prepare(production_decode(v3_doc())));
}

TEST_CASE("prepare_serving: expert slots and redundant experts fill every EP rank", "[inference]") {
    const auto v3 = prepare(v3_doc());
    // 256 routed experts: EP32 holds 8 per GPU; EP320 one per GPU, 64 GPUs holding replicas
    // (V3TR §3.4: "64 GPUs for redundant and shared experts").
    CHECK(v3->prefill.expert_slots_per_gpu == 8);
    CHECK(v3->prefill.redundant_experts == 0);
    CHECK(v3->decode.expert_slots_per_gpu == 1);
    CHECK(v3->decode.redundant_experts == 64);
    CHECK(v3->decode.attention_groups == 80);
    // EP144: two per GPU and 32 replicas, as DAY6 runs it ("2 routed + 1 shared per GPU",
    // "32 redundant experts").
    const auto production = prepare(production_decode(v3_doc()));
    CHECK(production->decode.expert_slots_per_gpu == 2);
    CHECK(production->decode.redundant_experts == 32);
    // A dense model has none.
    const auto llama = prepare(llama_doc());
    CHECK(llama->decode.expert_slots_per_gpu == 0);
    CHECK(llama->decode.redundant_experts == 0);
}

TEST_CASE("prepare_serving: redundant_experts adds replica slots on every GPU of the pool", "[inference]") {
    // V3TR §3.4's prefill: EP32 with 32 redundant experts, "8+1" per GPU (PUBLISHED.md D).
    const auto plain = prepare(v3_doc());
    const auto eplb = prepare(with(v3_doc(), "/inference/prefill/redundant_experts", 32));
    CHECK(eplb->prefill.expert_slots_per_gpu == 9);
    CHECK(eplb->prefill.redundant_experts == 32);
    // One more expert of every MoE layer per GPU (FP8: a byte per parameter); the prefill
    // GPUs carry no MTP module.
    const double moe_layers = static_cast<double>(plain->model.model.moe_layer_count());
    CHECK(eplb->prefill.weights_bytes - plain->prefill.weights_bytes ==
          Approx(moe_layers * expert_params(*plain)).epsilon(1e-12));
    // A count that does not fill whole slots is rounded up to them: 33 replicas on EP32 take
    // 10 slots per GPU, 64 replicas.
    const auto more = prepare(with(v3_doc(), "/inference/prefill/redundant_experts", 33));
    CHECK(more->prefill.expert_slots_per_gpu == 10);
    CHECK(more->prefill.redundant_experts == 64);
    // EP320 already holds 64 replicas in its spare slots; asking for them changes nothing.
    const auto decode = prepare(with(v3_doc(), "/inference/decode/redundant_experts", 64));
    CHECK(decode->decode.expert_slots_per_gpu == 1);
    CHECK(decode->decode.weights_bytes == plain->decode.weights_bytes);
    // A dense model has no experts to replicate.
    require_rejected(with(llama_doc(), "/inference/prefill/redundant_experts", 4), "/inference/prefill/redundant_experts",
                     {"4", "dense", "llama-3.1-70b"});
}

TEST_CASE("redundant experts: more expert groups on a GPU at the same rows never make an iteration faster",
          "[inference]") {
    const Priced plain(v3_doc());
    const Priced eplb(with(v3_doc(), "/inference/prefill/redundant_experts", 32));
    for (std::int64_t tokens : {256, 2048}) {
        INFO(tokens << " new tokens per group");
        const auto a = uniform(*plain.costs, Pool::Prefill, {4, tokens, 0});
        const auto b = uniform(*eplb.costs, Pool::Prefill, {4, tokens, 0});
        CHECK(eplb.costs->iteration_s(Pool::Prefill, b) >= plain.costs->iteration_s(Pool::Prefill, a));
        const auto pa = plain.costs->iteration_breakdown(Pool::Prefill, a);
        const auto pb = eplb.costs->iteration_breakdown(Pool::Prefill, b);
        CHECK(pb.moe_gemm_s >= pa.moe_gemm_s);
        // At a small batch the grouped GEMM reads its experts' weights: 9 of them, not 8.
        if (tokens == 256) CHECK(pb.moe_gemm_s > pa.moe_gemm_s);
        CHECK(pb.dispatch_s == pa.dispatch_s);  // the same tokens cross the network
    }
}

TEST_CASE("prepare_serving: attn_tp must divide the attention heads", "[inference]") {
    // 128 heads; attn_tp 3 on a 3-node decode pool of 24 GPUs (3 divides 24).
    auto doc = with(v3_doc(), "/inference/decode/nodes", 3);
    doc = with(doc, "/inference/decode/ep", 24);
    doc = with(doc, "/inference/decode/attn_tp", 3);
    require_rejected(doc, "/inference/decode/attn_tp", {"3", "128 attention heads", "deepseek-v3"});
}

TEST_CASE("prepare_serving: a dense model takes ep 1", "[inference]") {
    require_rejected(with(llama_doc(), "/inference/decode/ep", 2), "/inference/decode/ep", {"2", "dense", "llama-3.1-70b"});
}

TEST_CASE("prepare_serving: an EP group that leaves its node takes whole nodes", "[inference]") {
    // 3 nodes of 8: ep 12 divides the 24 GPUs but splits a node.
    auto doc = with(v3_doc(), "/inference/decode/nodes", 3);
    doc = with(doc, "/inference/decode/ep", 12);
    require_rejected(doc, "/inference/decode/ep", {"12", "gpus_per_node = 8"});
}

TEST_CASE("prepare_serving: MTP draft tokens need a model with an MTP module", "[inference]") {
    // DeepSeek-V2 has no MTP module (num_nextn_predict_layers absent).
    auto doc = with(v3_doc(), "/model", "deepseek-v2");
    doc = with(doc, "/inference/decode/ep", 160);
    doc = with(doc, "/inference/decode/nodes", 20);
    require_rejected(doc, "/inference/decode/mtp/draft_tokens", {"1 draft tokens", "deepseek-v2", "MTP"});
    CHECK_NOTHROW(prepare(with(doc, "/inference/decode/mtp/draft_tokens", 0)));
}

TEST_CASE("prepare_serving: weights that do not fit a GPU are an error with needed and available GB",
          "[inference]") {
    // DeepSeek-V3 in BF16 over one node's EP8: ~170 GB of weights per 80 GB GPU.
    auto doc = with(v3_doc(), "/inference/precision/weights", "bf16");
    doc = with(doc, "/inference/decode/nodes", 1);
    doc = with(doc, "/inference/decode/ep", 8);
    doc = with(doc, "/inference/decode/attn_tp", 8);
    require_rejected(doc, "/inference/decode", {"GB per GPU", "weights", "attn_tp 8 and ep 8", "reserve", "H800 has 84.9 GB"});
    // The same on the prefill pool names the prefill pool.
    auto prefill = with(v3_doc(), "/inference/precision/weights", "bf16");
    prefill = with(prefill, "/inference/prefill/nodes", 1);
    prefill = with(prefill, "/inference/prefill/ep", 8);
    require_rejected(prefill, "/inference/prefill", {"a prefill instance", " GB"});
    // Colocated pools share the GPUs: the error is the deployment's.
    auto colocated = with(doc, "/inference/deployment", "colocated");
    colocated = with(colocated, "/inference/prefill/nodes", 1);
    colocated = with(colocated, "/inference/prefill/ep", 8);
    colocated = with(colocated, "/inference/prefill/attn_tp", 8);
    require_rejected(colocated, "/inference/deployment", {"colocated", " GB"});
}

TEST_CASE("prepare_serving: one expert slot more per GPU costs one expert of every MoE layer", "[inference]") {
    // EP160 holds two experts per GPU, EP320 one; the decode GPUs also carry the MTP module,
    // whose block is a MoE layer too. FP8 weights: one byte per expert parameter.
    auto half = with(v3_doc(), "/inference/decode/nodes", 20);
    half = with(half, "/inference/decode/ep", 160);
    const auto one = prepare(v3_doc());
    const auto two = prepare(half);
    REQUIRE(two->decode.expert_slots_per_gpu == 2);
    const double moe_layers = static_cast<double>(one->model.model.moe_layer_count() + one->model.model.mtp_layers);
    CHECK(two->decode.weights_bytes - one->decode.weights_bytes == Approx(moe_layers * expert_params(*one)).epsilon(1e-12));
}

TEST_CASE("prepare_serving: FP8 weights take about half the memory of BF16 weights", "[inference]") {
    const auto fp8 = prepare(v3_doc());
    const auto bf16 = prepare(with(v3_doc(), "/inference/precision/weights", "bf16"));
    // Embedding, LM head, router and norms stay BF16 (V3TR §3.3.1), so FP8 is a bit over half.
    const double ratio = fp8->prefill.weights_bytes / bf16->prefill.weights_bytes;
    CHECK(ratio > 0.5);
    CHECK(ratio < 0.55);
}

TEST_CASE("prepare_serving: the KV cache fills what weights, working memory and the reserve leave", "[inference]") {
    const auto st = prepare(v3_doc());
    for (const auto* p : {&st->prefill, &st->decode}) {
        INFO(moesim::inference::describe_memory(*p));
        CHECK(p->kv_capacity_tokens_per_group > 0);
        CHECK(p->weights_bytes + p->working_bytes + p->reserve.total_bytes() + p->kv_free_bytes ==
              Approx(st->gpu.hbm_bytes).epsilon(1e-12));
        // The reserve: the runtime, DeepEP's buffers (a MoE pool with ep > 1), and the
        // fragmentation of the working memory; the KV pool itself does not fragment.
        const double f = st->gpu.fragmentation_fraction;
        CHECK(p->reserve.runtime_bytes == st->gpu.runtime_reserve_bytes);
        CHECK(p->reserve.ep_buffer_bytes == st->gpu.ep_buffer_bytes);
        CHECK(p->reserve.fragmentation_bytes == Approx(p->working_bytes * f / (1 - f)));
        // An MLA latent is whole on every GPU of its group: a group holds one GPU's worth.
        CHECK(p->kv_shards == 1);
        CHECK(p->kv_capacity_tokens_per_group == static_cast<std::int64_t>(std::floor(p->kv_free_bytes / p->kv_bytes_per_token)));
    }
    // Decode carries the MTP module's cache as well.
    CHECK(st->decode.kv_bytes_per_token == Approx(st->model.kv_cache_bytes_per_token + st->model.kv_cache_bytes_per_token_mtp));
    CHECK(st->prefill.kv_bytes_per_token == Approx(st->model.kv_cache_bytes_per_token));
    // GQA splits its 8 KV heads over the TP8 group: the group holds 8 GPUs' worth.
    const auto llama = prepare(llama_doc());
    CHECK(llama->decode.reserve.ep_buffer_bytes == 0);  // dense: no DeepEP
    CHECK(llama->decode.kv_shards == 8);
    CHECK(llama->decode.kv_capacity_tokens_per_group ==
          static_cast<std::int64_t>(std::floor(llama->decode.kv_free_bytes * 8 / llama->decode.kv_bytes_per_token)));
}

TEST_CASE("prepare_serving: an FP8 KV cache holds twice the tokens of a BF16 one", "[inference]") {
    const auto bf16 = prepare(v3_doc());
    const auto fp8 = prepare(with(v3_doc(), "/inference/precision/kv_cache", "fp8"));
    for (Pool pool : {Pool::Prefill, Pool::Decode}) {
        const double ratio = static_cast<double>(fp8->pool(pool).kv_capacity_tokens_per_group) /
                             static_cast<double>(bf16->pool(pool).kv_capacity_tokens_per_group);
        CHECK(ratio == Approx(2.0).epsilon(1e-5));
    }
}

TEST_CASE("prepare_serving: colocated pools share one GPU's memory", "[inference]") {
    // Same layout for both pools: one copy of the weights, one KV space.
    const auto llama = prepare(llama_doc());
    CHECK(llama->prefill.kv_free_bytes == llama->decode.kv_free_bytes);
    // The reserve is the shared GPU's: its fragmentation is of the larger working memory.
    const double f = llama->gpu.fragmentation_fraction;
    const double working = std::max(llama->prefill.working_bytes, llama->decode.working_bytes);
    CHECK(llama->decode.reserve.total_bytes() == Approx(llama->gpu.runtime_reserve_bytes + working * f / (1 - f)));
    CHECK(llama->decode.kv_free_bytes ==
          Approx(llama->gpu.hbm_bytes - llama->decode.weights_bytes - working - llama->decode.reserve.total_bytes()));
    // Different layouts on the same GPUs: both sets of weights.
    auto doc = with(llama_doc(), "/cluster/nodes", 2);
    doc = with(doc, "/inference/decode/nodes", 2);
    doc = with(doc, "/inference/decode/attn_tp", 16);
    const auto two = prepare(doc);
    CHECK(two->decode.kv_free_bytes ==
          Approx(two->gpu.hbm_bytes - two->prefill.weights_bytes - two->decode.weights_bytes -
                 std::max(two->prefill.working_bytes, two->decode.working_bytes) - two->decode.reserve.total_bytes()));
}

TEST_CASE("prepare_serving: prefill working memory is sized for one group's share of max_batch_tokens", "[inference]") {
    // The simulation gives each attention group at most max_batch_tokens / groups new tokens
    // per iteration (serving_sim.h: strict shares); the memory plan sizes a group for that.
    const Priced v3(v3_doc());
    const auto& p = v3.setup->prefill;
    REQUIRE(p.attention_groups == 8);
    CHECK(p.max_tokens_per_group == 16384 / 8);
    CHECK(p.max_tokens_per_group == v3.costs->max_batch_tokens() / v3.costs->attention_groups(Pool::Prefill));
    CHECK(p.max_sequences_per_group == p.max_tokens_per_group);
    // Twice the tokens per iteration: twice a group's share, and more working memory.
    const auto twice = prepare(with(v3_doc(), "/inference/prefill/max_batch_tokens", 32768));
    CHECK(twice->prefill.max_tokens_per_group == 2 * p.max_tokens_per_group);
    CHECK(twice->prefill.working_bytes > p.working_bytes);
    // Group-side buffers grow with the group's share, not the instance's tokens: with the
    // same tokens over 32 groups of one GPU (DAY6's DP32), a group holds 512 of them.
    const auto dp32 = prepare(with(v3_doc(), "/inference/prefill/attn_tp", 1));
    CHECK(dp32->prefill.max_tokens_per_group == 16384 / 32);
}
