#pragma once
// The operator model of one serving iteration (iteration_costs.h): every operator of the
// model (sim/workload operators.h) priced by the calibrated cost functions of hw/costs.h on
// the batch each GPU really gets.
//
// An instance is `gpus` GPUs: attention_groups = gpus / attn_tp data-parallel attention groups
// of attn_tp GPUs each, and the routed experts spread over EP ranks (setup.h). Per layer:
//  * Group side (each attention group on its own load: S sequences, N new tokens, C context
//    tokens before this iteration). Projections and dense FFN split their output over the
//    attn_tp GPUs (m = N rows, n/attn_tp); the router, the shared experts (whole on every GPU,
//    setup.h) and the memory-bound operators (norms, SwiGLU, permutes, embedding) run on the
//    group's sequence-parallel shard of N/attn_tp tokens; the LM head takes the rows whose next token is sampled (prefill: one
//    per sequence; decode: all N, which checks the draft tokens too). Each GEMM is
//    max(FLOPs at the profile's efficiency for its shape, bytes incl. weights / HBM), so a
//    small decode batch is bound by reading the weights (hw::gemm_time_s). An FP8 GEMM (FP8
//    weights and activations) adds the memory-bound cast of its input, as the training model
//    charges it (operators.h fp8_cast_bytes_fwd), on the tokens of the GPU that casts them.
//    Attention core, heads/attn_tp per GPU, at the group's mean sequence (q = N/S new tokens
//    attending to C/S + q; when the load carries its causal pairs P, as prefill's do, the mean
//    sequence's kv_len is the one giving P/S pairs, so a group holding a piece of a long prompt
//    next to short prompts pays their attention, not its mean's):
//      MLA decode: absorbed (d_qk = kv_lora_rank + rope, d_v = kv_lora_rank), the memory-bound
//        read of the compressed latent cache at inference.precision.kv_cache with the profile's
//        decode efficiencies (FlashMLA's roofline, hw::attention_time_s); every GPU of the
//        group reads the whole latent. The absorbed W_UK / W_UV products cost kv_b_proj's
//        FLOPs on the N new tokens.
//      MLA prefill: decompressed heads (d_qk 192, d_v 128), causal, compute-bound at the
//        profile's prefill efficiency; kv_b_proj decompresses the cached prefix too
//        (m = N + C rows).
//      MHA/GQA: d_qk = d_v = head_dim; decode reads the group's KV heads (split over
//        min(attn_tp, kv_heads) GPUs).
//    Attention TP: per transformer layer an all-gather and a reduce-scatter of the group's
//    N·d BF16 activations around attention, and again around a dense FFN (sequence
//    parallelism, as the training model does; a MoE FFN works on the shard), on the compute
//    stream.
//  * Expert side (MoE layers): the slowest EP rank's expert rows, the mean ΣN·top_k / gpus
//    times the pool's drawn imbalance at that many tokens per GPU (EPLB placement over a
//    routing draw, expert_balance.h), each GPU running its `slots` experts as one grouped GEMM
//    per weight at m_per_group = rows/slots — the profile's grouped-GEMM efficiency at that m, floored by
//    reading the experts' weights — plus their SwiGLU.
//  * EP dispatch and combine (MoE layers, ep > 1): DeepEP's normal kernels in prefill and
//    low-latency kernels in decode (hw::deepep_time_s) for the busiest group's N/attn_tp
//    tokens per GPU. Dispatch is FP8; with BF16 activations it is priced as a combine-sized
//    BF16 transfer at the combine's rates. Node-limited routing in prefill comes from the
//    model's expert groups: topk_group groups of ceil(EP nodes / n_group) nodes each.
// Every MoE layer joins all groups (the all-to-all), so a layer's compute c is the slowest
// group's group side plus the expert side, and its communication k the dispatch + combine.
//
// Micro-batches (`micro_batches` m ≥ 2, two streams: compute, and communication): every
// group's load is cut into m equal micro-batches (their mean; a sequence's share may be
// fractional). While one micro-batch communicates another computes, so with per-micro-batch
// layer costs c_l, k_l:
//     T_m = Σ_l m·max(c_l, k_l) + min(c*, k*)       c*, k*: one MoE layer (fill and drain)
//     T_1 = Σ_l (c_l + k_l)                          one micro-batch: nothing to overlap
// (the m = 2 schedule of two streams alternating gives exactly this per repeated layer). An
// engine splits only when it pays (SGLang's two-batch overlap leaves batches it cannot split
// usefully whole): iteration_s = min over m' = 1 … micro_batches of T_m'. Decode replaces the
// closed form T_m by the two-stream list schedule of its stages (stage_schedule.h,
// inference.decode.overlap_stages S: the attention side of a MoE layer in S − 3 steps, then
// dispatch, experts, combine; S = 1 prices T_1 only). Splitting a small
// decode batch re-reads every weight per micro-batch, so it often does not pay there. Thus
// the result is never above T_1, and never below the busier stream (Σ compute, Σ comm).
//
// MTP (decode, d = draft_tokens > 0): the main model runs on N = S·(1 + d) tokens (the
// GroupLoad says so), then the MTP module runs d passes of S tokens (one per sequence) with
// its own attention over the context, its MoE block and the shared LM head — all in the
// same iteration, with the same overlap. tokens_per_decode_step = Σ_{i=0..d} a^i.
//
// group_compute_s: the group side above, summed over the main pass's layers, one micro-batch.
// kv_gather_s(tokens): tokens · prefill KV bytes per token from the first attention group of
// prefill instance 0 to the group on the same GPU indices (rails) of its last node (the last
// group when the instance is one node or a group spans nodes), over the
// attn_tp GPUs of each in parallel, each receiving its KV shard (all of it when the KV is not
// sharded); the network's p2p time.
//
// kv_transfer_s(tokens) = α + bytes / B: bytes = tokens · (KV bytes per token of the decode
// pool, MTP modules' included), over min(prefill attn_tp, decode attn_tp) GPUs' NICs in
// parallel (each sends a share of the layers), B = their scale-out bandwidth at the profile's
// internode p2p efficiency, α its latency (hw::collective_time_s). 0 when colocated.
#include <cstdint>
#include <memory>
#include <span>

#include "moesim/inference/iteration_costs.h"
#include "moesim/inference/setup.h"

namespace moesim::inference {

class OperatorCosts final : public IterationCosts {
public:
    // Keeps a reference to `setup`, which must outlive it.
    explicit OperatorCosts(const ServingSetup& setup);
    ~OperatorCosts() override;

    int gpus(Pool) const override;
    int nodes(Pool) const override;
    int attention_groups(Pool) const override;
    double iteration_s(Pool, std::span<const GroupLoad> groups) const override;
    double group_compute_s(Pool, const GroupLoad& group) const override;
    double kv_gather_s(std::int64_t tokens) const override;
    std::int64_t kv_capacity_tokens_per_group(Pool) const override;
    std::int64_t max_sequences_per_group(Pool) const override;
    std::int64_t max_batch_tokens() const override;
    double kv_transfer_s(std::int64_t tokens) const override;
    double tokens_per_decode_step() const override;

    // The same iteration as iteration_s, by kind of work.
    IterationBreakdown iteration_breakdown(Pool, std::span<const GroupLoad> groups) const override;

    const ServingSetup& setup() const { return setup_; }

private:
    struct PoolModel;
    const PoolModel& model(Pool p) const;
    const ServingSetup& setup_;
    std::unique_ptr<PoolModel> prefill_, decode_;
};

std::unique_ptr<OperatorCosts> make_operator_costs(const ServingSetup& setup);

}  // namespace moesim::inference
