#pragma once
// Runs a TaskGraph: activities on resources, flows on the flow network, and plain events,
// on one clock. The loop follows SimGrid's engine: take the earliest of the next event
// and the flow network's next change, move the clock there, handle everything due at
// that instant (finished activities release their resources and successors), start what
// became startable, and re-solve flow rates once for the instant.
//
// Determinism: the same graph and calls give the same order and times, bit for bit.
// Waiting activities take a resource in order of readiness, ties by id; events at one
// time run in the order scheduled; flows finishing together are reported in start order.
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "moesim/engine/event_loop.h"
#include "moesim/engine/flow_network.h"
#include "moesim/engine/task_graph.h"
#include "moesim/engine/types.h"

namespace moesim::engine {

struct SimulatorOptions {
    FlowNetworkOptions flows;
};

struct ActivityTiming {
    Picoseconds start_ps = kNever;  // kNever: has not started
    Picoseconds end_ps = kNever;    // kNever: has not finished
};

class Simulator {
public:
    explicit Simulator(TaskGraph graph, SimulatorOptions options = {});
    Simulator(const Simulator&) = delete;  // handlers hold `this`
    Simulator& operator=(const Simulator&) = delete;

    // Runs until nothing is left to do; returns the makespan (the latest activity end).
    // A graph with a dependency cycle leaves activities that never run: InternalError.
    Picoseconds run();

    Picoseconds now() const { return now_; }
    Picoseconds makespan() const { return makespan_; }
    const ActivityTiming& timing(ActivityId a) const { return timings_[a]; }
    std::span<const ActivityTiming> timings() const { return timings_; }
    const TaskGraph& graph() const { return graph_; }
    const FlowNetwork& flows() const { return flows_; }
    std::uint64_t activities_finished() const { return finished_count_; }

    // Growing the graph while it runs (from a handler or an observer). A new activity
    // becomes ready once control returns to the simulator and every predecessor given to
    // it by then has finished; a dependency on a finished activity is already met.
    ActivityId add_activity(Picoseconds duration_ps, ResourceId resource = kNoResource);
    ActivityId add_flow(double size_bytes, std::span<const LinkId> route, ResourceId resource = kNoResource);
    void add_dependency(ActivityId before, ActivityId after);

    // Plain events on the same clock.
    HandlerId add_handler(EventLoop::Handler handler) { return events_.add_handler(std::move(handler)); }
    EventId schedule_at(Picoseconds time, HandlerId handler, std::uint64_t payload = 0);
    bool cancel(EventId id) { return events_.cancel(id); }

    // Called as each activity finishes, at its end time.
    void set_activity_end_observer(std::function<void(ActivityId, Picoseconds end_ps)> observer) {
        on_activity_end_ = std::move(observer);
    }

private:
    enum class State : std::uint8_t { Waiting, Ready, Running, Done };
    struct ResourceState {
        std::uint32_t capacity = 1;
        std::uint32_t busy = 0;
        bool dirty = false;  // has a free slot or a new waiter since the last dispatch
        std::vector<std::pair<Picoseconds, ActivityId>> waiting;  // min-heap: (ready time, id)
    };

    void settle();
    void dispatch();
    void added(ActivityId a);
    void make_ready(ActivityId a);
    void start(ActivityId a);
    void finish(ActivityId a);
    void mark_dirty(ResourceId r);

    TaskGraph graph_;
    EventLoop events_;
    FlowNetwork flows_;
    HandlerId activity_end_handler_ = 0;
    std::function<void(ActivityId, Picoseconds)> on_activity_end_;

    std::vector<ActivityTiming> timings_;
    std::vector<std::uint32_t> unfinished_predecessors_;
    std::vector<State> states_;
    std::vector<ResourceState> resources_;
    std::vector<ActivityId> unsettled_;       // added, not yet checked for readiness
    std::vector<ResourceId> dirty_resources_;
    std::vector<std::uint64_t> finished_flows_;  // scratch: tags are activity ids
    std::uint64_t finished_count_ = 0;
    Picoseconds now_ = 0;
    Picoseconds makespan_ = 0;
};

}  // namespace moesim::engine
