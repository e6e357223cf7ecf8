#pragma once
// A training scenario resolved against its model, GPU and calibration profile: everything
// a simulation of it needs, checked once. The checks that need the model or the GPU (the
// parser cannot make them) live here and name the scenario's JSON path.
#include <memory>

#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/network/ep_exchange.h"
#include "moesim/network/network.h"
#include "moesim/training/moe_imbalance.h"
#include "moesim/workload/layout.h"
#include "moesim/workload/memory.h"
#include "moesim/workload/model_accounting.h"
#include "moesim/workload/rank_map.h"
#include "moesim/workload/scenario.h"

namespace moesim::training {

struct TrainingSetup {
    workload::Scenario scenario;
    workload::ModelAccounting model;
    hw::GpuSpec gpu;
    hw::CalibrationProfile profile;
    workload::PipelineLayout layout;   // its Stage::layers point into `model`: do not copy
    workload::MemoryEstimate memory;
    long long micro_batches = 0;       // per pipeline per step
    MoeImbalance moe_imbalance;        // per MoE layer, from the routing draws (moe_imbalance.h)
    workload::TrainingRankMap ranks;   // global rank ↔ pipeline/DP/TP/EP coordinates
    std::unique_ptr<network::Network> network;  // prices every collective (closed form, the cluster's topology)
    // The EP kernel of the scenario's software section (DeepEP's normal kernels by default).
    network::EpKernel ep_kernel = network::EpKernel::Invalid;
    // One MoE layer's dispatch and combine by `ep_kernel` (one micro-batch) on the slowest EP
    // group of the cluster, asked of `network` once; and the backward's dispatch, which
    // carries the combine's BF16 gradients through the dispatch kernel. Without the kernel's
    // notify (network::ep_notify_latency_s), which moe_comm adds per call.
    hw::DeepEpTimes ep_dispatch, ep_combine, ep_grad_dispatch;
    TrainingSetup() = default;
    TrainingSetup(const TrainingSetup&) = delete;
    TrainingSetup& operator=(const TrainingSetup&) = delete;
};

// Throws ScenarioError naming the scenario file and JSON path: unknown model or GPU, a
// layout the model cannot take (tp not dividing the heads, ep not dividing the experts,
// more stages than layers, comm_sms ≥ SMs), or one that does not fit in memory (unless
// allow_oversubscribed_memory).
std::unique_ptr<TrainingSetup> prepare_training(const workload::Scenario& s,
                                                bool allow_oversubscribed_memory = false);

}  // namespace moesim::training
