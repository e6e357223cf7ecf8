#pragma once
// Internal to sim/training: the per-operator costs that stage_costs() sums (analytic_costs.cpp),
// shared with the chunk program (chunk_program.cpp), whose step lists need them operator by operator
// and per EP rank rather than summed over a stage at the slowest rank's load.
#include "moesim/training/analytic.h"
#include "moesim/training/moe_imbalance.h"
#include "moesim/training/setup.h"
#include "moesim/workload/operators.h"

namespace moesim::training {

// One operator over one micro-batch on one GPU: forward, input-gradient and weight-gradient work.
struct OpTimes {
    WorkTimes fwd, bwd_input, bwd_weight;
};

// `imbalance.rows` scales the routed experts' rows (the EP rank's load over the mean rank's);
// the other operators do not depend on it.
OpTimes op_times(const TrainingSetup& st, const workload::Operator& op, const LayerImbalance& imbalance);

// DeepEP's calls of one micro-batch through one MoE layer (analytic_costs.cpp): forward a
// dispatch (FP8) and a combine; backward the combine's gradient by a dispatch kernel carrying
// BF16, then the dispatch's gradient by a combine kernel. Each with the notify before it, the IB
// and NVLink terms scaled by imbalance.ib and imbalance.nvlink.
struct EpCalls {
    double dispatch_s = 0, combine_s = 0, grad_dispatch_s = 0;
    double forward_s() const { return dispatch_s + combine_s; }
    double backward_s() const { return grad_dispatch_s + combine_s; }
};
EpCalls moe_comm(const TrainingSetup& st, const LayerImbalance& imbalance);

}  // namespace moesim::training
