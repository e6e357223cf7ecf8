// Training memory per GPU on a layout small enough to compute by hand.
#include <catch2/catch.hpp>

#include "moesim/common/error.h"
#include "moesim/common/units.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/hw/memory_reserve.h"
#include "moesim/workload/memory.h"

using namespace moesim::workload;
using moesim::MemoryFitError;

namespace {

// Tiny MHA llama: V = 1000, d = 64, 4 layers, 4 heads of 16, I = 128.
//   embedding 64,000; layer 2·64 + 4·64·64 + 3·64·128 = 41,088; head 64 + 64,000 = 64,064.
ModelAccounting tiny(int seq_len) {
    const nlohmann::json j = {{"model_type", "llama"},        {"vocab_size", 1000},       {"hidden_size", 64},
                              {"num_hidden_layers", 4},       {"num_attention_heads", 4}, {"intermediate_size", 128}};
    return account_model(parse_model_config(j, "tiny.json"), seq_len);
}

Scenario layout(int tp, int pp, int dp, int ep, Schedule schedule, Recompute recompute, Precision precision,
                int seq_len, std::int64_t global_batch_size) {
    Scenario s;
    s.parallelism.tp = tp;
    s.parallelism.pp = pp;
    s.parallelism.dp = dp;
    s.parallelism.ep = ep;
    s.parallelism.zero_stage = 1;
    s.parallelism.schedule = schedule;
    s.parallelism.recompute = recompute;
    s.parallelism.micro_batch_size = 1;
    s.training.seq_len = seq_len;
    s.training.global_batch_size = global_batch_size;
    s.training.precision = precision;
    return s;
}

// pp 2 (2 layers per stage), tp 1, dp 2, ep 1, ZeRO-1, 1F1B, BF16, no recompute, seq 128,
// micro-batch 1, global batch 8 → m = 8 / (2·1) = 4 micro-batches.
Scenario small_layout() {
    return layout(1, 2, 2, 1, Schedule::OneFOneB, Recompute::None, Precision::BF16, 128, 8);
}

// Activations per token of one layer, BF16, no recompute:
//   attn_norm in 128 + q_proj in 128 + core (q, k, v, out 4·128 + logsumexp 4·4) 528
//   + ffn_norm in 128 + gate in 128 + SwiGLU gate,up 2·128·2 = 512 + down in 256 = 1808
// Head: final_norm in 128 + lm_head in 128 + logits 1000·2 = 2256.
constexpr double kLayerAct = 1808, kHeadAct = 2256, kTokens = 128;

}  // namespace

TEST_CASE("memory per GPU: a small 1F1B layout by hand", "[workload]") {
    const ModelAccounting a = tiny(128);
    const MemoryEstimate m = estimate_training_memory(a, small_layout(), 3e6, {});
    REQUIRE(m.ranks.size() == 2);
    CHECK(m.micro_batches == 4);
    // Rank 0: embedding + 2 layers = 64,000 + 2·41,088 = 146,176 parameters.
    //   weights 2 B = 292,352; gradients 4 B (FP32) = 584,704; optimizer 12 B / dp 2 = 877,056
    //   activations: pp − 0 = 2 micro-batches × 2 layers × 1808 × 128 tokens = 925,696
    //   total 2,679,808 B.
    const RankMemory& r0 = m.ranks[0];
    CHECK(r0.params.total() == 146176.0);
    CHECK(r0.memory.weights_bytes == 292352.0);
    CHECK(r0.memory.gradients_bytes == 584704.0);
    CHECK(r0.memory.optimizer_bytes == 877056.0);
    CHECK(r0.chunks_in_flight == 2.0);
    CHECK(r0.memory.activations_bytes == 2 * 2 * kLayerAct * kTokens);
    CHECK(r0.memory.total_bytes() == 2679808.0);
    // Rank 1: 2 layers + head = 82,176 + 64,064 = 146,240 parameters: 292,480 + 584,960 +
    //   877,440; activations 1 micro-batch × (2·1808 + 2256) × 128 = 751,616; total 2,506,496.
    const RankMemory& r1 = m.ranks[1];
    CHECK(r1.params.total() == 146240.0);
    CHECK(r1.memory.activations_bytes == (2 * kLayerAct + kHeadAct) * kTokens);
    CHECK(r1.memory.total_bytes() == 2506496.0);
    CHECK(m.worst_rank == 0);
    CHECK(m.needed_bytes == 2679808.0);
    CHECK(m.fits);
    CHECK_FALSE(estimate_training_memory(a, small_layout(), 2.6e6, {}).fits);
}

TEST_CASE("memory per GPU: ZeRO stages, recompute, FP8 and schedules", "[workload]") {
    const ModelAccounting a = tiny(128);
    Scenario s = small_layout();

    s.parallelism.zero_stage = 0;  // nothing sharded: 12 B optimizer on every rank
    CHECK(estimate_training_memory(a, s, 1e9, {}).ranks[0].memory.optimizer_bytes == 12.0 * 146176);
    s.parallelism.zero_stage = 2;  // + gradients / dp
    CHECK(estimate_training_memory(a, s, 1e9, {}).ranks[0].memory.gradients_bytes == 4.0 * 146176 / 2);
    s.parallelism.zero_stage = 3;  // + weights / dp
    CHECK(estimate_training_memory(a, s, 1e9, {}).ranks[0].memory.weights_bytes == 2.0 * 146176 / 2);
    s.parallelism.zero_stage = 1;

    // Selective recompute drops the RMSNorm outputs (q_proj in, gate in): 1808 − 256 = 1552.
    s.parallelism.recompute = Recompute::Selective;
    CHECK(estimate_training_memory(a, s, 1e9, {}).ranks[0].memory.activations_bytes == 2 * 2 * 1552.0 * kTokens);
    // Full keeps each layer's input (64·2 = 128) and rematerialises one layer (1808) at a time.
    s.parallelism.recompute = Recompute::Full;
    CHECK(estimate_training_memory(a, s, 1e9, {}).ranks[0].memory.activations_bytes ==
          (2 * 2 * 128.0 + kLayerAct) * kTokens);
    s.parallelism.recompute = Recompute::None;

    // FP8 recipe: FP8 GEMM weights 1 B (2·40,960 per rank 0), BF16 for norms and embedding
    // (2·(256 + 64,000)); FP32 gradients; FP32 master + BF16 moments = 8 B, / dp 2.
    // Activations: GEMM inputs cached in FP8 (1 + 4/128 B): q_proj in and gate in 64 values
    // → 66 B each, down in 128 values → 132 B: 128 + 66 + 528 + 128 + 66 + 512 + 132 = 1560.
    s.training.precision = Precision::FP8;
    const MemoryEstimate fp8 = estimate_training_memory(a, s, 1e9, {});
    CHECK(fp8.ranks[0].memory.weights_bytes == 2 * 40960.0 + 2 * (256.0 + 64000));
    CHECK(fp8.ranks[0].memory.gradients_bytes == 4.0 * 146176);
    CHECK(fp8.ranks[0].memory.optimizer_bytes == 8.0 * 146176 / 2);
    CHECK(fp8.ranks[0].memory.activations_bytes == 2 * 2 * 1560.0 * kTokens);
    s.training.precision = Precision::BF16;

    // GPipe keeps all 4 micro-batches on every stage.
    s.parallelism.schedule = Schedule::GPipe;
    CHECK(estimate_training_memory(a, s, 1e9, {}).ranks[1].chunks_in_flight == 4.0);
    // DualPipe on 2 ranks: each holds both stages (2× parameters); rank 0 keeps pp − 0 = 2
    // micro-batches of stage 0 and 0 + 1 = 1 of stage 1: 2·(2·1808)·128 + 1·(2·1808 + 2256)·128.
    s.parallelism.schedule = Schedule::DualPipe;
    const MemoryEstimate dual = estimate_training_memory(a, s, 1e9, {});
    CHECK(dual.ranks[0].params.total() == 146176.0 + 146240.0);
    CHECK(dual.ranks[0].chunks_in_flight == 3.0);  // pp + 1
    CHECK(dual.ranks[0].memory.activations_bytes == (2 * 2 * kLayerAct + 2 * kLayerAct + kHeadAct) * kTokens);
    // Interleaved, v = 2 (4 stages of one layer): rank 0 keeps (2−0−1)·2 + (2−1)·2 + 1 = 5
    // chunks — pp + (pp − 1)/v = 2.5 stages' worth of its 2 layers.
    s.parallelism.schedule = Schedule::Interleaved1F1B;
    s.parallelism.virtual_stages = 2;
    const MemoryEstimate inter = estimate_training_memory(a, s, 1e9, {});
    CHECK(inter.ranks[0].chunks_in_flight == 5.0);
    CHECK(inter.ranks[0].memory.activations_bytes == 2.5 * 2 * kLayerAct * kTokens);
}

TEST_CASE("memory per GPU: TP splits weights and activations, EP splits experts", "[workload]") {
    const ModelAccounting a = tiny(128);
    Scenario s = small_layout();
    s.parallelism.tp = 2;
    const MemoryEstimate m = estimate_training_memory(a, s, 1e9, {});
    // Rank 0: (64,000 + 2·40,960) / 2 + 2·2·64 (norms) = 73,216 parameters; activations / 2.
    CHECK(m.ranks[0].params.total() == 73216.0);
    CHECK(m.ranks[0].memory.activations_bytes == 2 * 2 * kLayerAct * kTokens / 2);
}

TEST_CASE("memory per GPU: DeepSeek-V3's published layout fits an H800", "[workload]") {
    // V3TR §3.2: PP16 DualPipe, EP64, ZeRO-1 over DP128, no TP, FP8, selective recompute,
    // 15360 sequences of 4096 per step.
    const ModelAccounting a = account_model(load_model("deepseek-v3"), 4096);
    Scenario s = layout(1, 16, 128, 64, Schedule::DualPipe, Recompute::Selective, Precision::FP8, 4096, 15360);
    const moesim::hw::GpuSpec gpu = moesim::hw::load_gpu("H800", "", nullptr);
    const double h800 = gpu.hbm_bytes;  // PD train.json totalGlobalMem, 84.9 GB
    const MemoryEstimate m = estimate_training_memory(a, s, h800, moesim::hw::reserve_policy(gpu));
    CHECK(m.micro_batches == 120);
    CHECK(m.fits);
    // 68.1 GB of weights, gradients, optimizer state and activations, then the reserve: the
    // runtime, DeepEP's buffers (EP64) and fragmentation of the activations.
    const MemoryBreakdown& w = m.worst;
    CHECK((m.needed_bytes - w.reserve.total_bytes()) / moesim::units::kGB == Approx(68.1).margin(1.0));
    CHECK(w.reserve.runtime_bytes == gpu.runtime_reserve_bytes);
    CHECK(w.reserve.ep_buffer_bytes == gpu.ep_buffer_bytes);
    CHECK(w.reserve.fragmentation_bytes ==
          Approx(w.activations_bytes * gpu.fragmentation_fraction / (1 - gpu.fragmentation_fraction)));
    // Routed experts: 4 per rank per layer; their optimizer state shards over 128/64 = 2 ranks.
    CHECK(m.ranks[7].params.expert == 8 * 4 * 44040192.0);
    // Without recompute and in BF16 it does not fit; the error says why.
    s.parallelism.recompute = Recompute::None;
    s.training.precision = Precision::BF16;
    const MemoryEstimate big = estimate_training_memory(a, s, h800, moesim::hw::reserve_policy(gpu));
    CHECK_FALSE(big.fits);
    try {
        require_memory_fits(big, "H800");
        FAIL("expected a MemoryFitError");
    } catch (const MemoryFitError& e) {  // typed, so sweeps count it as a memory refusal
        CHECK(e.json_path() == "/parallelism");
        CHECK_THAT(e.message(), Catch::StartsWith("the layout needs ") && Catch::Contains(" GB per GPU (weights ") &&
                                    Catch::Contains("optimizer") && Catch::Contains("activations") &&
                                    Catch::Contains("reserve") && Catch::Contains("but the H800 has 84.9 GB"));
    }
    CHECK_NOTHROW(require_memory_fits(m, "H800"));
}

TEST_CASE("memory per GPU: the reserve charges DeepEP's buffers only under expert parallelism", "[workload]") {
    const ModelAccounting a = account_model(load_model("deepseek-v3"), 4096);
    const moesim::hw::ReservePolicy policy{1e9, 3e9, 0.2};
    Scenario s = layout(1, 16, 128, 64, Schedule::DualPipe, Recompute::Selective, Precision::FP8, 4096, 15360);
    const MemoryEstimate ep = estimate_training_memory(a, s, 1e12, policy);
    const MemoryEstimate none = estimate_training_memory(a, s, 1e12, {});
    for (std::size_t r = 0; r < ep.ranks.size(); ++r) {
        const MemoryBreakdown& m = ep.ranks[r].memory;
        CHECK(m.reserve.runtime_bytes == 1e9);
        CHECK(m.reserve.ep_buffer_bytes == 3e9);
        // 20% of the pool lost: activations / 0.8 reserved, a quarter of them on top.
        CHECK(m.reserve.fragmentation_bytes == Approx(m.activations_bytes / 4));
        CHECK(m.total_bytes() == Approx(none.ranks[r].memory.total_bytes() + 4e9 + m.activations_bytes / 4));
    }
    s.parallelism.ep = 1;
    s.parallelism.dp = 128;
    CHECK(estimate_training_memory(a, s, 1e12, policy).worst.reserve.ep_buffer_bytes == 0);
}

TEST_CASE("memory per GPU: zb1p holds 1F1B's in-flight micro-batches, pp - i on stage i", "[workload]") {
    const ModelAccounting a = account_model(load_model("deepseek-v3"), 4096);
    const Scenario zb = layout(1, 8, 16, 8, Schedule::ZB1P, Recompute::Selective, Precision::FP8, 4096, 1024);
    const Scenario f1b = layout(1, 8, 16, 8, Schedule::OneFOneB, Recompute::Selective, Precision::FP8, 4096, 1024);
    const MemoryEstimate z = estimate_training_memory(a, zb, 1e12, {});
    const MemoryEstimate o = estimate_training_memory(a, f1b, 1e12, {});
    REQUIRE(z.ranks.size() == 8);
    for (std::size_t r = 0; r < z.ranks.size(); ++r) {
        CHECK(z.ranks[r].chunks_in_flight == 8.0 - static_cast<double>(r));
        CHECK(z.ranks[r].memory.activations_bytes == o.ranks[r].memory.activations_bytes);
    }
}
