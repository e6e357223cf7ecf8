#pragma once
// DeepEP-style MoE dispatch / combine as flows over a topology (closed form: hw::deepep_time_s).
//
// The EP group is a list of global ranks: whole nodes with the same count in each, or part of
// one node. Traffic per GPU is the closed form's expectation (hw::deepep_traffic), spread
// evenly over the targets.
//
// Normal kernels (training, prefill): node-limited routing sends each token at most once to
// each of its target nodes, over RDMA to the GPU of the same rail (local rank) there, which
// forwards it over NVLink to the GPUs holding its experts.
//  * RDMA: source (X, l) → (Y, l) for every other node Y of the group (l: the place in its
//    node's share of the group), rdma_bytes / (N − 1) each, over
//    the topology route (GPU → NIC → leaf [→ spine → leaf] → NIC → GPU).
//  * NVLink: forwarder (Y, l) → every GPU t of node Y, nvlink_bytes / g each (by symmetry a
//    forwarder delivers what one source sends in all: nvlink_bytes), over the kernel's
//    copy link of the forwarder and the NVLink route (none when t is the forwarder itself:
//    DeepEP counts the copies a rank makes to itself, and so does its fitted rate).
//  RDMA and forwarding run concurrently: DeepEP pipelines them in chunks (the pipeline's
//  fill is not modelled, as in the closed form's max()).
// Low-latency kernels (decode): every GPU sends tokens·top_k copies, X/ep to each GPU of the
// group directly (IBGDA: cross-rail pairs cross the spines); the ones in its node over NVLink
// through its copy link; all start after the fitted fixed latency.
//
// Rates (the closed form's, so uncontended flows reproduce it): the copy link of each GPU
// runs at the fitted NVLink rate (normal intranode / normal internode / low-latency) scaled
// by the GPU's NVLink over the profile's reference; network links run at their peak × the
// fitted RDMA rate / the reference NIC rate; NVLink links at their peak (the copy link, not
// the link, is what the fitted rate describes: the low-latency EP8 fit implies 205 GB/s of
// cross-GPU NVLink traffic, above the collective efficiency's 160).
// The SM count is the one the fitted points were measured with (DeepEP's benchmark);
// comm_sms does not scale it here.
#include <vector>

#include "moesim/engine/simulator.h"
#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/topology.h"
#include "moesim/hw/types.h"
#include "moesim/network/fabric.h"

namespace moesim::network {

// Which flows to build: all, or one link class alone (the RDMA / inter-node flows, or the
// NVLink copies), for the terms of hw::DeepEpTimes.
enum class DeepEpLinks { Both, Rdma, NvLink };

struct DeepEpSpec {
    hw::DeepEpOp op = hw::DeepEpOp::Invalid;
    hw::DeepEpMode mode = hw::DeepEpMode::Invalid;
    hw::DeepEpShape shape;
    std::vector<int> ranks;  // the EP group's global ranks
    DeepEpLinks links = DeepEpLinks::Both;
};

// Builds the dispatch or combine as flows, runs it, returns the makespan.
FlowRun simulate_deepep(const hw::Topology& topology, const hw::CalibrationProfile& profile, const DeepEpSpec& spec,
                        const engine::SimulatorOptions& options = {});

}  // namespace moesim::network
