// The closed-form Network (network.h): hw's cost functions on the group's shape, its
// scale-out bandwidth divided by the core slowdown of the pairs its algorithm sends between.
#include <algorithm>
#include <map>
#include <mutex>
#include <numeric>
#include <vector>

#include "moesim/common/error.h"
#include "implementations.h"
#include "rank_groups.h"

namespace moesim::network {

namespace {

// Per-GPU scale-out share of the node's NICs, GB/s per direction.
double nic_GBps_per_gpu(const hw::TopologySpec& s) {
    return s.nics_per_node * s.nic_Gbps / 8.0 / s.gpus_per_node;
}

// The largest per-node count that every node's count is a multiple of (the count itself
// for a regular group), and the number of nodes.
struct NodeSpan {
    int per_node = 0, nodes = 0;
};
NodeSpan node_span(int gpus_per_node, std::span<const int> ranks) {
    MOESIM_CHECK(!ranks.empty(), "communication group is empty");
    NodeSpan out;
    for (const auto& nd : detail::by_node(gpus_per_node, ranks)) {
        out.per_node = std::gcd(out.per_node, static_cast<int>(nd.size()));
        ++out.nodes;
    }
    return out;
}

enum class Pattern { RailRings, RailTrees, FlatRing, AllPairs, SamePlace };

class ClosedFormNetwork final : public Network {
public:
    ClosedFormNetwork(const hw::TopologySpec& spec, const hw::CalibrationProfile& profile)
        : spec_(spec), leaves_(spec), profile_(profile) {}

    double collective_time_s(hw::CollectiveKind kind, double size_bytes, std::span<const int> ranks,
                             Algorithm algorithm) const override {
        MOESIM_CHECK(algorithm != Algorithm::Invalid, "collective algorithm");
        hw::CommGroup group = comm_group(spec_, ranks);
        if (group.nodes() > 1) {
            Pattern pattern = Pattern::RailRings;
            if (kind == hw::CollectiveKind::AllToAll) pattern = Pattern::AllPairs;
            else if (kind == hw::CollectiveKind::PointToPoint) pattern = Pattern::FlatRing;
            else if (algorithm == Algorithm::Tree) pattern = Pattern::RailTrees;
            else if (algorithm == Algorithm::Ring || group.gpus_per_node == 1) pattern = Pattern::FlatRing;
            const std::span<const int> members =
                kind == hw::CollectiveKind::PointToPoint ? std::span<const int>(endpoints(ranks)) : ranks;
            slow_down(group.nic_GBps, pattern, members);
        }
        return closed_form_collective_s(profile_, kind, size_bytes, algorithm, group);
    }

    double p2p_time_s(double size_bytes, std::span<const int> from, std::span<const int> to) const override {
        MOESIM_CHECK(!from.empty() && from.size() == to.size(), "point-to-point pairs");
        std::vector<RankPair> pairs;
        for (std::size_t i = 0; i < from.size(); ++i)
            if (from[i] / spec_.gpus_per_node != to[i] / spec_.gpus_per_node) pairs.push_back({from[i], to[i]});
        // Each pair its own GPUs' links; the pairs side by side add up.
        const double lanes = static_cast<double>(from.size());
        hw::CommGroup g;
        g.size = 2;
        g.gpus_per_node = pairs.empty() ? 2 : 1;
        g.nvlink_GBps = spec_.nvlink_GBps * lanes;
        g.nic_GBps = nic_GBps_per_gpu(spec_);
        const double slowdown = core_slowdown(leaves_, spec_.oversubscription, spec_.leaf_ports, pairs);
        if (slowdown > 1) g.nic_GBps /= slowdown;
        g.nic_GBps *= lanes;
        return hw::collective_time_s(hw::CollectiveKind::PointToPoint, size_bytes, g, profile_);
    }

    hw::DeepEpTimes deepep_times(hw::DeepEpOp op, hw::DeepEpMode mode, const hw::DeepEpShape& shape,
                                 std::span<const int> ranks) const override {
        hw::EpGroup group = ep_group(spec_, ranks);
        if (group.ep_size > group.gpus_per_node)
            slow_down(group.nic_GBps, mode == hw::DeepEpMode::Normal ? Pattern::SamePlace : Pattern::AllPairs, ranks);
        return hw::deepep_times(op, mode, shape, group, profile_);
    }

private:
    static std::vector<int> endpoints(std::span<const int> ranks) { return {ranks.front(), ranks.back()}; }

    // Divides `nic_GBps` by the core slowdown of `pattern` over `ranks` (memoized: serving asks
    // for the same groups again and again). Nothing to do without oversubscription.
    void slow_down(double& nic_GBps, Pattern pattern, std::span<const int> ranks) const {
        if (!(spec_.oversubscription > 1)) return;
        std::vector<int> key(ranks.begin(), ranks.end());
        key.push_back(static_cast<int>(pattern));
        double slowdown = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const auto it = memo_.find(key);
            if (it != memo_.end()) slowdown = it->second;
        }
        if (slowdown == 0) {
            const int gpn = spec_.gpus_per_node;
            std::vector<RankPair> pairs;
            switch (pattern) {
                case Pattern::RailRings: pairs = detail::rail_ring_pairs(gpn, ranks); break;
                case Pattern::RailTrees: pairs = detail::rail_tree_pairs(gpn, ranks); break;
                case Pattern::FlatRing: detail::add_ring_pairs(gpn, ranks, pairs); break;
                case Pattern::AllPairs: pairs = detail::all_pairs(gpn, ranks); break;
                case Pattern::SamePlace: pairs = detail::same_place_pairs(gpn, ranks); break;
            }
            slowdown = core_slowdown(leaves_, spec_.oversubscription, spec_.leaf_ports, pairs);
            std::lock_guard<std::mutex> lock(mutex_);
            memo_.emplace(std::move(key), slowdown);
        }
        if (slowdown > 1) nic_GBps /= slowdown;
    }

    hw::TopologySpec spec_;
    hw::LeafMap leaves_;
    const hw::CalibrationProfile& profile_;
    mutable std::mutex mutex_;
    mutable std::map<std::vector<int>, double> memo_;
};

}  // namespace

hw::CommGroup comm_group(const hw::TopologySpec& spec, std::span<const int> ranks) {
    const NodeSpan span = node_span(spec.gpus_per_node, ranks);
    hw::CommGroup g;
    g.size = static_cast<int>(ranks.size());
    g.gpus_per_node = span.per_node;
    g.nvlink_GBps = spec.nvlink_GBps;
    g.nic_GBps = nic_GBps_per_gpu(spec);
    return g;
}

hw::EpGroup ep_group(const hw::TopologySpec& spec, std::span<const int> ranks) {
    const hw::CommGroup c = comm_group(spec, ranks);
    return {c.size, c.gpus_per_node, c.nvlink_GBps, c.nic_GBps};
}

double core_slowdown(const hw::LeafMap& leaves, double oversubscription, int leaf_ports, std::span<const RankPair> pairs) {
    if (pairs.empty() || !(oversubscription > 1)) return 1.0;
    std::map<int, std::pair<std::size_t, std::size_t>> by_leaf;  // source leaf -> (crossing, all)
    for (const RankPair& p : pairs) {
        auto& [crossing, all] = by_leaf[leaves.leaf_of_gpu(p.from)];
        crossing += leaves.crosses_core(p.from, p.to);
        ++all;
    }
    double slowdown = 1.0;
    for (const auto& [leaf, counts] : by_leaf) {
        const double f = static_cast<double>(counts.first) / static_cast<double>(counts.second);
        const double cabled = static_cast<double>(leaves.nics_on_leaf(leaf)) / leaf_ports;
        slowdown = std::max(slowdown, oversubscription * f * cabled);
    }
    return slowdown;
}

std::unique_ptr<Network> detail::make_closed_form_network(const hw::TopologySpec& spec,
                                                          const hw::CalibrationProfile& profile) {
    hw::check_topology_spec(spec);
    return std::make_unique<ClosedFormNetwork>(spec, profile);
}

std::unique_ptr<Network> make_network(const hw::TopologySpec& spec, const hw::CalibrationProfile& profile,
                                      NetworkModel model) {
    return model == NetworkModel::Flows ? detail::make_flow_network(spec, profile)
                                        : detail::make_closed_form_network(spec, profile);
}

}  // namespace moesim::network
