// The FP8 quantization kernels around each FP8 GEMM (operators.h fp8_cast_bytes_*): bytes per
// token from the GEMM's shape, inputs shared by two GEMMs cast once, none on BF16 GEMMs.
#include <catch2/catch.hpp>

#include "moesim/workload/model_accounting.h"

using namespace moesim::workload;

namespace {

const Operator& op_named(const Layer& l, const std::string& name) {
    for (const auto& op : l.ops)
        if (op.name == name) return op;
    FAIL("no operator " << name << " in " << l.name);
    throw;
}

const Layer& layer_named(const ModelAccounting& a, const std::string& name) {
    for (const auto& l : a.layers)
        if (l.name == name) return l;
    FAIL("no layer " << name);
    throw;
}

constexpr double kCached = 1.0 + 4.0 / 128.0;  // E4M3 value + FP32 scale per 1x128 tile

}  // namespace

TEST_CASE("FP8 casts: forward casts the input, backward casts dy twice and re-tiles the cached input", "[workload]") {
    const ModelAccounting a = account_model(load_model("deepseek-v3"), 4096);
    const Layer& moe = layer_named(a, "layer.3");
    const Operator& o = op_named(moe, "o_proj");  // W: 7168 x 16384
    CHECK(o.fp8_cast_bytes_fwd == Approx(16384 * (2.0 + kCached)));
    CHECK(o.fp8_cast_bytes_bwd == Approx(7168 * (2.0 + 2 * kCached) + 16384 * 2 * kCached));

    // kv_a reads the normed x that q_a already cast; expert_up the tokens expert_gate reads.
    const Operator& q_a = op_named(moe, "q_a_proj");
    const Operator& kv_a = op_named(moe, "kv_a_proj");
    CHECK(q_a.fp8_cast_bytes_fwd > 0);
    CHECK(kv_a.fp8_cast_bytes_fwd == 0);
    CHECK(kv_a.fp8_cast_bytes_bwd == Approx(576 * (2.0 + 2 * kCached)));
    const Operator& up = op_named(moe, "expert_up");  // 8 rows per token of 2048 x 7168
    CHECK(up.fp8_cast_bytes_fwd == 0);
    CHECK(up.fp8_cast_bytes_bwd == Approx(8 * 2048 * (2.0 + 2 * kCached)));
    // Tokens travel to their experts already in FP8, cast by the shared expert's cast.
    CHECK(op_named(moe, "expert_gate").fp8_cast_bytes_fwd == 0);
    CHECK(op_named(moe, "shared_gate").fp8_cast_bytes_fwd == Approx(7168 * (2.0 + kCached)));

    // BF16 GEMMs (router, LM head) have no casts.
    CHECK(op_named(moe, "router").fp8_cast_bytes_fwd == 0);
    CHECK(op_named(layer_named(a, "head"), "lm_head").fp8_cast_bytes_bwd == 0);
}

TEST_CASE("FP8 casts: a model without shared experts casts before the dispatch", "[workload]") {
    const ModelAccounting a = account_model(load_model("mixtral-8x7b"), 4096);
    const Layer& moe = layer_named(a, "layer.0");
    CHECK(op_named(moe, "expert_gate").fp8_cast_bytes_fwd == Approx(4096 * (2.0 + kCached)));
}
