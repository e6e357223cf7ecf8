#pragma once
// Flows of bytes over links that share bandwidth max-min fairly, in simulated time.
//
// A link has a capacity (bytes/s) and a latency; a flow has a size and a route (links).
// A flow first waits the sum of its route's latencies, then shares bandwidth: it is a
// variable of the MaxMinSolver whose constraints are its links (after SimGrid's cm02
// network model). Its rate holds until the next re-solve, so its finish time is known and
// kept in a heap; a re-solve touches only the components that changed, and only flows
// whose rate moved get a new finish time.
//
// The owner drives it, like any model of the engine loop:
//   next_event_time()          when a latency ends or a flow is due to finish;
//   advance_to(now, finished)  enters flows whose latency ended, reports finished ones;
//   start_flow(now, ...)       any number of times at `now`;
//   update_rates(now)          once per time step, after all starts and finishes at
//                              `now`: simultaneous changes cost one re-solve.
//
// Cost. An instant where flows enter or finish re-solves just the flows that the changed
// links reach through flows at or above the level where the fill first differs: the slowest
// finisher's rate, or the level at which an entering flow's link saturates with it
// (MaxMinSolver's incremental re-solve, maxmin.h); O(log F) more per flow whose rate moved.
// A capacity change re-solves the components it touches: O(E log L) for their E flow–link
// memberships and L links. Equal
// flows tend to finish fastest first, and then a finish touches the few flows faster than
// it; but where a slow flow finishes while faster ones remain (rates shift over a run), the
// re-solve still reaches most of the component: an all-to-all whose flows finish at
// thousands of distinct times (ECMP collisions) stays O(F²) in the worst case, with a
// smaller constant (bench/network_bench.cpp: 256 GPUs, 5 times fewer rates recomputed,
// 1.4 times less CPU). Flows that finish together (within the slack) cost one re-solve.
// Finishes are kept in an indexed heap keyed by (finish time, start sequence): a flow
// whose rate moved gets its key changed in place, O(log F), no stale entries.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "moesim/engine/detail/indexed_heap.h"
#include "moesim/engine/maxmin.h"
#include "moesim/engine/types.h"

namespace moesim::engine {

using FlowId = std::uint32_t;

struct FlowNetworkOptions {
    // Flows due within this much after the earliest one finish with it. Symmetric flows
    // whose finish times differ only by rounding then finish in one step and cost one
    // re-solve. The default, 1 ns, is SimGrid's precision/timing.
    Picoseconds completion_slack_ps = 1000;
    // Re-solve every component at each update, not just the changed ones: slow, for
    // checking the incremental solve against.
    bool resolve_everything = false;
    // Instants where flows enter or finish re-solve only the flows the changes reach at or
    // above the level where the fill first differs (maxmin.h); off: the whole component.
    bool suffix_resolve = true;
};

class FlowNetwork {
public:
    explicit FlowNetwork(FlowNetworkOptions options = {}) : options_(options) {
        solver_.set_suffix_resolve(options.suffix_resolve);
    }

    LinkId add_link(double capacity_Bps, Picoseconds latency_ps = 0);
    std::size_t link_count() const { return links_.size(); }
    double link_capacity_Bps(LinkId link) const { return solver_.capacity(link); }
    // A new capacity (> 0) from the next update_rates(): the flows crossing it are re-solved
    // (a fault or a degradation; step_flows.h).
    void set_link_capacity(LinkId link, double capacity_Bps);
    Picoseconds link_latency_ps(LinkId link) const { return links_[link].latency_ps; }
    Picoseconds route_latency_ps(std::span<const LinkId> route) const;
    // Σ rate of the flows now crossing `link`.
    double link_load_Bps(LinkId link) const { return solver_.load(link); }

    // Starts a flow at `now`; `tag` comes back when it finishes. The id is valid until then.
    FlowId start_flow(Picoseconds now, double size_bytes, std::span<const LinkId> route,
                      std::uint64_t tag = 0, double max_rate_Bps = kUnbounded);

    // The earliest time a latency ends or a flow is due; kNever if none.
    Picoseconds next_event_time() const;
    // Moves to `now`: enters flows whose latency ended, finishes flows due by now (within
    // the slack) and appends their tags to `finished_tags`.
    void advance_to(Picoseconds now, std::vector<std::uint64_t>& finished_tags);
    // Re-solves what changed since the last call and reschedules flows whose rate moved.
    void update_rates(Picoseconds now);

    double rate_Bps(FlowId flow) const { return flows_[flow].rate_Bps; }
    std::size_t active_flow_count() const { return active_flows_; }
    const MaxMinSolver& solver() const { return solver_; }

private:
    struct Link {
        Picoseconds latency_ps = 0;
    };
    struct Flow {
        double remaining_bytes = 0;
        double rate_Bps = 0;
        double max_rate_Bps = kUnbounded;
        Picoseconds updated_ps = 0;   // remaining_bytes is as of this time
        std::uint64_t tag = 0;
        std::uint64_t sequence = 0;   // start order: breaks ties between equal finish times
        VariableId variable = 0;
        bool sharing = false;         // past its latency, a variable of the solver
        // Its route: up to kInlineRoute links in the slot itself (no pointer to follow per
        // flow: a route across a fat-tree has 4 constraints), a longer one in long_route.
        static constexpr std::size_t kInlineRoute = 6;
        std::uint32_t route_size = 0;
        std::array<LinkId, kInlineRoute> inline_route{};
        std::vector<LinkId> long_route;  // the slot keeps its capacity for the next flow
        std::span<const LinkId> route() const {
            return route_size <= kInlineRoute ? std::span<const LinkId>(inline_route.data(), route_size)
                                              : std::span<const LinkId>(long_route);
        }
    };
    struct Entry {  // a flow waiting out its latency
        Picoseconds time;
        std::uint64_t sequence;
        FlowId flow;
    };
    static bool enters_later(const Entry& a, const Entry& b);

    void enter(FlowId flow, std::vector<std::uint64_t>& finished_tags);
    void finish(FlowId flow, std::vector<std::uint64_t>& finished_tags);
    void reschedule(FlowId flow);

    FlowNetworkOptions options_;
    std::vector<Link> links_;
    MaxMinSolver solver_;
    std::vector<Flow> flows_;
    std::vector<FlowId> free_flows_;
    std::vector<FlowId> flow_of_variable_;
    // Flows waiting out their route's latency. Flows start in time order, so those of one
    // latency enter in (time, sequence) order: one FIFO per latency (a route has one of a few:
    // NVLink, same leaf, across a spine), merged by (time, sequence), instead of a heap push
    // and pop per flow. Latencies past the first kEntryQueues distinct ones go to a heap.
    struct EntryQueue {
        Picoseconds latency_ps = 0;
        std::vector<Entry> entries;
        std::size_t head = 0;
        bool empty() const { return head == entries.size(); }
        const Entry& front() const { return entries[head]; }
    };
    static constexpr std::size_t kEntryQueues = 16;
    std::vector<EntryQueue> entry_queues_;
    std::vector<Entry> entering_;  // the other latencies: a min-heap by (time, sequence)
    detail::IndexedHeap finishing_;  // flow -> (finish time, sequence)
    std::uint64_t next_sequence_ = 0;
    std::size_t active_flows_ = 0;
    Picoseconds now_ = 0;
};

}  // namespace moesim::engine
