#pragma once
// The memory plan of one pool (setup.h states the rule). Internal to sim/inference.
#include "moesim/inference/setup.h"
#include "moesim/workload/operators.h"

namespace moesim::inference::detail {

// Layout and memory of `pool` on one GPU, before the colocated sharing and the fit checks:
// kv_free_bytes = hbm − weights − working − reserve, and the KV capacity from it.
PoolPlan plan_pool(const ServingSetup& st, Pool pool);

// Whether the pool's GPUs hold DeepEP's buffers: a MoE model with ep > 1.
bool uses_ep_buffers(const ServingSetup& st, const PoolPlan& p);

// Node-limited routing: the most nodes of an EP group of `ep` GPUs one token reaches (0 = unlimited).
int max_nodes_per_token(const workload::ModelConfig& m, int ep, int gpus_per_node);

// The pool's EPLB placement and per-GPU expert load (expert_balance.h), from the scenario seed.
ExpertBalance balance_pool_experts(const ServingSetup& st, const PoolPlan& p);

// kv_capacity_tokens_per_group from kv_free_bytes.
void set_kv_capacity(PoolPlan& p);

// Bytes of one weight value: 1 for a GEMM that runs in FP8 under DeepSeek's recipe when the
// scenario's weights are FP8, 2 (BF16) otherwise.
double weight_bytes_per_value(const workload::Scenario& s, bool fp8_gemm);

// Shared experts in serving: whole on every GPU, run on the GPU's own tokens (DAY6, PUBLISHED.md
// D: "2 routed + 1 shared per GPU"), rather than split over attn_tp as the model's
// TensorSplit placement (a training layout) says; so a MoE layer's FFN needs no TP collective.
bool whole_on_every_gpu(const workload::Operator& op);

}  // namespace moesim::inference::detail
