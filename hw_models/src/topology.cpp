#include "moesim/hw/topology.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "moesim/common/error.h"

namespace moesim::hw {

namespace {

constexpr std::uint8_t kUnreachable = std::numeric_limits<std::uint8_t>::max();

std::string num(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

// splitmix64: the ECMP hash. Same (src, dst, vertex), same pick, on every platform.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

TopologyKind topology_kind_from_string(const std::string& s) {
    if (s == "rail-optimized") return TopologyKind::RailOptimized;
    if (s == "fat-tree") return TopologyKind::FatTree;
    if (s == "single-switch") return TopologyKind::SingleSwitch;
    return TopologyKind::Invalid;
}

const char* to_string(TopologyKind k) {
    switch (k) {
        case TopologyKind::RailOptimized: return "rail-optimized";
        case TopologyKind::FatTree: return "fat-tree";
        case TopologyKind::SingleSwitch: return "single-switch";
        default: return "invalid";
    }
}

void check_topology_spec(const TopologySpec& spec) {
    const auto fail = [&](const std::string& path, const std::string& message) {
        throw ScenarioError(spec.file, path, message);
    };
    const int g = spec.gpus_per_node, nics = spec.nics_per_node, nodes = spec.nodes;
    if (nodes < 1) fail("/cluster/nodes", "must be at least 1 (got " + std::to_string(nodes) + ")");
    if (g < 1) fail("/cluster/gpus_per_node", "must be at least 1 (got " + std::to_string(g) + ")");
    if (spec.kind == TopologyKind::Invalid)
        fail("/cluster/network/topology", "must be \"rail-optimized\", \"fat-tree\" or \"single-switch\"");
    if (nics < 1 || (g % nics != 0 && nics % g != 0))
        fail("/cluster/network/nics_per_node", std::to_string(nics) + " NICs cannot be spread over " +
                                                   std::to_string(g) + " GPUs (one must divide the other)");
    if (!(spec.nic_Gbps > 0) || !std::isfinite(spec.nic_Gbps))
        fail("/cluster/network/nic_Gbps", "bandwidth must be positive (got " + num(spec.nic_Gbps) + ")");
    if (!(spec.nvlink_GBps > 0) || !std::isfinite(spec.nvlink_GBps))
        fail("/cluster/gpu_overrides/nvlink_GBps", "bandwidth must be positive (got " + num(spec.nvlink_GBps) + ")");
    if (!(spec.oversubscription >= 1) || !std::isfinite(spec.oversubscription))
        fail("/cluster/network/oversubscription", "must be at least 1 (got " + num(spec.oversubscription) + ")");
    if (spec.leaf_ports < 1) fail("/cluster/network/leaf_ports", "must be at least 1");
    if (spec.nvlink_latency_s < 0 || spec.nic_latency_s < 0 || spec.spine_latency_s < 0)
        fail("/cluster/network", "latencies must not be negative");

    if (spec.kind == TopologyKind::FatTree && (nics > spec.leaf_ports || spec.leaf_ports % nics != 0))
        fail("/cluster/network/nics_per_node", std::to_string(nics) + " NICs per node do not fill whole nodes under a " +
                                                   std::to_string(spec.leaf_ports) + "-port leaf");
    if (spec.kind == TopologyKind::SingleSwitch && spec.oversubscription != 1)
        fail("/cluster/network/oversubscription",
             num(spec.oversubscription) + ": a single switch has no core to oversubscribe; use 1, or \"fat-tree\" or "
             "\"rail-optimized\" for leaves under an oversubscribed core");
}

Topology::Topology(const TopologySpec& spec) : spec_(spec), leaf_map_((check_topology_spec(spec), spec)) {
    const auto fail = [&](const std::string& path, const std::string& message) {
        throw ScenarioError(spec_.file, path, message);
    };
    const int g = spec_.gpus_per_node, nics = spec_.nics_per_node, nodes = spec_.nodes, ports = spec_.leaf_ports;
    // Leaves (the radix rule in the header): whole ones, for the graph.
    leaves_ = leaf_map_.leaves();
    if (!leaf_map_.whole_leaves()) {
        const int npl = leaf_map_.nodes_per_leaf();
        fail("/cluster/nodes", std::to_string(nodes) + " nodes cannot be divided into leaves of " + std::to_string(npl) +
                                   " nodes (" +
                                   (spec_.kind == TopologyKind::RailOptimized
                                        ? "rail-optimized, " + std::to_string(ports) + "-port leaves, one per rail"
                                        : "fat-tree, " + std::to_string(ports) + "-port leaves") +
                                   ")");
    }
    spines_ = leaves_ > 1 ? (spec_.spines > 0 ? spec_.spines : ports) : 0;

    // Vertices, in the documented order.
    const int gpus_total = nodes * g, nics_total = nodes * nics;
    for (int i = 0; i < gpus_total; ++i) boost::add_vertex(TopoVertex{VertexKind::Gpu, i / g, i}, graph_);
    for (int n = 0; n < nodes; ++n) boost::add_vertex(TopoVertex{VertexKind::NvSwitch, n, n}, graph_);
    for (int i = 0; i < nics_total; ++i) boost::add_vertex(TopoVertex{VertexKind::Nic, i / nics, i}, graph_);
    first_leaf_ = static_cast<std::uint32_t>(boost::num_vertices(graph_));
    for (int l = 0; l < leaves_; ++l) boost::add_vertex(TopoVertex{VertexKind::Leaf, -1, l}, graph_);
    for (int s = 0; s < spines_; ++s) boost::add_vertex(TopoVertex{VertexKind::Spine, -1, s}, graph_);

    // Links.
    const double nvl_Bps = spec_.nvlink_GBps * 1e9, nic_Bps = spec_.nic_Gbps * 1e9 / 8.0;
    links_.reserve(2 * (2 * static_cast<std::size_t>(gpus_total) + 2 * nics_total +
                        static_cast<std::size_t>(leaves_) * spines_));
    if (g > 1)
        for (int i = 0; i < gpus_total; ++i)
            add_link(gpu_vertex(i), nvswitch_vertex(i / g), LinkKind::NvLink, nvl_Bps, spec_.nvlink_latency_s / 2);
    for (int i = 0; i < gpus_total; ++i) {
        const int per_gpu = std::max(1, nics / g);
        for (int k = 0; k < per_gpu; ++k)
            add_link(gpu_vertex(i), nic_vertex(first_nic_of(i) + k), LinkKind::GpuNic, nic_Bps, 0.0);
    }
    for (int i = 0; i < nics_total; ++i)
        add_link(nic_vertex(i), leaf_vertex(leaf_of_nic(i)), LinkKind::NicLeaf, nic_Bps, spec_.nic_latency_s / 2);
    if (spines_ > 0) {
        const double up_Bps = ports * nic_Bps / spec_.oversubscription / spines_;
        for (int l = 0; l < leaves_; ++l)
            for (int s = 0; s < spines_; ++s)
                add_link(leaf_vertex(l), spine_vertex(s), LinkKind::LeafSpine, up_Bps, spec_.spine_latency_s / 2);
    }
    distances_.resize(static_cast<std::size_t>(gpus_total));
}

void Topology::add_link(std::uint32_t a, std::uint32_t b, LinkKind kind, double capacity_Bps, double latency_s) {
    for (const auto& [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
        const auto id = static_cast<std::uint32_t>(links_.size());
        boost::add_edge(from, to, TopoEdge{id}, graph_);
        links_.push_back({from, to, kind, capacity_Bps, latency_s});
    }
}

LeafMap::LeafMap(const TopologySpec& spec) : spec_(spec) {
    const int nodes = spec_.nodes, nics = spec_.nics_per_node, ports = spec_.leaf_ports;
    const auto leaves_for = [&](int nodes_per_leaf) { return (nodes + nodes_per_leaf - 1) / nodes_per_leaf; };
    switch (spec_.kind) {
        case TopologyKind::RailOptimized:
            nodes_per_leaf_ = std::min(nodes, ports);
            leaves_ = nics * leaves_for(nodes_per_leaf_);
            break;
        case TopologyKind::FatTree:
            nodes_per_leaf_ = std::min(nodes, ports / nics);
            leaves_ = leaves_for(nodes_per_leaf_);
            break;
        default:
            nodes_per_leaf_ = nodes;
            leaves_ = 1;
            break;
    }
}

int LeafMap::leaf_of_nic(int nic) const {
    const int node = nic / spec_.nics_per_node, rail = nic % spec_.nics_per_node;
    switch (spec_.kind) {
        case TopologyKind::RailOptimized: return rail * (leaves_ / spec_.nics_per_node) + node / nodes_per_leaf_;
        case TopologyKind::FatTree: return node / nodes_per_leaf_;
        default: return 0;
    }
}

int LeafMap::first_nic_of(int gpu) const {
    const int g = spec_.gpus_per_node, nics = spec_.nics_per_node;
    const int local = gpu % g, node = gpu / g;
    const int local_nic = nics >= g ? local * (nics / g) : local / (g / nics);
    return node * nics + local_nic;
}

int LeafMap::nics_on_leaf(int leaf) const {
    if (spec_.kind == TopologyKind::SingleSwitch) return spec_.nodes * spec_.nics_per_node;
    const int leaves_per_rail = spec_.kind == TopologyKind::RailOptimized ? leaves_ / spec_.nics_per_node : leaves_;
    const int block = leaf % leaves_per_rail;
    const int nodes = std::min(nodes_per_leaf_, spec_.nodes - block * nodes_per_leaf_);
    return spec_.kind == TopologyKind::RailOptimized ? nodes : nodes * spec_.nics_per_node;
}

bool LeafMap::crosses_core(int a, int b) const {
    if (node_of(a) == node_of(b)) return false;
    return leaf_of_nic(first_nic_of(a)) != leaf_of_nic(first_nic_of(b));
}

const std::uint8_t* Topology::distances_to(int dst) const {
    MOESIM_CHECK(dst >= 0 && dst < gpus(), "route destination");
    std::lock_guard<std::mutex> lock(mutex_);
    auto& table = distances_[static_cast<std::size_t>(dst)];
    if (table) return table.get();
    const std::size_t n = vertex_count();
    table = std::make_unique<std::uint8_t[]>(n);
    std::fill_n(table.get(), n, kUnreachable);
    // BFS over reversed links from dst. GPUs other than dst are end points: reached, never
    // expanded, so no route passes through a third GPU.
    std::vector<std::uint32_t> queue;
    queue.reserve(n);
    const std::uint32_t root = gpu_vertex(dst);
    table[root] = 0;
    queue.push_back(root);
    for (std::size_t head = 0; head < queue.size(); ++head) {
        const std::uint32_t v = queue[head];
        if (graph_[v].kind == VertexKind::Gpu && v != root) continue;
        MOESIM_CHECK(table[v] < kUnreachable - 1, "topology deeper than 254 hops");
        for (auto [e, end] = boost::in_edges(v, graph_); e != end; ++e) {
            const auto u = static_cast<std::uint32_t>(boost::source(*e, graph_));
            if (table[u] != kUnreachable) continue;
            table[u] = static_cast<std::uint8_t>(table[v] + 1);
            queue.push_back(u);
        }
    }
    ++distance_tables_;
    return table.get();
}

std::vector<LinkIndex> Topology::route(int src, int dst) const {
    std::vector<LinkIndex> path;
    const bool found = route_avoiding(src, dst, {}, path);
    MOESIM_CHECK(found, "no next hop on a shortest path");
    return path;
}

bool Topology::route_avoiding(int src, int dst, const std::vector<char>& down, std::vector<LinkIndex>& out) const {
    MOESIM_CHECK(src >= 0 && src < gpus(), "route source");
    if (src == dst) return true;
    const std::uint8_t* dist = distances_to(dst);
    const std::uint32_t target = gpu_vertex(dst);
    const std::uint32_t start = gpu_vertex(src);
    MOESIM_CHECK(dist[start] != kUnreachable, "GPUs not connected");
    const std::size_t first = out.size();
    out.reserve(first + dist[start]);
    const std::uint64_t pair_hash = mix((static_cast<std::uint64_t>(src) << 32) | static_cast<std::uint32_t>(dst));
    // Depth first over the equal-cost next hops that are up: the hash of (src, dst, v) picks
    // the first one tried (with nothing down, the only one), the others follow in edge order.
    const auto walk = [&](const auto& self, std::uint32_t v) -> bool {
        if (v == target) return true;
        LinkIndex candidates[64];
        int count = 0;
        for (auto [e, end] = boost::out_edges(v, graph_); e != end; ++e) {
            const auto u = static_cast<std::uint32_t>(boost::target(*e, graph_));
            if (dist[u] + 1 != dist[v]) continue;
            if (graph_[u].kind == VertexKind::Gpu && u != target) continue;
            const LinkIndex id = graph_[*e].id;
            if (id < down.size() && down[id]) continue;
            if (count < 64) candidates[count++] = id;
        }
        if (count == 0) return false;
        const int pick = static_cast<int>(mix(pair_hash ^ (v * 0x9e3779b97f4a7c15ULL)) % static_cast<std::uint64_t>(count));
        for (int k = 0; k < count; ++k) {
            const LinkIndex id = candidates[(pick + k) % count];
            out.push_back(id);
            if (self(self, links_[id].to)) return true;
            out.pop_back();
        }
        return false;
    };
    if (walk(walk, start)) return true;
    out.resize(first);
    return false;
}

double Topology::route_latency_s(int src, int dst) const {
    double s = 0;
    for (LinkIndex l : route(src, dst)) s += links_[l].latency_s;
    return s;
}

int Topology::hops(int src, int dst) const {
    if (src == dst) return 0;
    return distances_to(dst)[gpu_vertex(src)];
}

void Topology::precompute_routes() const {
    for (int d = 0; d < gpus(); ++d) distances_to(d);
}

std::size_t Topology::memory_bytes() const {
    // The adjacency list: per vertex its out- and in-edge vectors and property; per edge
    // one node of the edge list (two pointers, two ends, the property) and an entry in
    // each of its ends' vectors. An estimate of the allocations, not of allocator slack.
    using StoredVertex = TopoGraph::stored_vertex;
    const std::size_t v = vertex_count(), e = boost::num_edges(graph_);
    const std::size_t graph = v * sizeof(StoredVertex) + e * (2 * sizeof(void*) + 2 * sizeof(std::size_t) + sizeof(TopoEdge)) +
                              2 * e * (sizeof(std::size_t) + sizeof(void*));
    std::lock_guard<std::mutex> lock(mutex_);
    return sizeof(*this) + graph + links_.capacity() * sizeof(TopoLink) +
           distances_.capacity() * sizeof(distances_[0]) + distance_tables_ * v;
}

}  // namespace moesim::hw
