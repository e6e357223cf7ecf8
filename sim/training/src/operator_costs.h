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

// DeepEP dispatch + combine of one micro-batch through one MoE layer, forward (the ep_s of the
// result: dispatch + combine) and backward (`backward_s` = 2 x combine), with the IB and
// NVLink terms scaled by imbalance.ib and imbalance.nvlink.
CommTimes moe_comm(const TrainingSetup& st, const LayerImbalance& imbalance, double& backward_s);

}  // namespace moesim::training
