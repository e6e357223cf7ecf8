// EPLB-style placement of a serving pool's redundant experts and the slowest EP rank's load
// (expert_balance.h).
#include "moesim/inference/expert_balance.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "moesim/common/error.h"

namespace moesim::inference {

double ExpertBalance::at(double tokens) const {
    if (!drawn || tokens <= 0) return 1.0;
    const double f = 1.0 + (rows_imbalance - 1.0) * std::sqrt(tokens_per_rank / tokens);
    return std::min(f, static_cast<double>(ep));
}

std::string ExpertBalance::describe(const std::string& pool) const {
    if (!drawn) return pool + " EP load: every GPU holds all the routed experts or the EP group is not whole nodes: balanced";
    char buf[300];
    std::snprintf(buf, sizeof buf,
                  "%s EP load (EPLB: %d redundant experts placed by a routing draw, EP%d): per-GPU expert rows "
                  "%.3f-%.3f x the mean at %.0f tokens per GPU; the slowest GPU sets each MoE layer's expert time",
                  pool.c_str(), redundant_experts, ep, min_rows_share, rows_imbalance, tokens_per_rank);
    return buf;
}

ExpertBalance balance_experts(workload::MoeRoutingShape shape, const std::vector<double>& popularity, std::uint64_t seed,
                              int layer) {
    ExpertBalance out;
    out.ep = shape.ep;
    out.redundant_experts = shape.redundant_experts;
    if (shape.ep <= 1 || shape.num_experts <= 0 || shape.ep % shape.ranks_per_node() != 0) return out;
    shape.tokens_per_rank = std::max<std::int64_t>(1, std::min<std::int64_t>(shape.tokens_per_rank, workload::kMaxDrawTokens / shape.ep));
    // 1. Observed load, on the placement of the expected load.
    const workload::ExpertPlacement expected = workload::place_experts(shape, popularity);
    const workload::LayerRouting history = workload::draw_layer_routing(shape, popularity, expected, seed, layer, 0);
    std::vector<double> observed = workload::expert_rows(history, expected);
    for (double& x : observed) x += 1e-9;  // an expert no token chose still has a (tiny) load
    // 2. EPLB's greedy over it. 3. The next micro-batch on that placement.
    const workload::ExpertPlacement placed = workload::place_experts(shape, observed);
    const workload::LayerRouting next = workload::draw_layer_routing(shape, popularity, placed, seed, layer, 1);
    out.drawn = true;
    out.tokens_per_rank = static_cast<double>(shape.tokens_per_rank);
    for (const auto& r : next.ranks) out.rank_rows.push_back(static_cast<double>(r.rows));
    const double mean = std::accumulate(out.rank_rows.begin(), out.rank_rows.end(), 0.0) / static_cast<double>(shape.ep);
    MOESIM_CHECK(mean > 0, "a routing draw with no rows");
    out.rows_imbalance = *std::max_element(out.rank_rows.begin(), out.rank_rows.end()) / mean;
    out.min_rows_share = *std::min_element(out.rank_rows.begin(), out.rank_rows.end()) / mean;
    return out;
}

}  // namespace moesim::inference
