// The memory-bound operators issue 12 added (operators.h): rotary embedding and the block's
// residual adds, their bytes per token from the model's shapes, costed by their own class.
#include <catch2/catch.hpp>

#include "moesim/workload/model_accounting.h"

using namespace moesim::workload;

namespace {

int count_kind(const Layer& l, OpKind k) {
    int n = 0;
    for (const auto& op : l.ops) n += op.kind == k ? 1 : 0;
    return n;
}

const Operator& of_kind(const Layer& l, OpKind k) {
    for (const auto& op : l.ops)
        if (op.kind == k) return op;
    FAIL("no operator of kind " << to_string(k) << " in " << l.name);
    throw;
}

}  // namespace

TEST_CASE("MLA rotary covers q_pe of every head and the shared k_pe, read and written in BF16", "[workload]") {
    const ModelAccounting a = account_model(load_model("deepseek-v3"), 4096);
    const Layer& l = a.layers.at(4);  // layer.3, MoE
    REQUIRE(l.name == "layer.3");
    CHECK(count_kind(l, OpKind::Rotary) == 1);
    const Operator& r = of_kind(l, OpKind::Rotary);
    // 128 heads x 64 rope dims + 64 for the head-shared key, 2 bytes, read + write.
    CHECK(r.hbm_bytes_fwd == Approx((128 * 64 + 64) * 2.0 * 2.0));
    CHECK(r.hbm_bytes_bwd == r.hbm_bytes_fwd);
    CHECK(r.recomputed_by_selective);  // rerun with the MLA up-projections
    CHECK(r.flops_training() == 0);
    CHECK(memory_class(OpKind::Rotary) == "rotary");
}

TEST_CASE("GQA rotary covers every query and key head", "[workload]") {
    const ModelAccounting a = account_model(load_model("llama-3.1-8b"), 4096);
    const Operator& r = of_kind(a.layers.at(1), OpKind::Rotary);
    // 32 query + 8 key heads of 128.
    CHECK(r.hbm_bytes_fwd == Approx((32 + 8) * 128 * 2.0 * 2.0));
}

TEST_CASE("each block has two residual adds of three d-wide BF16 tensors each way", "[workload]") {
    const ModelAccounting a = account_model(load_model("deepseek-v3"), 4096);
    for (const auto& l : a.layers) {
        INFO(l.name);
        CHECK(count_kind(l, OpKind::Elementwise) == (l.is_transformer() ? 2 : 0));
    }
    const Operator& add = of_kind(a.layers.at(1), OpKind::Elementwise);
    CHECK(add.hbm_bytes_fwd == Approx(3 * 7168 * 2.0));
    CHECK(add.hbm_bytes_bwd == Approx(3 * 7168 * 2.0));
    CHECK(add.saved_bytes(Recompute::None, Precision::BF16) == 0);  // keeps nothing for backward
    CHECK(memory_class(OpKind::Elementwise) == "elementwise");
    CHECK(memory_class(OpKind::RMSNorm).empty());
}
