#pragma once
// EP load balancing of a serving pool (issue 13 item 3): where the redundant experts go and
// what the slowest EP rank's share of a MoE layer's expert rows is.
//
// DeepSeek's expert-parallel load balancer (EPLB, PUBLISHED.md D: DAY6, V3TR §3.4) replicates
// the experts with the most observed load and packs the copies so that every GPU gets about the
// same load. The model, from sim/workload moe_routing.h (the training model's routing draws):
//  1. Observed load: one routing draw of the pool's EP group (node-limited top-k, the
//     scenario seed, `tokens_per_rank` tokens on every rank) gives each logical expert's rows.
//  2. Placement: place_experts with those rows as the popularity: each redundant slot goes to
//     the expert with the most rows per copy, onto its node's least-loaded GPU (EPLB's greedy,
//     hierarchical: replicas stay on their expert's node).
//  3. Load: a second, independent draw (the next micro-batch: the placement cannot know its
//     noise) routed onto that placement gives every GPU's expert rows; the slowest GPU over
//     the mean is rows_imbalance, the factor by which the slowest EP rank's expert GEMMs see
//     more rows than the mean (operator_costs.h).
// The popularity is uniform: a serving scenario gives no expert load, so the imbalance is the
// routing's sampling noise, smaller for more tokens: (max/mean − 1) ∝ 1/√tokens, which
// `at(tokens_per_rank)` applies to the drawn figure (the draw takes at most kMaxDrawTokens
// tokens of the group). A pool with ep = 1, no routed experts, or an EP group not made of
// whole nodes has no imbalance (factor 1).
#include <cstdint>
#include <string>
#include <vector>

#include "moesim/workload/moe_routing.h"

namespace moesim::inference {

struct ExpertBalance {
    bool drawn = false;                 // false: factor 1 everywhere
    int ep = 1, redundant_experts = 0;
    double tokens_per_rank = 0;         // the draw's
    double rows_imbalance = 1;          // slowest GPU's expert rows over the mean, in the draw
    double min_rows_share = 1;          // least-loaded GPU's over the mean, in the draw
    std::vector<double> rank_rows;      // every GPU's expert rows in the draw (per-GPU load)

    // The slowest GPU's rows over the mean when every rank routes `tokens_per_rank` tokens
    // (the draw's figure scaled by √(drawn / tokens), at most ep: all rows on one GPU).
    double at(double tokens_per_rank) const;
    std::string describe(const std::string& pool) const;
};

// The three steps above for one MoE layer `layer` of an EP group of shape `shape`
// (shape.tokens_per_rank: the tokens each rank routes; capped to kMaxDrawTokens over the group).
ExpertBalance balance_experts(workload::MoeRoutingShape shape, const std::vector<double>& popularity,
                              std::uint64_t seed, int layer);

}  // namespace moesim::inference
