#pragma once
// MoE routing of one EP group for one micro-batch and one MoE layer (DESIGN §3
// `training.moe`): which experts each token goes to, where those experts sit, and what that
// does to every EP rank's grouped-GEMM rows and DeepEP dispatch volumes.
//
// Model, in three steps:
//  1. Expert popularity per layer (`expert_popularity`), from `training.moe.expert_load`:
//       uniform    p_e = 1/E
//       zipf       p_e ∝ 1/rank(e)^alpha, the ranking a permutation of the experts drawn per
//                  layer from the scenario seed (the same layer always gets the same one)
//       dirichlet  p ~ Dirichlet(concentration·1_E) per layer: independent Gamma(c, 1)
//                  draws (Marsaglia–Tsang), normalized
//       trace      per-expert token counts per layer from a CSV file (format below)
//  2. Placement (`place_experts`): E/ep logical experts per EP rank, contiguous (the first
//     E mod ep ranks take one more when ep does not divide E); the remaining slots, one per
//     redundant expert, hold replicas chosen EPLB-style (deepseek-ai/EPLB, eplb.py,
//     `rebalance_experts_hierarchical`: replicas stay on the node of their expert so that
//     node-limited routing still holds): per node, each replica goes to the expert with the
//     largest expected load per copy, then onto the node's least-loaded rank with a free slot.
//     A replicated expert's tokens are split evenly among its copies (round robin).
//  3. Routing (`draw_layer_routing`), per token, exact sampling of this score model: each
//     token's expert scores are log p_e + Gumbel noise, so its top-k experts are k draws
//     without replacement ∝ p (Plackett–Luce). Node-limited routing (DeepSeek-V3's n_group =
//     the EP group's nodes, topk_group = max_nodes_per_token = M): the token first picks its
//     top min(M, k) nodes by their best expert score — by the Gumbel-max property, draws
//     without replacement ∝ the node's total popularity, each bringing its best expert
//     (∝ p within the node) — then its remaining experts ∝ p among the unpicked experts of
//     those nodes. (Approximation: the remaining picks ignore that they scored below their
//     node's best; every chosen node gets ≥ 1 expert, as hw::deepep_traffic assumes.)
//     Cost: O(k·(M + 1)) per token with per-node alias tables (rejection of experts already
//     picked), about 25–40 ns per token·expert: the V3 group (262,144 tokens × 8) is ~60 ms
//     per layer on one core. Callers draw each layer for few micro-batches and reuse.
//
// DeepEP dispatch path of a token from rank s (node n_s, local index i = s mod g): to every
// remote target node n once over IB, to rank n·g + i (the forwarder; s itself for n_s), which
// forwards it over NVLink once to each target rank of its node. Combine is the reverse.
//
// Trace file format (CSV, one header line, '#' comments allowed):
//     layer,expert,tokens
//     3,0,1520
//     3,1,987
//     ...
// `layer` is the model's layer index (MoE layers of DeepSeek-V3: 3..60; MTP modules follow
// the last layer: num_layers + depth). Every listed layer must give experts 0..E−1 exactly
// once (E = the model's routed experts); a layer absent from the file uses the sum over all
// of the file's layers.
#include <cstdint>
#include <string>
#include <vector>

#include "moesim/workload/scenario.h"

namespace moesim::workload {

// Per-layer expert popularity for one scenario and model. Reads the trace file when there is
// one: ScenarioError naming /training/moe/expert_load/file when it cannot be read, is
// malformed, or has a number of experts other than `num_experts`.
class ExpertPopularity {
public:
    ExpertPopularity(const ExpertLoad& load, int num_experts, std::uint64_t seed, const std::string& source_file = "",
                     const std::string& source_dir = "");
    // Probabilities over the experts (sum 1) of layer `layer` (the model's layer index).
    std::vector<double> of_layer(int layer) const;
    int num_experts() const { return num_experts_; }

private:
    ExpertLoad load_;
    int num_experts_ = 0;
    std::uint64_t seed_ = 0;
    std::vector<int> trace_layers_;                 // sorted layer ids of the trace
    std::vector<std::vector<double>> trace_counts_; // per trace layer, per expert
};

// Parse trace CSV text (see the header comment). Throws ScenarioError(file, json_path, …).
// Returns (layer ids, per-layer per-expert counts).
void parse_expert_trace(const std::string& text, int num_experts, const std::string& file, const std::string& json_path,
                        std::vector<int>& layers, std::vector<std::vector<double>>& counts);

struct MoeRoutingShape {
    int num_experts = 0;          // E, routed (logical)
    int top_k = 1;
    int ep = 1;                   // EP ranks in the group
    int gpus_per_node = 8;        // of the cluster; the group's node size is min(this, ep)
    int max_nodes_per_token = 0;  // 0 = unlimited
    int redundant_experts = 0;    // R; (E + R) must be a multiple of ep
    std::int64_t tokens_per_rank = 0;  // tokens each EP rank routes in this micro-batch
    int ranks_per_node() const { return gpus_per_node < ep ? gpus_per_node : ep; }
    int nodes() const { return ep / ranks_per_node(); }
};

struct ExpertPlacement {
    std::vector<std::vector<int>> rank_slots;  // [rank] = logical expert of each local slot
    std::vector<std::vector<int>> copies;      // [expert] = (rank·slots_per_rank + slot) of each copy
    std::vector<int> home_node;                // [expert] = node of its original (routing group)
    int slots_per_rank = 0;
};
// Throws ScenarioError-free MOESIM_CHECK failures only: the shape is validated by setup.
ExpertPlacement place_experts(const MoeRoutingShape& shape, const std::vector<double>& popularity);

// One EP rank's share of a layer's dispatch, in tokens (combine moves the same tokens back).
struct RankRouting {
    std::vector<std::int64_t> slot_rows;  // expert rows per local slot (grouped-GEMM groups)
    std::int64_t rows = 0;                // their sum
    std::int64_t ib_send = 0, ib_recv = 0;          // token copies over the NIC
    std::int64_t nvlink_send = 0, nvlink_recv = 0;  // token copies over NVLink (forwarding, delivery)
};

struct LayerRouting {
    std::vector<RankRouting> ranks;
    std::int64_t tokens = 0;   // routed by the whole group
    int max_nodes_per_token_seen = 0;
    std::vector<std::uint16_t> token_experts;  // tokens × k logical experts, when asked for
    // Slowest rank over the mean rank: rows, max(send, recv) over IB and over NVLink
    // (1 where nothing crosses that link class).
    double rows_imbalance() const;
    double ib_imbalance() const;
    double nvlink_imbalance() const;
};

struct RoutingDrawOptions {
    bool keep_token_experts = false;  // fill LayerRouting::token_experts (tests)
};

// Rows each logical expert got in `routing` (over all its copies): the observed load an
// EPLB-style placement balances (place_experts takes it as the popularity).
std::vector<double> expert_rows(const LayerRouting& routing, const ExpertPlacement& placement);

// The most tokens of an EP group one routing draw takes: beyond it, callers scale the drawn
// imbalance (max/mean − 1 ∝ 1/√tokens under a uniform load).
constexpr long long kMaxDrawTokens = 32768;

// Same (seed, layer, micro_batch) → the same routing, bit for bit.
LayerRouting draw_layer_routing(const MoeRoutingShape& shape, const std::vector<double>& popularity,
                                const ExpertPlacement& placement, std::uint64_t seed, int layer, std::int64_t micro_batch,
                                const RoutingDrawOptions& options = {});

}  // namespace moesim::workload
