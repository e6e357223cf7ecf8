#include "moesim/engine/simulator.h"

#include <algorithm>
#include <functional>
#include <string>

#include "moesim/common/error.h"

namespace moesim::engine {

namespace {
using Waiter = std::pair<Picoseconds, ActivityId>;
constexpr std::greater<Waiter> kLaterWaiter{};
}  // namespace

Simulator::Simulator(TaskGraph graph, SimulatorOptions options)
    : graph_(std::move(graph)), flows_(options.flows) {
    activity_end_handler_ = events_.add_handler([this](std::uint64_t a) { finish(static_cast<ActivityId>(a)); });
    for (const Link& link : graph_.links()) flows_.add_link(link.capacity_Bps, link.latency_ps);
    for (const Resource& resource : graph_.resources()) {
        resources_.push_back(ResourceState{});
        resources_.back().capacity = resource.capacity;
    }
    const std::size_t n = graph_.activity_count();
    timings_.resize(n);
    states_.resize(n, State::Waiting);
    unfinished_predecessors_.resize(n);
    unsettled_.reserve(n);
    for (ActivityId a = 0; a < n; ++a) {
        unfinished_predecessors_[a] = graph_.predecessor_count(a);
        unsettled_.push_back(a);
    }
}

Picoseconds Simulator::run() {
    settle();
    for (;;) {
        const Picoseconds next = std::min(events_.next_time(), flows_.next_event_time());
        if (next == kNever) break;
        now_ = next;
        settle();
    }
    const std::uint64_t total = graph_.activity_count();
    MOESIM_CHECK(finished_count_ == total,
                 std::to_string(total - finished_count_) + " of " + std::to_string(total) +
                     " activities never ran: a dependency cycle");
    return makespan_;
}

// Handles everything due at now_, until starting what became startable brings nothing
// more due at now_ (zero-length activities, zero-latency empty flows); then one re-solve.
void Simulator::settle() {
    do {
        flows_.advance_to(now_, finished_flows_);
        for (const std::uint64_t a : finished_flows_) finish(static_cast<ActivityId>(a));
        finished_flows_.clear();
        events_.advance_to(now_);
        dispatch();
    } while (events_.next_time() <= now_ || flows_.next_event_time() <= now_);
    flows_.update_rates(now_);
}

void Simulator::dispatch() {
    for (const ActivityId a : unsettled_) {
        if (states_[a] == State::Waiting && unfinished_predecessors_[a] == 0) make_ready(a);
    }
    unsettled_.clear();
    for (const ResourceId r : dirty_resources_) {
        ResourceState& resource = resources_[r];
        resource.dirty = false;
        while (resource.busy < resource.capacity && !resource.waiting.empty()) {
            std::pop_heap(resource.waiting.begin(), resource.waiting.end(), kLaterWaiter);
            const ActivityId a = resource.waiting.back().second;
            resource.waiting.pop_back();
            start(a);
        }
    }
    dirty_resources_.clear();
}

void Simulator::mark_dirty(ResourceId r) {
    if (resources_[r].dirty) return;
    resources_[r].dirty = true;
    dirty_resources_.push_back(r);
}

void Simulator::make_ready(ActivityId a) {
    states_[a] = State::Ready;
    const ResourceId r = graph_.resource(a);
    if (r == kNoResource) {
        start(a);  // nothing to wait for
        return;
    }
    auto& waiting = resources_[r].waiting;
    waiting.emplace_back(now_, a);
    std::push_heap(waiting.begin(), waiting.end(), kLaterWaiter);
    mark_dirty(r);
}

void Simulator::start(ActivityId a) {
    states_[a] = State::Running;
    timings_[a].start_ps = now_;
    const ResourceId r = graph_.resource(a);
    if (r != kNoResource) ++resources_[r].busy;
    if (graph_.is_flow(a)) {
        flows_.start_flow(now_, graph_.flow_size_bytes(a), graph_.flow_route(a), a);
    } else {
        events_.schedule_at(now_ + graph_.duration_ps(a), activity_end_handler_, a);
    }
}

void Simulator::finish(ActivityId a) {
    states_[a] = State::Done;
    timings_[a].end_ps = now_;
    makespan_ = std::max(makespan_, now_);
    ++finished_count_;
    const ResourceId r = graph_.resource(a);
    if (r != kNoResource) {
        --resources_[r].busy;
        mark_dirty(r);
    }
    graph_.for_each_successor(a, [this](ActivityId next) {
        if (--unfinished_predecessors_[next] == 0 && states_[next] == State::Waiting) make_ready(next);
    });
    if (on_activity_end_) on_activity_end_(a, now_);
}

void Simulator::added(ActivityId a) {
    timings_.emplace_back();
    states_.push_back(State::Waiting);
    unfinished_predecessors_.push_back(0);
    unsettled_.push_back(a);
}

ActivityId Simulator::add_activity(Picoseconds duration_ps, ResourceId resource) {
    const ActivityId a = graph_.add_activity(duration_ps, resource);
    added(a);
    return a;
}

ActivityId Simulator::add_flow(double size_bytes, std::span<const LinkId> route, ResourceId resource) {
    const ActivityId a = graph_.add_flow(size_bytes, route, resource);
    added(a);
    return a;
}

void Simulator::add_dependency(ActivityId before, ActivityId after) {
    MOESIM_CHECK(after < states_.size() && states_[after] == State::Waiting,
                 "a dependency added to an activity that is already ready");
    graph_.add_dependency(before, after);
    if (states_[before] != State::Done) ++unfinished_predecessors_[after];
}

EventId Simulator::schedule_at(Picoseconds time, HandlerId handler, std::uint64_t payload) {
    MOESIM_CHECK(time >= now_, "event scheduled into the past");
    return events_.schedule_at(time, handler, payload);
}

}  // namespace moesim::engine
