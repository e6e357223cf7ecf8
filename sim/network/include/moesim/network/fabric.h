#pragma once
// A topology's links as engine links, and collectives as flows on them.
//
// This is the glue between hw_models (the cluster graph, the calibration profile) and the
// engine (flows over links under max-min fairness); neither knows the other (DESIGN.md §2).
//
// Achieved bandwidths. Engine link capacity = topology capacity (datasheet peak) × the
// efficiency the closed form applies to the same link: NVLink links × eff(kind, intranode, S),
// NIC, leaf and spine links × eff(kind, internode, S) (CalibrationProfile::collective), so a
// collective whose flows never share a link takes the closed form's time (costs.h); where
// flows do share links (oversubscribed fat-tree, ECMP collisions, several GPUs per NIC) the
// max-min solver slows them down and the two part. Link latencies come from the topology.
//
// Collectives are built as flows in a TaskGraph, then run on the Simulator:
//  * ring all-reduce: 2(n−1) steps, reduce-scatter / all-gather: n−1 steps; in step k rank r
//    sends S/n to rank r+1, once it has received step k−1 from rank r−1 (the data dependency
//    of a ring, no global barrier);
//  * all-to-all(v): one flow per ordered pair, all at once (as NCCL posts them);
//  * point-to-point: one flow;
//  * tree all-reduce (NCCL's double binary tree, see add_tree_all_reduce): per rail, two
//    complementary binary trees over the nodes, each node's other GPUs chained below the
//    rail GPU over NVLink; S/(2g) per tree in kTreeChunks pipelined chunks, reduced up and
//    broadcast down;
//  * hierarchical (one ring per node, then one ring per local rank across nodes, on its own
//    rail when rail-optimized, then one ring per node), phases separated by a barrier:
//    all-reduce = RS intranode S → AR internode S/g → AG intranode S;
//    all-gather = AG internode S/g → AG intranode S; reduce-scatter = the mirror.
#include <cstdint>
#include <span>
#include <vector>

#include "moesim/engine/simulator.h"
#include "moesim/engine/task_graph.h"
#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/costs.h"
#include "moesim/hw/topology.h"
#include "moesim/hw/types.h"

namespace moesim::network {

using engine::ActivityId;
using engine::LinkId;

// Fractions of the topology's peaks that the engine links get.
struct LinkRates {
    double nvlink_efficiency = 1.0;   // hw::LinkKind::NvLink
    double network_efficiency = 1.0; // GpuNic, NicLeaf, LeafSpine
    bool with_latency = true;         // false: links have no latency (a fitted latency covers it)
};

// The topology's links in one TaskGraph: topology link i is engine link base + i.
class Fabric {
public:
    Fabric(engine::TaskGraph& graph, const hw::Topology& topology, LinkRates rates);

    engine::TaskGraph& graph() { return graph_; }
    const hw::Topology& topology() const { return topology_; }
    LinkId link(hw::LinkIndex l) const { return base_ + l; }

    // Appends the engine links of the route src → dst to `out`.
    void append_route(int src, int dst, std::vector<LinkId>& out) const;
    // A flow of `size_bytes` from GPU src to GPU dst, starting once every `after` is done;
    // `extra` links (e.g. a kernel's copy rate) are crossed before the route.
    ActivityId flow(int src, int dst, double size_bytes, std::span<const ActivityId> after = {},
                    std::span<const LinkId> extra = {});
    // A zero-time activity that finishes once every one of `before` has.
    ActivityId join(std::span<const ActivityId> before);

private:
    engine::TaskGraph& graph_;
    const hw::Topology& topology_;
    LinkId base_ = 0;
    std::vector<LinkId> scratch_;
};

// ---- building blocks: each returns the activity that marks the end ----------------------

// Ring over `ranks` (GPU ids, in ring order) of `steps` steps of `chunk_bytes` per rank.
ActivityId add_ring(Fabric& f, std::span<const int> ranks, int steps, double chunk_bytes,
                    std::span<const ActivityId> after = {});
ActivityId add_ring_all_reduce(Fabric& f, std::span<const int> ranks, double size_bytes,
                               std::span<const ActivityId> after = {});
ActivityId add_ring_all_gather(Fabric& f, std::span<const int> ranks, double size_bytes,
                               std::span<const ActivityId> after = {});
ActivityId add_ring_reduce_scatter(Fabric& f, std::span<const int> ranks, double size_bytes,
                                   std::span<const ActivityId> after = {});
// All-to-all: S/n from every rank to every other one.
ActivityId add_all_to_all(Fabric& f, std::span<const int> ranks, double size_bytes,
                          std::span<const ActivityId> after = {});
// All-to-allv: bytes[i·n + j] from ranks[i] to ranks[j] (the diagonal is skipped).
ActivityId add_all_to_allv(Fabric& f, std::span<const int> ranks, std::span<const double> bytes,
                           std::span<const ActivityId> after = {});
ActivityId add_p2p(Fabric& f, int src, int dst, double size_bytes, std::span<const ActivityId> after = {});
// All-to-all with PXN (NCCL's PCI × NVLink: a GPU hands what it sends to GPU m of another node
// to GPU m of its own node over NVLink, which sends it on its rail), aggregated: `ranks` holds
// N whole node groups of g GPUs (node-major), n = N·g. Per node, (X, l) → (X, m) over NVLink
// for every l ≠ m, N·S/n each (what l sends to place m of every node, its own included); per
// ordered node pair and place m, (X, m) → (Y, m) on rail m, g·S/n each (what node X sends to
// GPU m of node Y). Both at once (PXN pipelines them): N·g·(g−1) + N·(N−1)·g flows instead of
// n·(n−1): 536,576 instead of 4,192,256 at 2,048 GPUs. With one node or one GPU per node: the
// flat all-to-all.
ActivityId add_all_to_all_pxn(Fabric& f, std::span<const int> ranks, double size_bytes,
                              std::span<const ActivityId> after = {});
// The flows add_all_to_all_pxn builds for `ranks` (the flat count when it falls back).
std::int64_t pxn_flow_count(int gpus_per_node, std::span<const int> ranks);
// Tree all-reduce as flows (`chunks` per tree). `ranks` holds whole node groups (same count
// g in each node). For each local index i (rail i) and each of the two trees: the rail-i GPUs
// of the N nodes form tree t of hw::double_binary_tree(N) (position = node order), and in every node the other GPUs form a chain below the rail GPU (i+g−1 →
// … → i+1 → i, local indices mod g). Each (rail, tree) carries S/(2g) in C chunks: chunk c
// goes up an edge once it has come up every edge into the sender (and chunk c−1 has gone up
// that edge), then down from the root, edge by edge, in the same order.
// Latency: on a Fabric whose links carry latencies every chunk waits its own before it moves,
// so C chunks on one edge pay C latencies. With hop_delays (on a Fabric built with
// LinkRates::with_latency = false, as simulate_collective does) a chunk's route latency is a
// delay on its data path instead (what waits for the chunk to arrive), and the next chunk on
// the same edge streams right behind it, as NCCL's pipelined sends do: 2d hops pay 2d latencies.
ActivityId add_tree_all_reduce(Fabric& f, std::span<const int> ranks, double size_bytes,
                               std::span<const ActivityId> after = {}, int chunks = hw::kTreeChunks,
                               bool hop_delays = false);
// Two-level variants: `ranks` holds whole node groups (same count in each node, node-major).
ActivityId add_hierarchical(Fabric& f, hw::CollectiveKind kind, std::span<const int> ranks, double size_bytes,
                            std::span<const ActivityId> after = {});

// ---- whole collectives, simulated ---------------------------------------------------------

enum class Algorithm { Invalid, Auto, Ring, Hierarchical, Tree, Pxn };
// "auto" | "ring" | "hierarchical" | "tree" (all-reduce only) | "pxn" (all-to-all only)
Algorithm algorithm_from_string(const std::string& s);

struct CollectiveSpec {
    hw::CollectiveKind kind = hw::CollectiveKind::Invalid;
    double size_bytes = 0;   // nccl-tests convention (costs.h)
    std::vector<int> ranks;  // GPU ids; p2p: ranks.front() → ranks.back()
    // Auto: hierarchical for all-reduce / all-gather / reduce-scatter over several nodes
    // with more than one GPU in each, a flat ring otherwise (as the closed form does).
    // Tree: all-reduce only (the check fails for any other kind).
    Algorithm algorithm = Algorithm::Auto;
};

struct FlowRun {
    double time_s = 0;
    std::size_t flows = 0;
    std::size_t activities = 0;
};

// Runs a graph built with a Fabric: its makespan, flow and activity counts.
FlowRun run_flows(engine::TaskGraph graph, const engine::SimulatorOptions& options = {});

// The engine links' rates for a collective of `kind` and `size_bytes` (the closed form's).
LinkRates collective_rates(const hw::CalibrationProfile& profile, hw::CollectiveKind kind, double size_bytes);

// Builds the collective's flows over `topology`, runs them, returns the makespan.
FlowRun simulate_collective(const hw::Topology& topology, const hw::CalibrationProfile& profile,
                            const CollectiveSpec& spec, const engine::SimulatorOptions& options = {});

// The collective's closed-form time on `group` (network.h's comm_group): hw::collective_time_s,
// the flat ring when `algorithm` is Ring, hw::tree_all_reduce_collective_time_s when it is Tree.
double closed_form_collective_s(const hw::CalibrationProfile& profile, hw::CollectiveKind kind, double size_bytes,
                                Algorithm algorithm, const hw::CommGroup& group);

}  // namespace moesim::network
