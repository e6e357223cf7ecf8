#pragma once
// The one interface through which training and serving price communication (after ASTRA-sim's
// AstraNetworkAPI: small, and its callers know no topology): the time of a collective, a
// point-to-point transfer or a DeepEP dispatch/combine among a group of GLOBAL ranks — GPU
// ids, node-major: gpu = node·gpus_per_node + local (workload/rank_map.h turns a layout's
// coordinates into them). Two implementations, built from the cluster's TopologySpec:
//
//  * closed form: hw's cost functions (costs.h) on the group's shape — its size, its GPUs in
//    each node it spans, NVLink and the GPU's share of its node's NICs — with the scale-out
//    bandwidth the group's traffic gets on the topology (below);
//  * flows: the group's traffic as flows on the topology graph under max-min fairness
//    (fabric.h, deepep.h); the two agree within 2% wherever no flows contend.
//
// Topology semantics (hw/topology.h builds the switches; hw::LeafMap tells which traffic
// leaves its leaf):
//  * rail-optimized: NIC i of every node hangs off the leaves of rail i. Traffic between
//    same-index GPUs of different nodes stays on its rail, under one leaf when both nodes are
//    in the same block of leaf_ports nodes; cross-rail traffic goes up through the spines. Hierarchical and
//    tree collectives run their inter-node rings per local index, so they stay on a rail;
//    DeepEP's normal kernels send over RDMA to the same-index GPU of the target node and
//    forward over NVLink there, so their RDMA traffic is rail-local too; the low-latency
//    kernels and a flat all-to-all send straight to every GPU, crossing rails.
//  * fat-tree: leaf_ports / nics_per_node whole nodes under each leaf (all their NICs);
//    traffic between nodes of different leaves crosses the core.
//  * single-switch: every NIC on one switch, nothing to oversubscribe (oversubscription
//    other than 1 is refused: hw::check_topology_spec).
// Oversubscription o: a leaf's up capacity is its down capacity / o. The closed form assumes
// that every group of the same kind communicates at once (the layout repeats its groups over
// the cluster: all DP groups reduce together, all EP groups dispatch together), so a leaf's
// uplinks (leaf_ports · NIC rate / o, however many ports are cabled) carry the fraction f of
// each of its cabled NICs' bytes that leaves the leaf, and a NIC keeps its full rate while
// that fits and gets the uplinks' share beyond:
//      scale-out per GPU = nics_per_node · nic_Gbps / 8 / gpus_per_node / s,
//      s = max over the group's leaves of max(1, o · f · cabled NICs / leaf_ports),
// with f counted over the pairs the algorithm actually sends between (equal bytes each):
// ring steps, tree edges, all-to-all pairs, DeepEP's RDMA targets. So o only costs traffic
// that crosses the core: a rail-aligned ring under one leaf block pays nothing, a flat
// all-to-all over 8 nodes of a 2:1 fat-tree (two full leaves) pays 8/7 (f = 4/7), the same
// over 8 nodes of a rail-optimized cluster (cross-rail, but 8 of 32 ports cabled) nothing. The flows need no rule: the
// spine links have their capacity and ECMP spreads the flows over them (unevenly: more
// contention than the closed form's even spread).
#include <memory>
#include <span>

#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/costs.h"
#include "moesim/hw/topology.h"
#include "moesim/hw/types.h"
#include "moesim/network/fabric.h"

namespace moesim::network {

class Network {
public:
    virtual ~Network() = default;
    // One collective of `size_bytes` (nccl-tests' convention, costs.h) among `ranks` (in ring
    // order; p2p: ranks.front() → ranks.back()).
    virtual double collective_time_s(hw::CollectiveKind kind, double size_bytes, std::span<const int> ranks,
                                     Algorithm algorithm = Algorithm::Auto) const = 0;
    // `size_bytes` split evenly over the pairs from[i] → to[i], all sent at once.
    virtual double p2p_time_s(double size_bytes, std::span<const int> from, std::span<const int> to) const = 0;
    // One dispatch or combine among the EP group `ranks` (whole nodes, or inside one node).
    virtual hw::DeepEpTimes deepep_times(hw::DeepEpOp op, hw::DeepEpMode mode, const hw::DeepEpShape& shape,
                                         std::span<const int> ranks) const = 0;
};

enum class NetworkModel { ClosedForm, Flows };

// Throws ScenarioError (hw::check_topology_spec) for a cluster no topology is built from;
// Flows also for nodes that do not fill whole leaves (hw::Topology). `profile` must outlive
// the network.
std::unique_ptr<Network> make_network(const hw::TopologySpec& spec, const hw::CalibrationProfile& profile,
                                      NetworkModel model);

// The closed form's view of a group: size, GPUs per node (the largest count every node of
// the group can be cut into evenly: the count itself when the group is regular), NVLink and
// the GPU's share of its node's NICs, without the topology's slowdown. Latencies are left 0
// (the profile's).
hw::CommGroup comm_group(const hw::TopologySpec& spec, std::span<const int> ranks);
hw::EpGroup ep_group(const hw::TopologySpec& spec, std::span<const int> ranks);

// The scale-out slowdown of the traffic `pairs` (equal bytes each) on `leaves` of
// `leaf_ports` down-ports: the largest, over the leaves the pairs start from, of
// max(1, o·f·cabled/leaf_ports) (network.h).
struct RankPair {
    int from = 0, to = 0;
};
double core_slowdown(const hw::LeafMap& leaves, double oversubscription, int leaf_ports, std::span<const RankPair> pairs);

}  // namespace moesim::network
