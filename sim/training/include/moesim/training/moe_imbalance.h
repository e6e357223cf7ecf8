#pragma once
// MoE load imbalance of a training setup (issue 4 item 3), computed once per setup from
// workload::draw_layer_routing(): per MoE layer, how much the slowest EP rank exceeds the
// mean rank in grouped-GEMM rows and in DeepEP dispatch/combine volume over IB and NVLink.
// stage_costs() multiplies the uniform-load figures by these factors, so the slowest rank
// sets every rank's time (it holds the all-to-all that follows).
//
// Draw budget (the V3 group routes 262,144 tokens × top-8 per layer, ~110 ms per full draw):
//  * uniform expert_load: every layer is statistically the same, so kUniformDraws layers are
//    drawn with at most kMaxDrawTokens tokens of the group each, and the imbalance is scaled
//    to the real token count: a rank's load is a sum of independent per-token counts, so
//    (max/mean − 1) shrinks as 1/√tokens: f_T = 1 + (f_S − 1)·√(S/T). One factor, all layers.
//  * zipf, dirichlet, trace: every MoE layer is drawn once (micro-batch 0, reused for all
//    micro-batches) with at most kMaxDrawTokens tokens of the group, no rescaling: the
//    popularity's imbalance dominates; the sampling noise is overstated by up to √(T/S)
//    (for V3, ~+3% on max/mean).
//
// Per-rank loads (the full fidelity, simulate.h): every draw also keeps each EP rank's
// load over the mean rank's — rows, and max(send, receive) over IB and over NVLink — so that
// each GPU's own load sets its grouped-GEMM time and its dispatch/combine volumes. Under
// uniform popularity the ranks are exchangeable (any rotation of a draw is as likely), and
// the rescaling above applies to every rank: r_T = 1 + (r_S − 1)·√(S/T).
#include <string>
#include <vector>

#include "moesim/workload/model_accounting.h"
#include "moesim/workload/moe_routing.h"
#include "moesim/workload/operators.h"
#include "moesim/workload/scenario.h"

namespace moesim::training {

struct LayerImbalance {
    double rows = 1.0;    // max / mean expert rows per EP rank
    double ib = 1.0;      // max / mean over ranks of max(IB send, IB receive)
    double nvlink = 1.0;  // max / mean over ranks of max(NVLink send, NVLink receive)
};

struct MoeImbalance {
    std::vector<LayerImbalance> by_layer;  // index: layer_id(); 1.0 where there is no MoE layer
    // Per draw, per EP rank: that rank's load over the mean rank's (the max over ranks is the
    // draw's LayerImbalance). draw_of_layer[layer_id()] picks a layer's draw (−1: none, every
    // rank at the mean). Empty when nothing was drawn (ep 1, no MoE layers, or cleared).
    std::vector<std::vector<LayerImbalance>> rank_loads;
    std::vector<int> draw_of_layer;
    bool ranks_exchangeable = false;       // uniform popularity: a draw's ranks may be rotated
    LayerImbalance mean;                   // over the MoE layers
    int moe_layers = 0;
    int draws = 0;
    long long tokens_per_draw = 0;         // of the whole EP group
    double wall_s = 0;                     // spent drawing
    long long num_layers = 0;              // of the model (MTP ids follow)
    const LayerImbalance& of(const workload::Layer& layer) const;
    // The per-rank loads of `layer`'s draw; nullptr when it has none.
    const std::vector<LayerImbalance>* ranks_of(const workload::Layer& layer) const;
    // One line for the result's assumptions.
    std::string describe() const;
};

// Layer id used for seeding and trace lookup: the transformer index, MTP modules after the
// last layer (num_layers + depth); -1 for layers without one.
int moe_layer_id(const workload::Layer& layer, long long num_layers);

// Whether `layer` has routed experts (an MoE layer, or an MTP module's MoE block).
bool has_routed_experts(const workload::Layer& layer);

constexpr long long kMaxDrawTokens = workload::kMaxDrawTokens;
constexpr int kUniformDraws = 2;

// The imbalance of `model`'s MoE layers under scenario `s`'s layout, routing and expert load.
// Throws ScenarioError for a trace file that cannot be used (/training/moe/expert_load/file).
MoeImbalance compute_moe_imbalance(const workload::Scenario& s, const workload::ModelAccounting& model);

}  // namespace moesim::training
