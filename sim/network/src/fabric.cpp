#include "moesim/network/fabric.h"

#include <algorithm>
#include <map>
#include <string>

#include "moesim/common/error.h"
#include "moesim/common/units.h"
#include "moesim/hw/costs.h"
#include "rank_groups.h"

namespace moesim::network {

namespace {

engine::Picoseconds to_ps(double s) { return static_cast<engine::Picoseconds>(s * static_cast<double>(units::kPsPerSecond) + 0.5); }

}  // namespace

Fabric::Fabric(engine::TaskGraph& graph, const hw::Topology& topology, LinkRates rates)
    : graph_(graph), topology_(topology) {
    MOESIM_CHECK(rates.nvlink_efficiency > 0 && rates.network_efficiency > 0, "link efficiencies");
    base_ = static_cast<LinkId>(graph_.links().size());
    for (const hw::TopoLink& l : topology_.links()) {
        const double eff = l.kind == hw::LinkKind::NvLink ? rates.nvlink_efficiency : rates.network_efficiency;
        graph_.add_link(l.capacity_Bps * eff, rates.with_latency ? to_ps(l.latency_s) : 0);
    }
}

void Fabric::append_route(int src, int dst, std::vector<LinkId>& out) const {
    for (hw::LinkIndex l : topology_.route(src, dst)) out.push_back(link(l));
}

ActivityId Fabric::flow(int src, int dst, double size_bytes, std::span<const ActivityId> after,
                        std::span<const LinkId> extra) {
    scratch_.assign(extra.begin(), extra.end());
    append_route(src, dst, scratch_);
    const ActivityId a = graph_.add_flow(size_bytes, scratch_);
    for (ActivityId b : after) graph_.add_dependency(b, a);
    return a;
}

ActivityId Fabric::join(std::span<const ActivityId> before) {
    const ActivityId a = graph_.add_activity(0);
    for (ActivityId b : before) graph_.add_dependency(b, a);
    return a;
}

// ---- building blocks -----------------------------------------------------------------------

ActivityId add_ring(Fabric& f, std::span<const int> ranks, int steps, double chunk_bytes,
                    std::span<const ActivityId> after) {
    const std::size_t n = ranks.size();
    if (n < 2 || steps < 1) return f.join(after);
    // prev[r]: rank r's send of the previous step; rank r's next send waits for what rank
    // r−1 sent it then (it forwards or reduces that chunk).
    std::vector<ActivityId> prev(n), cur(n);
    for (int k = 0; k < steps; ++k) {
        for (std::size_t r = 0; r < n; ++r) {
            const ActivityId received = prev[(r + n - 1) % n];
            const int src = ranks[r], dst = ranks[(r + 1) % n];
            cur[r] = k == 0 ? f.flow(src, dst, chunk_bytes, after) : f.flow(src, dst, chunk_bytes, std::span(&received, 1));
        }
        std::swap(prev, cur);
    }
    return f.join(prev);
}

ActivityId add_ring_all_reduce(Fabric& f, std::span<const int> ranks, double S, std::span<const ActivityId> after) {
    const auto n = static_cast<int>(ranks.size());
    return add_ring(f, ranks, 2 * (n - 1), S / n, after);
}

ActivityId add_ring_all_gather(Fabric& f, std::span<const int> ranks, double S, std::span<const ActivityId> after) {
    const auto n = static_cast<int>(ranks.size());
    return add_ring(f, ranks, n - 1, S / n, after);
}

ActivityId add_ring_reduce_scatter(Fabric& f, std::span<const int> ranks, double S, std::span<const ActivityId> after) {
    return add_ring_all_gather(f, ranks, S, after);
}

ActivityId add_all_to_all(Fabric& f, std::span<const int> ranks, double S, std::span<const ActivityId> after) {
    const std::size_t n = ranks.size();
    std::vector<double> bytes(n * n, n > 0 ? S / static_cast<double>(n) : 0.0);
    return add_all_to_allv(f, ranks, bytes, after);
}

ActivityId add_all_to_allv(Fabric& f, std::span<const int> ranks, std::span<const double> bytes,
                           std::span<const ActivityId> after) {
    const std::size_t n = ranks.size();
    MOESIM_CHECK(bytes.size() == n * n, "all-to-allv matrix size");
    std::vector<ActivityId> flows;
    flows.reserve(n * (n - 1));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            if (i != j && bytes[i * n + j] > 0) flows.push_back(f.flow(ranks[i], ranks[j], bytes[i * n + j], after));
    return f.join(flows);
}

namespace {

// Whole node groups of one size, or empty when `ranks` are not.
std::vector<std::vector<int>> pxn_nodes(int gpus_per_node, std::span<const int> ranks) {
    auto nodes = detail::by_node(gpus_per_node, ranks);
    const std::size_t g = nodes.empty() ? 0 : nodes.front().size();
    for (const auto& nd : nodes)
        if (nd.size() != g) return {};
    if (nodes.size() < 2 || g < 2) return {};
    return nodes;
}

}  // namespace

std::int64_t pxn_flow_count(int gpus_per_node, std::span<const int> ranks) {
    const auto nodes = pxn_nodes(gpus_per_node, ranks);
    const auto n = static_cast<std::int64_t>(ranks.size());
    if (nodes.empty()) return n * (n - 1);
    const auto N = static_cast<std::int64_t>(nodes.size()), g = static_cast<std::int64_t>(nodes.front().size());
    return N * g * (g - 1) + N * (N - 1) * g;
}

ActivityId add_all_to_all_pxn(Fabric& f, std::span<const int> ranks, double S, std::span<const ActivityId> after) {
    const auto nodes = pxn_nodes(f.topology().spec().gpus_per_node, ranks);
    if (nodes.empty()) return add_all_to_all(f, ranks, S, after);
    const std::size_t N = nodes.size(), g = nodes.front().size();
    const double per_pair = S / static_cast<double>(ranks.size());
    std::vector<ActivityId> flows;
    flows.reserve(N * g * (g - 1) + N * (N - 1) * g);
    for (const auto& nd : nodes)
        for (std::size_t l = 0; l < g; ++l)
            for (std::size_t m = 0; m < g; ++m)
                if (l != m) flows.push_back(f.flow(nd[l], nd[m], per_pair * static_cast<double>(N), after));
    for (std::size_t x = 0; x < N; ++x)
        for (std::size_t y = 0; y < N; ++y)
            if (x != y)
                for (std::size_t m = 0; m < g; ++m)
                    flows.push_back(f.flow(nodes[x][m], nodes[y][m], per_pair * static_cast<double>(g), after));
    return f.join(flows);
}

ActivityId add_p2p(Fabric& f, int src, int dst, double S, std::span<const ActivityId> after) {
    const ActivityId a = f.flow(src, dst, S, after);
    return f.join(std::span(&a, 1));
}

namespace {

std::vector<std::vector<int>> by_node(const hw::Topology& topo, std::span<const int> ranks) {
    return detail::by_node(topo.spec().gpus_per_node, ranks);
}

}  // namespace

ActivityId add_tree_all_reduce(Fabric& f, std::span<const int> ranks, double S, std::span<const ActivityId> after, int chunks,
                               bool hop_delays) {
    const auto nodes = by_node(f.topology(), ranks);
    const std::size_t g = nodes.front().size(), N = nodes.size(), n = ranks.size();
    for (const auto& nd : nodes) MOESIM_CHECK(nd.size() == g, "tree all-reduce needs the same GPUs in each node");
    if (n < 2) return f.join(after);
    const hw::DoubleBinaryTree inter = hw::double_binary_tree(static_cast<int>(N));
    const int C = chunks;
    MOESIM_CHECK(C >= 1, "tree chunks");
    const double chunk = S / (2.0 * static_cast<double>(g) * C);
    std::vector<ActivityId> ends;
    // When chunk c has arrived: with hop delays, the route's latency after its flow.
    const auto arrival = [&](ActivityId sent, int src, int dst) {
        if (!hop_delays) return sent;
        const ActivityId a = f.graph().add_activity(to_ps(f.topology().route_latency_s(src, dst)));
        f.graph().add_dependency(sent, a);
        return a;
    };
    // Positions 0..n−1: node-major, GPU (node k, local j) at k·g + j.
    std::vector<int> gpu, parent(n), order;
    for (const auto& nd : nodes) gpu.insert(gpu.end(), nd.begin(), nd.end());
    std::vector<std::vector<int>> children(n);
    std::vector<ActivityId> up_last(n), down_last(n), up_cur(n), down_cur(n);
    std::vector<char> has_up(n), has_down(n);
    for (std::size_t rail = 0; rail < g; ++rail)
        for (int t = 0; t < 2; ++t) {
            // The (rail, tree) spanning tree over all positions.
            for (std::size_t k = 0; k < N; ++k) {
                const int pk = inter.parent[t][k];
                const std::size_t head = k * g + rail;
                parent[head] = pk < 0 ? -1 : static_cast<int>(static_cast<std::size_t>(pk) * g + rail);
                for (std::size_t j = 1; j < g; ++j)  // chain: rail+j hangs below rail+j−1
                    parent[k * g + (rail + j) % g] = static_cast<int>(k * g + (rail + j - 1) % g);
            }
            for (auto& c : children) c.clear();
            int root = -1;
            for (std::size_t p = 0; p < n; ++p)
                if (parent[p] < 0) root = static_cast<int>(p);
                else children[static_cast<std::size_t>(parent[p])].push_back(static_cast<int>(p));
            // Bottom-up order (reverse BFS from the root): children before parents.
            order.assign(1, root);
            for (std::size_t i = 0; i < order.size(); ++i)
                for (int c : children[static_cast<std::size_t>(order[i])]) order.push_back(c);
            std::fill(has_up.begin(), has_up.end(), 0);
            std::fill(has_down.begin(), has_down.end(), 0);
            std::vector<ActivityId> deps;
            for (int c = 0; c < C; ++c) {
                // Up: p → parent[p] once every child's chunk c has arrived at p.
                for (auto it = order.rbegin(); it != order.rend(); ++it) {
                    const auto p = static_cast<std::size_t>(*it);
                    if (parent[p] < 0) continue;
                    deps.clear();
                    for (int ch : children[p]) deps.push_back(up_cur[static_cast<std::size_t>(ch)]);
                    if (has_up[p]) deps.push_back(up_last[p]);
                    if (deps.empty()) deps.assign(after.begin(), after.end());
                    const int dst = gpu[static_cast<std::size_t>(parent[p])];
                    up_last[p] = f.flow(gpu[p], dst, chunk, deps);
                    up_cur[p] = arrival(up_last[p], gpu[p], dst);
                    has_up[p] = 1;
                }
                // Down: parent[p] → p once chunk c is complete at the parent (at the root:
                // once its children's chunks came up; deeper: once it came down to the parent).
                for (int q : order) {
                    const auto p = static_cast<std::size_t>(q);
                    if (parent[p] < 0) continue;
                    const auto pp = static_cast<std::size_t>(parent[p]);
                    deps.clear();
                    if (parent[pp] < 0) {
                        for (int ch : children[pp]) deps.push_back(up_cur[static_cast<std::size_t>(ch)]);
                    } else {
                        deps.push_back(down_cur[pp]);
                    }
                    if (has_down[p]) deps.push_back(down_last[p]);
                    down_last[p] = f.flow(gpu[pp], gpu[p], chunk, deps);
                    down_cur[p] = arrival(down_last[p], gpu[pp], gpu[p]);
                    has_down[p] = 1;
                }
            }
            for (std::size_t p = 0; p < n; ++p)
                if (children[p].empty() && parent[p] >= 0) ends.push_back(down_cur[p]);
        }
    return f.join(ends);
}

ActivityId add_hierarchical(Fabric& f, hw::CollectiveKind kind, std::span<const int> ranks, double S,
                            std::span<const ActivityId> after) {
    const auto nodes = by_node(f.topology(), ranks);
    const std::size_t g = nodes.front().size();
    for (const auto& n : nodes) MOESIM_CHECK(n.size() == g, "hierarchical collective needs the same GPUs in each node");
    // Rails: the i-th GPU of the group in every node.
    std::vector<std::vector<int>> rails(g);
    for (const auto& n : nodes)
        for (std::size_t i = 0; i < g; ++i) rails[i].push_back(n[i]);

    const auto phase = [&](const std::vector<std::vector<int>>& rings, int steps_per_n, int extra_steps, double bytes,
                           std::span<const ActivityId> deps) {
        std::vector<ActivityId> ends;
        for (const auto& ring : rings) {
            const auto n = static_cast<int>(ring.size());
            ends.push_back(add_ring(f, ring, steps_per_n * (n - 1) + extra_steps, bytes / n, deps));
        }
        return f.join(ends);
    };
    const double per_node = S / static_cast<double>(g);
    switch (kind) {
        case hw::CollectiveKind::AllReduce: {
            const ActivityId rs = phase(nodes, 1, 0, S, after);
            const ActivityId ar = phase(rails, 2, 0, per_node, std::span(&rs, 1));
            return phase(nodes, 1, 0, S, std::span(&ar, 1));
        }
        case hw::CollectiveKind::AllGather: {
            const ActivityId ag = phase(rails, 1, 0, per_node, after);
            return phase(nodes, 1, 0, S, std::span(&ag, 1));
        }
        case hw::CollectiveKind::ReduceScatter: {
            const ActivityId rs = phase(nodes, 1, 0, S, after);
            return phase(rails, 1, 0, per_node, std::span(&rs, 1));
        }
        default: break;
    }
    MOESIM_CHECK(false, "no hierarchical form for this collective");
    return 0;
}

// ---- whole collectives -----------------------------------------------------------------------

Algorithm algorithm_from_string(const std::string& s) {
    if (s == "auto") return Algorithm::Auto;
    if (s == "ring") return Algorithm::Ring;
    if (s == "hierarchical") return Algorithm::Hierarchical;
    if (s == "tree") return Algorithm::Tree;
    if (s == "pxn") return Algorithm::Pxn;
    return Algorithm::Invalid;
}

LinkRates collective_rates(const hw::CalibrationProfile& profile, hw::CollectiveKind kind, double S) {
    LinkRates r;
    r.nvlink_efficiency = profile.collective(kind, hw::Span::Intranode, S).efficiency;
    r.network_efficiency = profile.collective(kind, hw::Span::Internode, S).efficiency;
    return r;
}

namespace {

bool two_level(const hw::Topology& topo, const CollectiveSpec& spec) {
    if (spec.kind == hw::CollectiveKind::AllToAll || spec.kind == hw::CollectiveKind::PointToPoint) return false;
    if (spec.algorithm == Algorithm::Ring) return false;
    const auto nodes = by_node(topo, spec.ranks);
    const bool fits = nodes.size() > 1 && nodes.front().size() > 1;
    if (spec.algorithm == Algorithm::Hierarchical) return true;
    return fits;
}

}  // namespace

FlowRun simulate_collective(const hw::Topology& topo, const hw::CalibrationProfile& profile, const CollectiveSpec& spec,
                            const engine::SimulatorOptions& options) {
    MOESIM_CHECK(spec.kind != hw::CollectiveKind::Invalid && spec.algorithm != Algorithm::Invalid, "collective spec");
    MOESIM_CHECK(!spec.ranks.empty(), "collective group");
    engine::TaskGraph graph;
    const bool tree = spec.algorithm == Algorithm::Tree;
    LinkRates rates = collective_rates(profile, spec.kind, spec.size_bytes);
    rates.with_latency = !tree;  // the tree's chunks stream behind each other; hop delays instead
    Fabric f(graph, topo, rates);
    const auto ranks = std::span<const int>(spec.ranks);
    MOESIM_CHECK(spec.algorithm != Algorithm::Tree || spec.kind == hw::CollectiveKind::AllReduce,
                 "tree is an all-reduce algorithm");
    MOESIM_CHECK(spec.algorithm != Algorithm::Pxn || spec.kind == hw::CollectiveKind::AllToAll,
                 "pxn is an all-to-all algorithm");
    if (spec.size_bytes > 0 && ranks.size() > 1) {
        if (spec.algorithm == Algorithm::Tree) {
            add_tree_all_reduce(f, ranks, spec.size_bytes, {}, hw::kTreeChunks, true);
        } else if (spec.algorithm == Algorithm::Pxn) {
            add_all_to_all_pxn(f, ranks, spec.size_bytes);
        } else if (two_level(topo, spec)) {
            add_hierarchical(f, spec.kind, ranks, spec.size_bytes);
        } else {
            switch (spec.kind) {
                case hw::CollectiveKind::AllReduce: add_ring_all_reduce(f, ranks, spec.size_bytes); break;
                case hw::CollectiveKind::AllGather: add_ring_all_gather(f, ranks, spec.size_bytes); break;
                case hw::CollectiveKind::ReduceScatter: add_ring_reduce_scatter(f, ranks, spec.size_bytes); break;
                case hw::CollectiveKind::AllToAll: add_all_to_all(f, ranks, spec.size_bytes); break;
                case hw::CollectiveKind::PointToPoint: add_p2p(f, ranks.front(), ranks.back(), spec.size_bytes); break;
                default: MOESIM_CHECK(false, "collective kind");
            }
        }
    }
    return run_flows(std::move(graph), options);
}

FlowRun run_flows(engine::TaskGraph graph, const engine::SimulatorOptions& options) {
    FlowRun run;
    for (std::size_t a = 0; a < graph.activity_count(); ++a) run.flows += graph.is_flow(static_cast<ActivityId>(a));
    run.activities = graph.activity_count();
    engine::Simulator sim(std::move(graph), options);
    run.time_s = static_cast<double>(sim.run()) / static_cast<double>(units::kPsPerSecond);
    return run;
}

double closed_form_collective_s(const hw::CalibrationProfile& profile, hw::CollectiveKind kind, double size_bytes,
                                Algorithm algorithm, const hw::CommGroup& group) {
    if (algorithm == Algorithm::Tree) {
        MOESIM_CHECK(kind == hw::CollectiveKind::AllReduce, "tree is an all-reduce algorithm");
        return hw::tree_all_reduce_collective_time_s(size_bytes, group, profile);
    }
    if (algorithm != Algorithm::Ring || kind == hw::CollectiveKind::AllToAll || kind == hw::CollectiveKind::PointToPoint ||
        group.nodes() == 1)
        return hw::collective_time_s(kind, size_bytes, group, profile);
    // A flat ring across nodes: every step is as slow as its node-crossing hop.
    const hw::CollectiveEfficiency inter = profile.collective(kind, hw::Span::Internode, size_bytes);
    const double B = group.nic_GBps * inter.efficiency;
    const double alpha = group.nic_latency_s > 0 ? group.nic_latency_s : inter.latency_s;
    const int n = group.size;
    if (kind == hw::CollectiveKind::AllReduce) return hw::ring_all_reduce_time_s(size_bytes, n, B, alpha);
    return hw::ring_all_gather_time_s(size_bytes, n, B, alpha);
}

}  // namespace moesim::network
