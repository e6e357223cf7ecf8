#pragma once
// Every collective of a training step as flows on one shared topology (issue 15, item 1).
//
// The full executor (sim/training full_engine.h) starts each collective instance — an EP
// dispatch or combine, a PP send, a DP reduce-scatter or all-gather, a TP collective — at the
// simulated time its group is ready, as a set of flows on ONE engine::FlowNetwork holding the
// whole topology, where it shares links max-min fairly with whatever else is in flight. An
// instance ends when its last flow ends.
//
// Sizing ("ideal"). An instance is given as parts (FlowPart): pairs of GPUs that send equal
// bytes, and the time the part takes alone by the closed form (its ideal). Each part's bytes
// per pair are chosen so that the part, alone on the fault-free fabric (links at their peak,
// no latency), takes exactly its ideal: the closed form stays the calibrated figure for a
// collective on its own, and the flows add what sharing the fabric (and faults) costs. So
// where nothing contends the flows reproduce the closed form to within the flow network's
// completion slack (1 ns per instance). The alone time of a pattern is found once, by running
// it on a private fault-free FlowNetwork, and kept per distinct pattern.
//
// Aggregation: callers give one pair per (sender, receiver) that carries bytes at the same
// time — a ring as its n edges each carrying its (n−1)/n share at once (the pipelined ring's
// steady state), DeepEP as its RDMA pairs (one per source GPU and target node: one per
// (source node, target node, rail)) and its NVLink forwards. A V3 EP instance (64 GPUs, 8
// nodes) is 448 RDMA + 448 NVLink flows.
//
// Faults (cluster.network.faults): a link's rate falls to a fraction of its peak from a time
// (0 = down). A route avoids links that are down: the ECMP walk of hw::Topology::route with
// the down links left out of the equal-cost choices (hw::Topology::route's `down` mask); a
// pair with no equal-cost route left is refused when the fault is parsed (workload). Flows
// already running when a link goes down keep their route (at rate 0 on it they would never
// end, so faults at rate 0 must start at 0 s: workload checks it).
//
// Per-class tallies: each instance's ideal and achieved (end − start) durations, summed per
// TrafficClass; `instances()` keeps every instance for the per-collective report.
//
// Links in series (series_links.h: GPU→NIC→leaf where the NIC serves one GPU) are one
// constraint of the flow network, at the smaller of their current capacities: the same
// allocation with fewer constraints per flow.
//
// Cost: one start costs the flow network's entry of its flows (an incremental re-solve of
// what they reach at or above their links' entry levels, flow_network.h); routes are walked once per pair and kept; the
// alone-time cache costs one private run per distinct pattern.
#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "moesim/engine/flow_network.h"
#include "moesim/hw/topology.h"
#include "moesim/network/series_links.h"

namespace moesim::network {

enum class TrafficClass : std::uint8_t { EpDispatch, EpCombine, Pp, DpReduceScatter, DpAllGather, Tp };
inline constexpr int kTrafficClasses = 6;
// "ep_dispatch", "ep_combine", "pp", "dp_rs", "dp_ag", "tp"
const char* to_string(TrafficClass c);

struct GpuPair {
    int from = 0, to = 0;
    auto operator<=>(const GpuPair&) const = default;
};

// Pairs that send equal bytes at once, and how long they take alone (the closed form).
struct FlowPart {
    std::vector<GpuPair> pairs;
    double ideal_s = 0;
};

// A link at a fraction of its peak from a time (topology link index).
struct LinkFault {
    hw::LinkIndex link = 0;
    double rate_fraction = 1.0;
    double from_s = 0;
};

struct ClassTally {
    std::int64_t instances = 0;
    double ideal_s = 0;     // Σ ideal durations
    double achieved_s = 0;  // Σ achieved durations
    double worst_slowdown = 1.0;  // max achieved / ideal over its instances
    std::int64_t slowed = 0;      // instances more than 1% over their ideal
};

struct InstanceRecord {
    TrafficClass cls = TrafficClass::Pp;
    engine::Picoseconds start_ps = 0, end_ps = 0, ideal_ps = 0;
    std::uint64_t token = 0;
};

class StepFlows {
public:
    // `topology` must outlive it. Faults are applied at their times (from_s).
    explicit StepFlows(const hw::Topology& topology, std::vector<LinkFault> faults = {});

    // Starts an instance at `now` (not before the last advance). `token` comes back from
    // advance() when its last flow ends; an instance with no bytes ends at `now`.
    void start(engine::Picoseconds now, TrafficClass cls, std::span<const FlowPart> parts, std::uint64_t token);
    // The next time a flow ends, a fault starts, or an empty instance ends; kNever if none.
    engine::Picoseconds next_time() const;
    // Moves to `now`: applies faults due, ends flows due; appends the tokens of instances
    // whose last flow ended. Call settle(now) after the starts at `now`.
    void advance(engine::Picoseconds now, std::vector<std::uint64_t>& done_tokens);
    // Re-solves the rates once for the instant (after advance and the starts at `now`).
    void settle(engine::Picoseconds now);

    const std::array<ClassTally, kTrafficClasses>& tallies() const { return tallies_; }
    const std::vector<InstanceRecord>& instances() const { return records_; }
    std::int64_t flows_started() const { return flows_started_; }
    std::size_t patterns_cached() const { return alone_ps_.size(); }
    const hw::Topology& topology() const { return topology_; }

private:
    struct Live {
        std::uint32_t record = 0;
        std::uint32_t outstanding = 0;
    };
    // A distinct pattern: its time alone on the healthy fabric (kProbeBytes per pair) and its
    // pairs' routes on this one (pair i: route_links_ from routes[2i], routes[2i + 1] links).
    struct Pattern {
        double alone_ps = 0;
        std::vector<std::uint32_t> routes;
    };
    const Pattern& pattern(const std::vector<GpuPair>& pairs);
    // The route of `p` avoiding the links down (fixed from time 0), kept per pair.
    std::span<const engine::LinkId> route(const GpuPair& p);
    void apply_faults(engine::Picoseconds now);
    // The flow network's capacity of a group of links in series: the smallest of its links'
    // (links that are down carry nothing and do not count).
    double group_capacity_Bps(std::uint32_t group, bool healthy) const;
    void finish_instance(std::uint32_t live, engine::Picoseconds now, std::vector<std::uint64_t>& done);

    const hw::Topology& topology_;
    std::vector<LinkFault> faults_;  // by from_s
    std::size_t next_fault_ = 0;
    std::vector<char> down_;         // per topology link: at rate 0 (routes avoid it)
    std::vector<double> fraction_;   // per topology link: its rate now / its peak
    SeriesLinks series_;             // flow network link = group of topology links
    engine::FlowNetwork net_;
    engine::FlowNetwork scratch_;    // fault-free, for alone times
    engine::Picoseconds scratch_now_ = 0;
    std::map<std::vector<GpuPair>, Pattern> alone_ps_;
    std::vector<Live> live_;
    std::vector<std::uint32_t> free_live_;
    std::vector<std::uint32_t> empty_done_;  // instances with no flows, ended at their start
    engine::Picoseconds now_ = 0;
    std::vector<InstanceRecord> records_;
    std::array<ClassTally, kTrafficClasses> tallies_{};
    std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>> routes_;  // pair -> (first, count)
    std::vector<engine::LinkId> route_links_;  // flow network links
    std::vector<hw::LinkIndex> topo_route_;     // scratch
    std::vector<std::uint64_t> finished_;
    std::int64_t flows_started_ = 0;
};

}  // namespace moesim::network
