#pragma once
// The bound a search prunes with (moesim search, branch and bound): no training step of a
// prepared layout can be shorter than its busiest pipeline rank's FLOPs run at the best
// efficiency the calibration profile holds for any kernel.
//
//   step_time_s ≥ max over pipeline ranks r of  F_r / (peak · e_max), where
//   F_r   = Σ over r's transformer layers (training FLOPs + the recompute policy's extra
//           forward FLOPs) per token × the tokens of one pipeline replica's step ÷ tp (a
//           stage DualPipe keeps on two ranks counted half on each, as each sees half the
//           micro-batches): the
//           mean over the rank's dp·tp GPUs (the slowest GPU sets the step, and no GPU is
//           below the mean; expert imbalance only adds);
//   peak  = the GPU's dense FP8 peak for an FP8 recipe, its BF16 peak otherwise;
//   e_max = the highest efficiency among the profile's GEMM, grouped-GEMM and attention
//           points (its interpolation is clamped, never extrapolated: calibration_profile.h).
// Left out, each only adding to a step: embedding, head and MTP FLOPs, memory-bound work,
// every exposed collective, the pipeline bubble, SM contention, the optimizer. The search
// checks the bound against every point it simulates and stops with an internal error if a
// step ever comes out shorter.
#include "moesim/training/result.h"
#include "moesim/training/setup.h"

namespace moesim::cli {

double step_time_lower_bound_s(const training::TrainingSetup& st);

// The throughput and cost figures of a step of `step_time_s` (as the result's assembler
// derives them): how the bound on the step becomes a bound on the objective.
training::TrainingResult figures_at_step(const training::TrainingSetup& st, double step_time_s);

}  // namespace moesim::cli
