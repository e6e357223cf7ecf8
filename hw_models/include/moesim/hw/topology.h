#pragma once
// The cluster as a graph (DESIGN.md §2): GPUs, one NVSwitch per node, NICs, leaf and spine
// switches, joined by directed links with a capacity (bytes/s, one direction) and a latency.
// A Boost.Graph adjacency_list holds it; routes are shortest paths in hops with
// deterministic ECMP. Pure data: no engine, no calibration (link capacities are datasheet
// peaks; sim/network applies the profile's efficiencies when it maps links onto the engine).
//
// Vertices, in this order: GPUs (node-major: gpu = node·gpus_per_node + local), NVSwitches
// (one per node), NICs (node-major: nic = node·nics_per_node + local), leaf switches, spine
// switches. Edges come in pairs, one per direction:
//   GPU ↔ NVSwitch of its node      nvlink_GBps, nvlink_latency_s / 2 each way
//   GPU ↔ its NIC(s)                nic rate (PCIe is not the bottleneck), no latency
//   NIC ↔ its leaf                  nic rate, nic_latency_s / 2
//   leaf ↔ every spine              leaf_ports · nic rate / oversubscription / spines,
//                                   spine_latency_s / 2
// The latencies add up to the published one-way figures (PUBLISHED.md B, ISCA Table 5):
// GPU→NVSwitch→GPU = nvlink_latency_s (3.33 µs); GPU→NIC→leaf→NIC→GPU = nic_latency_s
// (2.8 µs, same leaf); across a spine + spine_latency_s (0.9 µs: 3.7 µs cross leaf).
//
// NICs and GPUs: nics_per_node must divide gpus_per_node (GPU i uses NIC i / (g / nics):
// GPUs share a NIC) or be a multiple of it (GPU i owns NICs i·k … i·k + k − 1). NIC i of a
// node is on rail i.
//
// Leaf radix rule: a leaf switch has `leaf_ports` down-ports (default 32: a 64-port
// 400 Gb/s switch such as the QM9700 split half down, half up), one NIC each.
//  * rail-optimized: rail r of every node goes to the leaves of rail r, leaf_ports nodes per
//    leaf; so nodes ≤ leaf_ports (one leaf per rail) or a multiple of leaf_ports.
//  * fat-tree: each leaf takes leaf_ports / nics_per_node whole nodes (nics_per_node must
//    divide leaf_ports); nodes ≤ that or a multiple of it.
//  * single-switch: every NIC on one switch (a "leaf" of unbounded radix, no spines).
// With more than one leaf, every leaf connects to every one of `spines` spine switches
// (default leaf_ports: a two-level Clos of k-port switches has k/2 spines, one per leaf
// up-port); with one leaf there are no spines.
// Oversubscription o ≥ 1: a leaf's total up capacity = its down capacity / o.
//
// Routing: GPUs are end points only (a route never passes through a third GPU). A route
// is a shortest path in hops; at each vertex the equal-cost next hops are taken in edge
// order and one is picked by a hash of (src, dst, vertex): the same pair always gets the
// same route, different pairs spread over the spines. Distances are kept per destination
// GPU (one byte per vertex), computed by a BFS the first time a destination is asked for:
// 2,048 GPUs × ~4,500 vertices ≈ 9 MB with every destination filled.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

namespace moesim::hw {

enum class TopologyKind { Invalid, RailOptimized, FatTree, SingleSwitch };
// "rail-optimized" | "fat-tree" | "single-switch"; Invalid otherwise.
TopologyKind topology_kind_from_string(const std::string& s);
const char* to_string(TopologyKind k);

// The cluster shape the topology is built from: the scenario's cluster.network plus the
// GPU's NVLink and the switch radix. Bandwidths are datasheet peaks per direction.
struct TopologySpec {
    int nodes = 1;
    int gpus_per_node = 8;
    TopologyKind kind = TopologyKind::RailOptimized;
    int nics_per_node = 8;
    double nic_Gbps = 400;
    double oversubscription = 1.0;
    double nvlink_GBps = 200;          // per GPU, per direction
    double nvlink_latency_s = 3.33e-6; // GPU → NVSwitch → GPU
    double nic_latency_s = 2.8e-6;     // GPU → NIC → leaf → NIC → GPU
    double spine_latency_s = 0.9e-6;   // extra for leaf → spine → leaf
    int leaf_ports = 32;               // down-ports per leaf (see the leaf radix rule)
    int spines = 0;                    // 0: leaf_ports
    std::string file;                  // names the scenario in errors (may be empty)
};

// Throws ScenarioError (file spec.file, JSON paths under /cluster) for a shape no topology
// can be built from: non-positive counts or bandwidths, NICs that cannot be spread over the
// GPUs, a fat-tree leaf that cannot hold whole nodes, oversubscription below 1 — or above 1
// on a single switch, which has no core to oversubscribe (refused rather than ignored).
void check_topology_spec(const TopologySpec& spec);

// Which leaf switch every NIC hangs off (the leaf radix rule above) and which NIC a GPU
// sends from, without the graph: the closed form (sim/network) asks it which traffic stays
// under one leaf and which crosses the core. Unlike Topology it accepts a last leaf that is
// only partly filled (a cluster of 176 nodes under 32-node leaves leaves ports empty);
// Topology, which builds the links the flows run on, asks for whole leaves.
class LeafMap {
public:
    // `spec` must have passed check_topology_spec.
    explicit LeafMap(const TopologySpec& spec);

    int leaves() const { return leaves_; }
    int nodes_per_leaf() const { return nodes_per_leaf_; }
    bool whole_leaves() const { return spec_.nodes <= nodes_per_leaf_ || spec_.nodes % nodes_per_leaf_ == 0; }
    int node_of(int gpu) const { return gpu / spec_.gpus_per_node; }
    // The leaf a NIC hangs off (global NIC number, node-major).
    int leaf_of_nic(int nic) const;
    // The first NIC of a GPU (its rail for rail-optimized, when a GPU owns one NIC).
    int first_nic_of(int gpu) const;
    // The leaf GPU `gpu` sends from (its first NIC's).
    int leaf_of_gpu(int gpu) const { return leaf_of_nic(first_nic_of(gpu)); }
    // NICs cabled to `leaf` (leaf_ports on a full leaf, fewer on a partly filled one).
    int nics_on_leaf(int leaf) const;
    // True when traffic from GPU a to GPU b of another node leaves a's leaf: through the
    // spines, where the oversubscription bites. False within a node (NVLink).
    bool crosses_core(int a, int b) const;

private:
    TopologySpec spec_;
    int leaves_ = 0;
    int nodes_per_leaf_ = 0;
};

enum class VertexKind : std::uint8_t { Gpu, NvSwitch, Nic, Leaf, Spine };
enum class LinkKind : std::uint8_t { NvLink, GpuNic, NicLeaf, LeafSpine };

struct TopoVertex {
    VertexKind kind = VertexKind::Gpu;
    int node = -1;   // -1 for switches outside a node
    int index = 0;   // GPU / NIC / leaf / spine number, node number for an NVSwitch
};

struct TopoEdge {
    std::uint32_t id = 0;  // dense, in creation order: the index into Topology::links()
};

struct TopoLink {
    std::uint32_t from = 0, to = 0;  // vertices
    LinkKind kind = LinkKind::NvLink;
    double capacity_Bps = 0;
    double latency_s = 0;
};

using TopoGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, TopoVertex, TopoEdge>;
using LinkIndex = std::uint32_t;

class Topology {
public:
    // Throws ScenarioError (file "cluster", JSON paths under /cluster) for shapes that cannot
    // be built: non-positive counts or bandwidths, NICs that cannot be spread over the GPUs,
    // nodes that do not fill whole leaves.
    explicit Topology(const TopologySpec& spec);
    Topology(const Topology&) = delete;
    Topology& operator=(const Topology&) = delete;

    const TopologySpec& spec() const { return spec_; }
    const TopoGraph& graph() const { return graph_; }
    const std::vector<TopoLink>& links() const { return links_; }
    std::size_t vertex_count() const { return boost::num_vertices(graph_); }

    int gpus() const { return spec_.nodes * spec_.gpus_per_node; }
    int node_of(int gpu) const { return gpu / spec_.gpus_per_node; }
    int local_rank(int gpu) const { return gpu % spec_.gpus_per_node; }
    int gpu_at(int node, int local) const { return node * spec_.gpus_per_node + local; }
    int leaf_count() const { return leaves_; }
    int spine_count() const { return spines_; }
    int rails() const { return spec_.nics_per_node; }

    std::uint32_t gpu_vertex(int gpu) const { return static_cast<std::uint32_t>(gpu); }
    std::uint32_t nvswitch_vertex(int node) const { return static_cast<std::uint32_t>(gpus() + node); }
    std::uint32_t nic_vertex(int nic) const { return static_cast<std::uint32_t>(gpus() + spec_.nodes + nic); }
    std::uint32_t leaf_vertex(int leaf) const { return first_leaf_ + static_cast<std::uint32_t>(leaf); }
    std::uint32_t spine_vertex(int spine) const { return first_leaf_ + static_cast<std::uint32_t>(leaves_ + spine); }
    // The leaf a NIC hangs off (global NIC number, node-major).
    int leaf_of_nic(int nic) const { return leaf_map_.leaf_of_nic(nic); }
    // The first NIC of a GPU (its rail for rail-optimized, when a GPU owns one NIC).
    int first_nic_of(int gpu) const { return leaf_map_.first_nic_of(gpu); }
    const LeafMap& leaf_map() const { return leaf_map_; }

    // The links from GPU `src` to GPU `dst` (empty when src == dst). Deterministic.
    std::vector<LinkIndex> route(int src, int dst) const;
    // The same ECMP walk with the links marked in `down` (indexed by link; shorter than
    // links(): the rest are up) left out of the equal-cost choices; appends the route to `out`.
    // False, `out` unchanged, when every shortest path crosses a down link.
    bool route_avoiding(int src, int dst, const std::vector<char>& down, std::vector<LinkIndex>& out) const;
    // Sum of the route's latencies.
    double route_latency_s(int src, int dst) const;
    // Hops from src to dst (0 when equal).
    int hops(int src, int dst) const;

    // Fills every destination's distance table (for measuring memory; route() does it lazily).
    void precompute_routes() const;
    // Bytes held by the graph, the links and the distance tables filled so far.
    std::size_t memory_bytes() const;

private:
    const std::uint8_t* distances_to(int dst) const;
    void add_link(std::uint32_t a, std::uint32_t b, LinkKind kind, double capacity_Bps, double latency_s);

    TopologySpec spec_;
    LeafMap leaf_map_;
    TopoGraph graph_;
    std::vector<TopoLink> links_;
    std::uint32_t first_leaf_ = 0;
    int leaves_ = 0, spines_ = 0;
    mutable std::mutex mutex_;
    mutable std::vector<std::unique_ptr<std::uint8_t[]>> distances_;  // per destination GPU
    mutable std::size_t distance_tables_ = 0;
};

}  // namespace moesim::hw
