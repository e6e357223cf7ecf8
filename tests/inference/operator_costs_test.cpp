// The operator model of a serving iteration (operator_costs.h): how its time moves with batch,
// context, draft tokens and micro-batches, and the rooflines it must respect.
#include <algorithm>
#include <cstring>
#include <span>

#include "operator_test_helpers.h"

using namespace operator_test;

namespace {

double decode_s(const OperatorCosts& c, std::int64_t sequences, std::int64_t context, int draft_tokens) {
    return c.iteration_s(Pool::Decode, uniform(c, Pool::Decode, decode_load(sequences, context, draft_tokens)));
}

// Prefill of `sequences` prompts of `prompt` tokens per group, nothing cached.
IterationBreakdown prefill(const OperatorCosts& c, std::int64_t sequences, std::int64_t prompt) {
    return c.iteration_breakdown(Pool::Prefill, uniform(c, Pool::Prefill, GroupLoad{sequences, sequences * prompt, 0}));
}

}  // namespace

TEST_CASE("MTP: tokens per decode step = 1 + a + ... + a^d", "[inference]") {
    const auto tokens = [](int d, double a) {
        auto doc = with(v3_doc(), "/inference/decode/mtp/draft_tokens", d);
        doc = with(doc, "/inference/decode/mtp/acceptance", a);
        return Priced(doc).costs->tokens_per_decode_step();
    };
    CHECK(tokens(0, 0.0) == 1.0);
    CHECK(tokens(0, 0.9) == 1.0);
    CHECK(tokens(1, 0.85) == Approx(1.85));             // V3TR §5.4.3: 85-90% acceptance, ~1.8x
    CHECK(tokens(3, 0.5) == Approx(1.0 + 0.5 + 0.25 + 0.125));
    CHECK(tokens(2, 1.0) == Approx(3.0));
    CHECK(tokens(2, 0.0) == Approx(1.0));
}

TEST_CASE("MTP: the draft passes add the MTP module's work to a decode iteration", "[inference]") {
    // The same main-model load (2 tokens per sequence) with and without the module's pass.
    const Priced with_mtp(v3_doc());
    const Priced without(with(v3_doc(), "/inference/decode/mtp/draft_tokens", 0));
    const auto loads = uniform(*with_mtp.costs, Pool::Decode, decode_load(64, 2048, 1));
    const double mtp = with_mtp.costs->iteration_s(Pool::Decode, loads);
    const double plain = without.costs->iteration_s(Pool::Decode, loads);
    CHECK(mtp > plain);
    // One MoE block and the head on one token per sequence: far less than the 61-layer model.
    CHECK(mtp - plain < 0.2 * plain);
    // Two draft tokens: three tokens per sequence through the main model, two module passes.
    const Priced two(with(v3_doc(), "/inference/decode/mtp/draft_tokens", 2));
    CHECK(decode_s(*two.costs, 64, 2048, 2) > mtp);
}

TEST_CASE("decode iteration time grows with context and with batch", "[inference]") {
    const Priced p(v3_doc());
    const auto& c = *p.costs;
    double last = 0;
    for (std::int64_t context : {256, 1024, 4096, 16384, 65536}) {
        const double t = decode_s(c, 32, context, 1);
        INFO("context " << context);
        CHECK(t > last);
        last = t;
    }
    last = 0;
    for (std::int64_t sequences : {1, 4, 16, 64, 256, 512}) {
        const double t = decode_s(c, sequences, 4096, 1);
        INFO("sequences per group " << sequences);
        CHECK(t > last);
        last = t;
    }
}

TEST_CASE("decode at a small batch is bound by reading weights and KV cache", "[inference]") {
    const Priced p(v3_doc());
    const auto& c = *p.costs;
    const auto& st = *p.setup;
    // One sequence per group: doubling it barely moves the GEMMs (the weights are read once
    // either way), while at a large batch the GEMMs grow with it.
    const auto small1 = c.iteration_breakdown(Pool::Decode, uniform(c, Pool::Decode, decode_load(1, 1024, 1)));
    const auto small2 = c.iteration_breakdown(Pool::Decode, uniform(c, Pool::Decode, decode_load(2, 1024, 1)));
    CHECK(small2.dense_gemm_s / small1.dense_gemm_s < 1.05);
    CHECK(small2.moe_gemm_s / small1.moe_gemm_s < 1.05);
    const auto large1 = c.iteration_breakdown(Pool::Decode, uniform(c, Pool::Decode, decode_load(256, 1024, 1)));
    const auto large2 = c.iteration_breakdown(Pool::Decode, uniform(c, Pool::Decode, decode_load(512, 1024, 1)));
    CHECK((large2.dense_gemm_s + large2.moe_gemm_s) / (large1.dense_gemm_s + large1.moe_gemm_s) > 1.3);
    // Every weight but the embedding table (one row per token is looked up) is read at least
    // once per iteration, at no more than the HBM's peak.
    const double table = static_cast<double>(st.model.params_embedding) * 2.0 / st.decode.attn_tp;
    CHECK(small1.total_s >= (st.decode.weights_bytes - table) / (st.gpu.hbm_GBps * 1e9));
    // A long context at a small batch: attention is the read of the latent cache (main model
    // and MTP module), at no more than the HBM peak and not far below it.
    const std::int64_t context = 65536;
    const auto longctx = c.iteration_breakdown(Pool::Decode, uniform(c, Pool::Decode, decode_load(4, context, 1)));
    const double kv_read_s = 4.0 * context * st.decode.kv_bytes_per_token / (st.gpu.hbm_GBps * 1e9);
    CHECK(longctx.attention_s >= kv_read_s);
    CHECK(longctx.attention_s < 1.25 * kv_read_s);
    // ... so twice the context is twice the attention time.
    const auto longer = c.iteration_breakdown(Pool::Decode, uniform(c, Pool::Decode, decode_load(4, 2 * context, 1)));
    CHECK(longer.attention_s / longctx.attention_s == Approx(2.0).epsilon(0.01));
}

TEST_CASE("prefill time is about linear in tokens at a large batch", "[inference]") {
    const Priced p(v3_doc());
    const auto& c = *p.costs;
    // Prompts of 2048 tokens: 8, then 16 per group (16K, then 32K tokens per group).
    const double t8 = prefill(c, 8, 2048).total_s;
    const double t16 = prefill(c, 16, 2048).total_s;
    const double t32 = prefill(c, 32, 2048).total_s;
    CHECK(t16 / t8 == Approx(2.0).epsilon(0.08));
    CHECK(t32 / t16 == Approx(2.0).epsilon(0.08));
    // Longer prompts at the same token count cost more (causal attention is quadratic).
    CHECK(prefill(c, 2, 8192).total_s > t8);
}

TEST_CASE("prefill: cached prefix tokens are attention context, not computed tokens", "[inference]") {
    const Priced p(v3_doc());
    const auto& c = *p.costs;
    const auto cold = c.iteration_breakdown(Pool::Prefill, uniform(c, Pool::Prefill, GroupLoad{1, 1024, 0}));
    const auto warm = c.iteration_breakdown(Pool::Prefill, uniform(c, Pool::Prefill, GroupLoad{1, 1024, 3072}));
    const auto full = c.iteration_breakdown(Pool::Prefill, uniform(c, Pool::Prefill, GroupLoad{1, 4096, 0}));
    CHECK(warm.attention_s > cold.attention_s);
    CHECK(warm.moe_gemm_s == cold.moe_gemm_s);  // experts see only the new tokens
    CHECK(warm.total_s < full.total_s);
}

TEST_CASE("prefill: attention is priced on each sequence's causal pairs, not on the group's mean sequence", "[inference]") {
    // One group computing a fresh 3000-token prompt and the last 1000 tokens of a 17000-token
    // one: its attention is theirs, 3000·3001/2 + (1000·16000 + 1000·1001/2) pairs. The mean
    // sequence (2000 new after 8000) has 36.0M pairs against their 21.0M; the group's load
    // carries its pairs so that the balancer's equal-cost groups are priced as it balanced them.
    const Priced p(v3_doc());
    const auto& c = *p.costs;
    const auto attention_s = [&](const GroupLoad& g) {
        return c.iteration_breakdown(Pool::Prefill, std::span<const GroupLoad>(&g, 1)).attention_s;
    };
    const double fresh = attention_s({1, 3000, 0});
    const double tail = attention_s({1, 1000, 16000});
    const std::int64_t pairs = moesim::inference::causal_pairs(3000, 0) + moesim::inference::causal_pairs(1000, 16000);
    CHECK(pairs == 3000LL * 3001 / 2 + 1000LL * 16000 + 1000LL * 1001 / 2);
    // The group runs at the speed of its token-weighted keys per query, each alone at its own
    // (costs.h equivalent_causal_seq_len): the same under a fixed cost per query tile, within
    // 1% on FlashAttention-3's measured row.
    CHECK(attention_s({2, 4000, 16000, pairs}) == Approx(fresh + tail).epsilon(0.01));
    // Without pairs, the mean sequence (exact for alike sequences, as in decode).
    CHECK(attention_s({2, 4000, 16000}) == Approx(attention_s({1, 2000, 8000}) * 2).epsilon(1e-9));
    CHECK(attention_s({2, 4000, 16000}) > 1.6 * (fresh + tail));
    CHECK(attention_s({2, 4000, 16000, moesim::inference::causal_pairs(2000, 8000) * 2}) ==
          Approx(attention_s({2, 4000, 16000})).epsilon(1e-9));
}

TEST_CASE("prefill: one sequence is priced alike with its causal pairs or without them", "[inference]") {
    // A load of one sequence without pairs is priced as its mean sequence, which is itself:
    // max_load's request alone under "balancer": "none" (one chunk on one group) pays the
    // attention its pairs give.
    const Priced p(v3_doc());
    const auto& c = *p.costs;
    for (const auto& [n, context] : {std::pair<std::int64_t, std::int64_t>{4096, 0}, {1000, 16000}, {1, 7000}, {3, 0}}) {
        const GroupLoad bare{1, n, context}, paired{1, n, context, moesim::inference::causal_pairs(n, context)};
        INFO(n << " new after " << context);
        CHECK(c.group_compute_s(Pool::Prefill, bare) == Approx(c.group_compute_s(Pool::Prefill, paired)).epsilon(1e-12));
        CHECK(c.iteration_s(Pool::Prefill, std::span<const GroupLoad>(&bare, 1)) ==
              Approx(c.iteration_s(Pool::Prefill, std::span<const GroupLoad>(&paired, 1))).epsilon(1e-12));
    }
}

TEST_CASE("micro_batches 2 is never slower than 1 and never faster than its busier stream", "[inference]") {
    const Priced two(v3_doc());
    auto doc = with(v3_doc(), "/inference/decode/micro_batches", 1);
    doc = with(doc, "/inference/prefill/micro_batches", 1);
    const Priced one(doc);
    bool helped = false;
    const auto check = [&](Pool pool, const std::vector<GroupLoad>& loads) {
        const auto b1 = one.costs->iteration_breakdown(pool, loads);
        const auto b2 = two.costs->iteration_breakdown(pool, loads);
        INFO("pool " << (pool == Pool::Prefill ? "prefill" : "decode") << ", new tokens " << loads[0].new_tokens);
        CHECK(b1.micro_batches == 1);
        CHECK(b2.total_s <= b1.total_s);
        CHECK(b2.total_s >= std::max(b1.compute_s(), b1.comm_s()));
        CHECK(b2.total_s == Approx(b2.compute_s() + b2.exposed_comm_s));
        CHECK(b2.exposed_comm_s >= 0);
        CHECK(b2.exposed_comm_s <= b2.comm_s() * (1 + 1e-12));
        if (b2.micro_batches == 2 && b2.total_s < b1.total_s) helped = true;
    };
    for (std::int64_t s : {1, 8, 64, 256, 1024})
        for (std::int64_t context : {512, 8192}) check(Pool::Decode, uniform(*two.costs, Pool::Decode, decode_load(s, context, 1)));
    for (std::int64_t tokens : {512, 2048, 16384}) check(Pool::Prefill, uniform(*two.costs, Pool::Prefill, GroupLoad{2, tokens, 0}));
    CHECK(helped);  // the overlap pays somewhere in that range
}

TEST_CASE("EP dispatch and combine: none on a dense model, and a colocated deployment moves no KV", "[inference]") {
    const Priced llama(llama_doc());
    const auto b = llama.costs->iteration_breakdown(Pool::Decode, uniform(*llama.costs, Pool::Decode, decode_load(32, 2048, 0)));
    CHECK(b.total_s > 0);
    CHECK(b.moe_gemm_s == 0);
    CHECK(b.comm_s() == 0);
    CHECK(b.tp_comm_s > 0);  // TP8 attention and FFN
    CHECK(llama.costs->kv_transfer_s(4096) == 0);
    CHECK(llama.costs->tokens_per_decode_step() == 1.0);

    const Priced v3(v3_doc());
    const auto d = v3.costs->iteration_breakdown(Pool::Decode, uniform(*v3.costs, Pool::Decode, decode_load(32, 2048, 1)));
    CHECK(d.dispatch_s > 0);
    CHECK(d.combine_s > 0);
    CHECK(d.moe_gemm_s > 0);
}

TEST_CASE("KV transfer: at least the bytes over the NICs, growing with the tokens", "[inference]") {
    const Priced p(v3_doc());
    const auto& c = *p.costs;
    const auto& st = *p.setup;
    CHECK(c.kv_transfer_s(0) == 0);
    const auto& net = st.scenario.cluster.network;
    const double nic_GBps_per_gpu = net.nics_per_node * net.nic_Gbps / 8.0 / st.scenario.cluster.gpus_per_node;
    double last = 0;
    for (std::int64_t tokens : {1, 1024, 4096, 32768}) {
        const double t = c.kv_transfer_s(tokens);
        // attn_tp 4 on both sides: four GPUs' NICs carry a request's cache.
        const double floor_s = static_cast<double>(tokens) * st.decode.kv_bytes_per_token / (4 * nic_GBps_per_gpu * 1e9);
        CHECK(t > floor_s);
        CHECK(t > last);
        last = t;
    }
}

TEST_CASE("an iteration with no work costs nothing — missing groups are idle", "[inference]") {
    const Priced p(v3_doc());
    const auto& c = *p.costs;
    CHECK(c.iteration_s(Pool::Decode, {}) == 0);
    const std::vector<GroupLoad> idle(4, GroupLoad{});
    CHECK(c.iteration_s(Pool::Prefill, idle) == 0);
    // One busy group among idle ones costs what it costs alone.
    std::vector<GroupLoad> one{decode_load(16, 1024, 1)};
    std::vector<GroupLoad> padded = one;
    padded.resize(10, GroupLoad{});
    CHECK(c.iteration_s(Pool::Decode, padded) == c.iteration_s(Pool::Decode, one));
}

TEST_CASE("the operator model is deterministic", "[inference]") {
    const auto loads = [](const OperatorCosts& c) {
        std::vector<GroupLoad> g;
        for (int i = 0; i < c.attention_groups(Pool::Decode); ++i) g.push_back(decode_load(50 + i, 1000 + 37 * i, 1));
        return g;
    };
    const Priced a(v3_doc());
    const Priced b(v3_doc());
    const double first = a.costs->iteration_s(Pool::Decode, loads(*a.costs));
    // Other questions in between (and the memo they fill) change nothing.
    a.costs->iteration_s(Pool::Prefill, uniform(*a.costs, Pool::Prefill, GroupLoad{3, 5000, 100}));
    const double again = a.costs->iteration_s(Pool::Decode, loads(*a.costs));
    const double other = b.costs->iteration_s(Pool::Decode, loads(*b.costs));
    CHECK(std::memcmp(&first, &again, sizeof first) == 0);
    CHECK(std::memcmp(&first, &other, sizeof first) == 0);
}
