#pragma once
// Decode micro-batch overlap (scenario key inference.decode.overlap_stages; issue 13 item 4).
//
// DeepSeek's decode (PUBLISHED.md D, DAY6) splits a batch into two micro-batches and each
// layer into a 5-stage pipeline: the attention side split into two steps, then dispatch, the
// experts (MoE), combine, so that one micro-batch's communication runs while the other
// computes. The model: every micro-batch runs the same chain of stages, layer after layer,
// each stage on one of two in-order streams: compute (the SMs) or communication (DeepEP's
// low-latency kernels, RDMA without SMs). A stage starts when its micro-batch's previous stage
// has ended and its stream is free; of the stages that could start, the one that can start
// first goes first (ties: a compute stage that hands over to communication, so that stream is
// kept fed; then the micro-batch furthest behind; then the first). A list schedule: no stage
// waits when it could run, and one micro-batch runs its stages in order.
//
// The chain of one MoE layer with S stages (S = overlap_stages ≥ 4): the attention side (every
// compute before the dispatch: attention, projections, shared experts, router, norms) cut into
// S − 3 equal steps, dispatch, the routed experts, combine. A layer without routed experts is
// one compute stage. S = 1: no overlap, one micro-batch: the iteration is the sum of its stages.
// Overlap hides communication down to the busier stream's time (never below the compute
// stream's busy time, nor the communication stream's). Measured, not assumed: in this list
// schedule a layer of 4 stages already interleaves two micro-batches freely, so cutting the
// attention side finer (S = 5, DAY6's split) changes the time little (stage_schedule_test.cpp);
// it is kept as the default because it is DeepSeek's pipeline.
#include <vector>

namespace moesim::inference {

struct Stage {
    bool comm = false;   // on the communication stream (else compute)
    double seconds = 0;
};

// Seconds from the first stage's start to the last stage's end when `micro_batches` copies of
// `chain` (one micro-batch's stages, in order) run on the two streams as above.
double two_stream_makespan_s(const std::vector<Stage>& chain, int micro_batches);

// One MoE layer's stages for `overlap_stages` S ≥ 4: attention side cut into S − 3 steps,
// then dispatch, experts, combine (zero-length stages are left out).
void append_moe_layer(std::vector<Stage>& chain, int overlap_stages, double attention_side_s, double dispatch_s,
                      double experts_s, double combine_s);

// Valid values of inference.decode.overlap_stages: 1 (no overlap) or 4 … kMaxOverlapStages.
constexpr int kMaxOverlapStages = 16;

}  // namespace moesim::inference
