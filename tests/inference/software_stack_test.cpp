// The scenario's software section in serving (DESIGN.md §3): the EP kernel, the attention
// kernel and the GEMM library each price their part of an iteration from their own table, and
// the defaults are what serving priced before (normal DeepEP to prefill, low-latency to decode).
#include "operator_test_helpers.h"
#include "profile_fixtures.h"

using namespace operator_test;

namespace {

json with_software(const json& doc, const std::string& key, const std::string& value) {
    return with(doc, "/software/" + key, value);
}

IterationBreakdown decode_step(const json& doc) {
    const Priced p(doc);
    return p.costs->iteration_breakdown(Pool::Decode, uniform(*p.costs, Pool::Decode, decode_load(32, 2048, 1)));
}

IterationBreakdown prefill_step(const json& doc) {
    const Priced p(doc);
    return p.costs->iteration_breakdown(Pool::Prefill, uniform(*p.costs, Pool::Prefill, GroupLoad{4, 4 * 4096, 0}));
}

}  // namespace

TEST_CASE("software in serving: the defaults by name price as before", "[inference]") {
    const json v3 = v3_doc();
    const auto d = decode_step(v3), p = prefill_step(v3);
    json named = with_software(v3, "attention", "default");
    named = with_software(named, "ep_comm", "default");
    named = with_software(named, "gemm", "default");
    CHECK(decode_step(named).total_s == d.total_s);
    CHECK(prefill_step(named).total_s == p.total_s);
    // The default decodes with the low-latency kernels and prefills with the normal ones.
    CHECK(decode_step(with_software(v3, "ep_comm", "deepep-ll")).dispatch_s == d.dispatch_s);
    CHECK(prefill_step(with_software(v3, "ep_comm", "deepep-normal")).dispatch_s == p.dispatch_s);
}

TEST_CASE("software in serving: each choice moves its own part of the iteration", "[inference]") {
    const json v3 = v3_doc();
    const auto d = decode_step(v3), p = prefill_step(v3);
    // NCCL all-to-all: every token once per expert, no node-limited forwarding.
    const auto nccl = prefill_step(with_software(v3, "ep_comm", "nccl-all2all"));
    CHECK(nccl.dispatch_s > p.dispatch_s);
    CHECK(nccl.attention_s == p.attention_s);
    // FlashAttention-2 prefills slower by the FA3 paper's ratio (319 vs 579 TFLOPS); decode
    // keeps FlashMLA's point (no FA2 decode figure in the profile).
    const auto fa2 = prefill_step(with_software(v3, "attention", "fa2"));
    CHECK(fa2.attention_s > p.attention_s);
    CHECK(decode_step(with_software(v3, "attention", "fa2")).attention_s == d.attention_s);
    // cuBLAS's FP8 table for the dense GEMMs.
    CHECK(prefill_step(with_software(v3, "gemm", "cublas")).dense_gemm_s != p.dense_gemm_s);
}

TEST_CASE("software in serving: DeepEP's notify latency is paid by the normal kernels only", "[inference]") {
    // A profile fitted from a trace carries DeepEP's notify (calibrate --from-trace): every
    // normal-mode call pays it, as in training; the low-latency kernels decode has none.
    json with_notify = moesim::test::shipped_profile_json();
    with_notify["latencies"] = json::array({{{"what", "deepep_notify"}, {"latency_us", 250.0}, {"source", "test"}}});
    const auto priced_with = [&](const json& doc) {
        auto setup = prepare(doc);
        setup->profile = moesim::hw::CalibrationProfile::from_json(with_notify, "notify.json");
        return setup;
    };
    const json v3 = v3_doc();
    const auto plain = prepare(v3), notified = priced_with(v3);
    const auto costs = moesim::inference::make_operator_costs(*plain);
    const auto costs_n = moesim::inference::make_operator_costs(*notified);
    const GroupLoad prefill{4, 4 * 4096, 0};
    const auto p = costs->iteration_breakdown(Pool::Prefill, uniform(*costs, Pool::Prefill, prefill));
    const auto pn = costs_n->iteration_breakdown(Pool::Prefill, uniform(*costs_n, Pool::Prefill, prefill));
    CHECK(pn.dispatch_s > p.dispatch_s);
    CHECK(pn.combine_s > p.combine_s);
    const auto d = costs->iteration_breakdown(Pool::Decode, uniform(*costs, Pool::Decode, decode_load(32, 2048, 1)));
    const auto dn = costs_n->iteration_breakdown(Pool::Decode, uniform(*costs_n, Pool::Decode, decode_load(32, 2048, 1)));
    CHECK(dn.dispatch_s == d.dispatch_s);
    CHECK(dn.combine_s == d.combine_s);
}
