#pragma once
// Benchmarks of MLA attention: kind "attention", impl "moesim_mla", op "decode" (shape batch,
// heads, cached_tokens, s_q; FlashMLA's FLOP and byte counts) or "prefill" (shape batch, heads,
// seq_len), dtype "bf16".
#include <span>

#include "moesim/kernels/bench_stats.h"
#include "moesim/kernels/mla_decode.h"
#include "moesim/kernels/mla_prefill.h"

namespace moesim::kernels {

// The softmax scale the benchmarks and GPU tests use: V3's 1/√(qk_head_dim) = 1/√192 (without
// the YaRN factor, which changes no cost).
inline constexpr float kMlaSoftmaxScale = 0.07216878364870322f;

void bench_mla_decode(std::span<const MlaDecodeShape> shapes, const SuitePlan& plan, const MeasurementSink& sink);
void bench_mla_prefill(std::span<const MlaPrefillShape> shapes, const SuitePlan& plan, const MeasurementSink& sink);

// The tolerance of an attention output element against the double reference: BF16 rounding of
// the output (2^-8 of it) plus the BF16 rounding of the probabilities before P·V, at most 2^-8
// of each weight, i.e. 2^-8 of the largest |v| the row averages over (2^-7 for margin).
double attention_tolerance(double reference, double v_max);

}  // namespace moesim::kernels
