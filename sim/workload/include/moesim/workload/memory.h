#pragma once
// Training memory per GPU: weights, gradients, optimizer state and activations, for each
// pipeline rank of a scenario's layout; the worst rank decides whether it fits.
//
// Bytes per parameter (before ZeRO sharding):
//   bf16   Megatron mixed precision with its distributed optimizer: BF16 weights (2), FP32
//          gradient accumulation buffer (4), FP32 master weights + Adam m + v (12) — "float16
//          param, fp32 grads: 18 bytes, 6 + 12/d with the distributed optimizer" (Megatron
//          Core, Distributed Optimizer guide).
//   fp8    DeepSeek-V3's recipe (V3TR §3.3.1, §3.3.3): FP8 weights for the FP8 GEMMs (1),
//          BF16 for embedding, head, router and norms (2); "the master weights (stored by the
//          optimizer) and gradients (used for batch size accumulation) are still retained in
//          FP32" (4 + 4); "BF16 … to track the first and second moments in the AdamW
//          optimizer" (2 + 2).
// ZeRO over data parallelism: stage 1 shards the optimizer state (master weights and
// moments), 2 also the gradients, 3 also the weights. Non-expert parameters shard over the
// dp ranks; routed experts over their own data-parallel group, tp·dp/ep ranks.
//
// Activations: activation bytes per token of each layer (operators.h: BF16, the recompute
// policy, FP8 caching under the fp8 recipe) × micro_batch_size·seq_len tokens, ÷ tp
// (sequence parallelism assumed with TP), × micro-batches in flight, stage by stage:
//   gpipe        all m micro-batches
//   1f1b         stage i: min(pp − i, m)                      (PipeDream-Flush)
//   interleaved  rank i: (pp − i − 1)·2 + (v − 1)·pp + 1 model chunks (Megatron's warm-up
//                count + 1; rank 0: pp + (pp − 1)/v stages' worth, Korthikanti et al. 2022)
//   zb1p         pp                                           (DualPipe README table)
//   dualpipe     rank r: pp − r on stage r, r + 1 on stage pp−1−r: pp + 1 in all (DualPipe
//                README: activations PP + 1, parameters 2× — two stages per rank)
//   dualpipev    a 1F1B over the V's 2·pp stages: stage s holds 2·pp − s, rank r's two
//                stages 2·pp + 1 in all (README: PP + 1 with PP = 2·pp stages of half size)
// where m = global_batch_size / (dp · micro_batch_size). Under full recompute one layer's
// activations are rematerialised at a time during backward; that transient is added.
// zb1p keeps 1F1B's in-flight count, stage i: min(pp − i, m) — zero-bubble H1 splits the
// backward but starts it where 1F1B does, so its peak is 1F1B's (Qi et al. 2023, ZB-H1:
// "the same peak memory as 1F1B"); PP in the DualPipe README's table is rank 0's figure.
//
// Reserve (hw/memory_reserve.h): the runtime's share, DeepEP's buffers when ep > 1, and the
// allocator's fragmentation of the activations (the short-lived tensors; weights, gradients
// and optimizer state are allocated once). Memory is printed in GB (1 GB = 1e9 B).
#include <string>
#include <vector>

#include "moesim/hw/memory_reserve.h"
#include "moesim/workload/layout.h"
#include "moesim/workload/model_accounting.h"
#include "moesim/workload/scenario.h"

namespace moesim::workload {

struct MemoryBreakdown {
    double weights_bytes = 0, gradients_bytes = 0, optimizer_bytes = 0, activations_bytes = 0;
    hw::MemoryReserve reserve;
    double total_bytes() const {
        return weights_bytes + gradients_bytes + optimizer_bytes + activations_bytes + reserve.total_bytes();
    }
};

struct RankMemory {
    int rank = 0;
    std::vector<int> stages;
    int transformer_layers = 0;
    RankParams params;                     // per GPU, after TP/EP, before ZeRO
    double activation_bytes_per_chunk = 0; // one micro-batch through one of its stages (weighted mean)
    double chunks_in_flight = 0;           // micro-batch × stage units kept at the peak
    MemoryBreakdown memory;
};

struct MemoryEstimate {
    std::vector<RankMemory> ranks;         // one per pipeline rank
    int worst_rank = 0;
    MemoryBreakdown worst;                 // ranks[worst_rank].memory
    long long micro_batches = 0;           // per optimizer step, per pipeline
    double needed_bytes = 0;
    double available_bytes = 0;
    bool fits = false;
};

// Memory per GPU for a training scenario (uses parallelism and training sections), with the
// reserve `reserve` says (hw::reserve_policy(gpu); a default policy reserves nothing).
MemoryEstimate estimate_training_memory(const ModelAccounting& a, const Scenario& s, double hbm_capacity_bytes,
                                        const hw::ReservePolicy& reserve);

// "93.2 GB per GPU (weights 7.1 GB, gradients 20.0 GB, optimizer 3.4 GB, activations
// 62.7 GB, reserve 3.8 GB, pipeline rank 0)".
std::string describe_memory(const MemoryEstimate& m);

// Throws ScenarioError("", "/parallelism", "the layout needs 93.2 GB per GPU (weights …,
// optimizer …, activations …) but the H800 has 84.9 GB …") when !m.fits.
void require_memory_fits(const MemoryEstimate& m, const std::string& gpu_name);

}  // namespace moesim::workload
