#pragma once
// The costs a training step is made of, in closed form: per micro-batch and pipeline stage,
// the operators' times from the calibrated cost functions (by kind of work) and the EP, TP and
// PP communication; per pipeline rank, the data-parallel collectives and the Adam step. The
// chunk program (chunk_program.h) is built from them; simulate.h runs the step.
#include <string>
#include <vector>

#include "moesim/training/result.h"
#include "moesim/training/setup.h"

namespace moesim::training {

// Seconds of one micro-batch through one pipeline stage on one GPU, by kind of work.
struct WorkTimes {
    double gemm_s = 0;          // dense projections, FFN, shared experts, router, LM head
    double experts_s = 0;       // routed experts (grouped GEMM)
    double attention_s = 0;     // attention cores
    double memory_bound_s = 0;  // norms, SwiGLU, permute, embedding, loss
    double total_s() const { return gemm_s + experts_s + attention_s + memory_bound_s; }
    WorkTimes& operator+=(const WorkTimes& o);
    WorkTimes scaled(double f) const;
};

struct CommTimes {
    double ep_s = 0, tp_s = 0, pp_s = 0;
    double total_s() const { return ep_s + tp_s + pp_s; }
    CommTimes& operator+=(const CommTimes& o);
    CommTimes scaled(double f) const;
};

struct StageCosts {
    WorkTimes forward;
    WorkTimes backward_input;   // input gradients (includes the attention core's backward)
    WorkTimes backward_weight;  // weight gradients
    WorkTimes recompute;        // forward work rerun in backward under the recompute policy
    CommTimes forward_comm;
    CommTimes backward_comm;
    StageCosts& operator+=(const StageCosts& o);
    StageCosts scaled(double f) const;
};

// Costs of one micro-batch through stage `stage_index` of the setup's pipeline layout.
StageCosts stage_costs(const TrainingSetup& setup, int stage_index);

// The attention core `op` of one micro-batch on one GPU (heads split over TP), as the cost
// model prices it: forward with `phase` Prefill, its backward with Backward.
hw::AttentionShape attention_shape(const TrainingSetup& setup, const workload::Operator& op, hw::AttentionPhase phase);

struct DataParallelTimes {
    double reduce_scatter_s = 0;  // gradients (all-reduce when zero_stage = 0)
    double all_gather_s = 0;      // updated parameters (ZeRO ≥ 1)
    double optimizer_s = 0;       // the optimizer step: the three below
    double grad_norm_s = 0;       // the global gradient norm: an all-reduce of one FP32 sum of squares
    double clip_s = 0;            // clipping: the FP32 gradient shard read and scaled in place
    double adam_s = 0;            // Adam over the shard's FP32 master weights and moments, memory-bound
};
DataParallelTimes data_parallel_times(const TrainingSetup& setup, int pipeline_rank);

}  // namespace moesim::training
