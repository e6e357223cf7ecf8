#pragma once
// Internal to sim/network: a group of global ranks cut by node, and the pairs of ranks each
// algorithm sends between across nodes (what the closed form counts to find the share of a
// group's traffic that crosses the core).
#include <span>
#include <vector>

#include "moesim/network/network.h"

namespace moesim::network::detail {

// node → the group's ranks on it, nodes in ascending order, ranks in the order given.
std::vector<std::vector<int>> by_node(int gpus_per_node, std::span<const int> ranks);

// Consecutive ranks of a ring (the last back to the first) that sit on different nodes.
void add_ring_pairs(int gpus_per_node, std::span<const int> ring, std::vector<RankPair>& out);
// The inter-node rings of a hierarchical collective: the i-th rank of every node, per i.
std::vector<RankPair> rail_ring_pairs(int gpus_per_node, std::span<const int> ranks);
// The edges of the per-rail double binary trees over the group's nodes (tree all-reduce).
std::vector<RankPair> rail_tree_pairs(int gpus_per_node, std::span<const int> ranks);
// Every ordered pair on different nodes (all-to-all, DeepEP's low-latency kernels).
std::vector<RankPair> all_pairs(int gpus_per_node, std::span<const int> ranks);
// DeepEP's normal kernels: each rank to the rank at its place in every other node.
std::vector<RankPair> same_place_pairs(int gpus_per_node, std::span<const int> ranks);

}  // namespace moesim::network::detail
