#include "rank_groups.h"

#include <map>

#include "moesim/common/error.h"
#include "moesim/hw/costs.h"

namespace moesim::network::detail {

std::vector<std::vector<int>> by_node(int gpus_per_node, std::span<const int> ranks) {
    std::map<int, std::vector<int>> m;
    for (int r : ranks) m[r / gpus_per_node].push_back(r);
    std::vector<std::vector<int>> out;
    out.reserve(m.size());
    for (auto& [node, rs] : m) out.push_back(std::move(rs));
    return out;
}

void add_ring_pairs(int gpus_per_node, std::span<const int> ring, std::vector<RankPair>& out) {
    const std::size_t n = ring.size();
    if (n < 2) return;
    for (std::size_t k = 0; k < n; ++k) {
        const int a = ring[k], b = ring[(k + 1) % n];
        if (a / gpus_per_node != b / gpus_per_node) out.push_back({a, b});
    }
}

namespace {

// rails[i] = the i-th rank of every node (nodes with fewer ranks are skipped).
std::vector<std::vector<int>> rails_of(int gpus_per_node, std::span<const int> ranks) {
    const auto nodes = by_node(gpus_per_node, ranks);
    std::vector<std::vector<int>> rails;
    for (const auto& nd : nodes) {
        if (rails.size() < nd.size()) rails.resize(nd.size());
        for (std::size_t i = 0; i < nd.size(); ++i) rails[i].push_back(nd[i]);
    }
    return rails;
}

}  // namespace

std::vector<RankPair> rail_ring_pairs(int gpus_per_node, std::span<const int> ranks) {
    std::vector<RankPair> out;
    for (const auto& rail : rails_of(gpus_per_node, ranks)) add_ring_pairs(gpus_per_node, rail, out);
    return out;
}

std::vector<RankPair> rail_tree_pairs(int gpus_per_node, std::span<const int> ranks) {
    std::vector<RankPair> out;
    for (const auto& rail : rails_of(gpus_per_node, ranks)) {
        const hw::DoubleBinaryTree tree = hw::double_binary_tree(static_cast<int>(rail.size()));
        for (const auto& parent : tree.parent)
            for (std::size_t k = 0; k < rail.size(); ++k)
                if (parent[k] >= 0) out.push_back({rail[k], rail[static_cast<std::size_t>(parent[k])]});
    }
    return out;
}

std::vector<RankPair> all_pairs(int gpus_per_node, std::span<const int> ranks) {
    std::vector<RankPair> out;
    for (int a : ranks)
        for (int b : ranks)
            if (a / gpus_per_node != b / gpus_per_node) out.push_back({a, b});
    return out;
}

std::vector<RankPair> same_place_pairs(int gpus_per_node, std::span<const int> ranks) {
    const auto nodes = by_node(gpus_per_node, ranks);
    std::vector<RankPair> out;
    for (const auto& from : nodes)
        for (const auto& to : nodes)
            if (&from != &to)
                for (std::size_t i = 0; i < from.size() && i < to.size(); ++i) out.push_back({from[i], to[i]});
    return out;
}

}  // namespace moesim::network::detail
