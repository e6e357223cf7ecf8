#include "moesim/engine/flow_network.h"

#include <algorithm>
#include <cmath>

#include "moesim/common/error.h"
#include "moesim/engine/detail/slots.h"

namespace moesim::engine {

namespace {

constexpr double kPsPerSecond = static_cast<double>(units::kPsPerSecond);

// When `remaining_bytes` at `rate_Bps` run out, counted from `now`; rounded up to whole
// picoseconds so a flow is never reported done before its bytes are through.
Picoseconds finish_time(Picoseconds now, double remaining_bytes, double rate_Bps) {
    if (remaining_bytes <= 0 || rate_Bps == kUnbounded) return now;
    if (rate_Bps <= 0) return kNever;
    const double duration_ps = std::ceil(remaining_bytes / rate_Bps * kPsPerSecond);
    if (duration_ps >= static_cast<double>(kNever - now)) return kNever;
    return now + static_cast<Picoseconds>(duration_ps);
}

}  // namespace

bool FlowNetwork::enters_later(const Entry& a, const Entry& b) {
    return a.time > b.time || (a.time == b.time && a.sequence > b.sequence);
}

LinkId FlowNetwork::add_link(double capacity_Bps, Picoseconds latency_ps) {
    MOESIM_CHECK(capacity_Bps > 0, "link capacity must be positive");
    MOESIM_CHECK(latency_ps >= 0, "link latency must be non-negative");
    links_.push_back(Link{latency_ps});
    const ConstraintId constraint = solver_.add_constraint(capacity_Bps);
    MOESIM_CHECK(constraint == links_.size() - 1, "links and constraints out of step");
    return constraint;
}

void FlowNetwork::set_link_capacity(LinkId link, double capacity_Bps) {
    MOESIM_CHECK(link < links_.size(), "unknown link");
    MOESIM_CHECK(capacity_Bps > 0, "link capacity must be positive");
    solver_.set_capacity(link, capacity_Bps);
}

Picoseconds FlowNetwork::route_latency_ps(std::span<const LinkId> route) const {
    Picoseconds sum = 0;
    for (const LinkId link : route) {
        MOESIM_CHECK(link < links_.size(), "unknown link in a route");
        sum += links_[link].latency_ps;
    }
    return sum;
}

FlowId FlowNetwork::start_flow(Picoseconds now, double size_bytes, std::span<const LinkId> route,
                               std::uint64_t tag, double max_rate_Bps) {
    MOESIM_CHECK(now >= now_, "flow started in the past");
    MOESIM_CHECK(size_bytes >= 0 && std::isfinite(size_bytes), "flow size must be finite and non-negative");
    MOESIM_CHECK(max_rate_Bps > 0, "flow rate bound must be positive");
    now_ = now;
    const FlowId id = detail::take_slot(free_flows_, flows_);
    Flow& flow = flows_[id];
    flow.remaining_bytes = size_bytes;
    flow.rate_Bps = 0;
    flow.max_rate_Bps = max_rate_Bps;
    flow.updated_ps = now;
    flow.tag = tag;
    flow.sequence = next_sequence_++;
    flow.sharing = false;
    flow.route_size = static_cast<std::uint32_t>(route.size());
    if (route.size() <= Flow::kInlineRoute) std::copy(route.begin(), route.end(), flow.inline_route.begin());
    else flow.long_route.assign(route.begin(), route.end());  // reuses the slot's capacity
    ++active_flows_;
    const Picoseconds latency = route_latency_ps(route);
    const Entry entry{now + latency, flow.sequence, id};
    for (EntryQueue& queue : entry_queues_) {
        if (queue.latency_ps != latency) continue;
        queue.entries.push_back(entry);
        return id;
    }
    if (entry_queues_.size() < kEntryQueues) {
        entry_queues_.push_back(EntryQueue{latency, {entry}, 0});
        return id;
    }
    entering_.push_back(entry);
    std::push_heap(entering_.begin(), entering_.end(), enters_later);
    return id;
}

Picoseconds FlowNetwork::next_event_time() const {
    Picoseconds next = entering_.empty() ? kNever : entering_.front().time;
    for (const EntryQueue& queue : entry_queues_)
        if (!queue.empty()) next = std::min(next, queue.front().time);
    if (!finishing_.empty()) next = std::min(next, finishing_.top_key().time);
    return next;
}

void FlowNetwork::advance_to(Picoseconds now, std::vector<std::uint64_t>& finished_tags) {
    MOESIM_CHECK(now >= now_, "flow network moved back in time");
    now_ = now;
    // The queues and the heap merged in (time, sequence) order: the earliest source gives its
    // entries in a run up to the next source's first one, so the sources are compared once a run.
    for (;;) {
        EntryQueue* earliest = nullptr;
        const Entry* next = nullptr;  // the first entry due of the other sources
        for (EntryQueue& queue : entry_queues_) {
            if (queue.empty() || queue.front().time > now) continue;
            if (earliest == nullptr || enters_later(earliest->front(), queue.front())) {
                if (earliest != nullptr) next = &earliest->front();
                earliest = &queue;
            } else if (next == nullptr || enters_later(*next, queue.front())) {
                next = &queue.front();
            }
        }
        if (!entering_.empty() && entering_.front().time <= now &&
            (earliest == nullptr || enters_later(earliest->front(), entering_.front()))) {
            // the heap's entry first: one from it (a heap is rare: past kEntryQueues latencies)
            std::pop_heap(entering_.begin(), entering_.end(), enters_later);
            const FlowId id = entering_.back().flow;
            entering_.pop_back();
            enter(id, finished_tags);
            continue;
        }
        if (earliest == nullptr) break;
        if (!entering_.empty() && entering_.front().time <= now &&
            (next == nullptr || enters_later(*next, entering_.front())))
            next = &entering_.front();
        const Entry limit = next != nullptr ? *next : Entry{now + 1, 0, 0};  // (now + 1, 0): after every due entry
        while (!earliest->empty() && enters_later(limit, earliest->front())) {
            const FlowId id = earliest->entries[earliest->head++].flow;
            enter(id, finished_tags);
        }
        if (earliest->empty()) {
            earliest->entries.clear();
            earliest->head = 0;
        } else if (earliest->head >= 4096 && 2 * earliest->head >= earliest->entries.size()) {
            // never empty for long: drop the entered part so the queue does not grow
            earliest->entries.erase(earliest->entries.begin(),
                                    earliest->entries.begin() + static_cast<std::ptrdiff_t>(earliest->head));
            earliest->head = 0;
        }
    }
    const Picoseconds horizon = now + options_.completion_slack_ps;
    while (!finishing_.empty() && finishing_.top_key().time <= horizon) {
        const FlowId id = finishing_.top();
        finishing_.erase(id);
        finish(id, finished_tags);
    }
}

void FlowNetwork::enter(FlowId id, std::vector<std::uint64_t>& finished_tags) {
    Flow& flow = flows_[id];
    flow.updated_ps = now_;
    if (flow.remaining_bytes == 0 || (flow.route_size == 0 && flow.max_rate_Bps == kUnbounded)) {
        finish(id, finished_tags);  // nothing to send, or nothing to slow it down
        return;
    }
    if (flow.route_size == 0) {  // only its own bound limits it: no sharing to solve
        flow.rate_Bps = flow.max_rate_Bps;
        reschedule(id);
        return;
    }
    flow.variable = solver_.add_variable(flow.route(), flow.max_rate_Bps);
    flow.sharing = true;
    if (flow.variable >= flow_of_variable_.size()) flow_of_variable_.resize(flow.variable + 1);
    flow_of_variable_[flow.variable] = id;
}

void FlowNetwork::finish(FlowId id, std::vector<std::uint64_t>& finished_tags) {
    Flow& flow = flows_[id];
    if (flow.sharing) solver_.remove_variable(flow.variable);
    flow.sharing = false;
    flow.rate_Bps = 0;
    finished_tags.push_back(flow.tag);
    free_flows_.push_back(id);
    --active_flows_;
}

void FlowNetwork::reschedule(FlowId id) {
    const Flow& flow = flows_[id];
    const Picoseconds finish = finish_time(now_, flow.remaining_bytes, flow.rate_Bps);
    if (finish == kNever) {
        if (finishing_.contains(id)) finishing_.erase(id);
    } else {
        finishing_.set(id, {finish, flow.sequence});
    }
}

void FlowNetwork::update_rates(Picoseconds now) {
    MOESIM_CHECK(now >= now_, "flow network moved back in time");
    now_ = now;
    if (options_.resolve_everything) solver_.solve_all();
    else solver_.solve();
    for (const VariableId variable : solver_.last_solved()) {
        const FlowId id = flow_of_variable_[variable];
        Flow& flow = flows_[id];
        const double rate = solver_.value(variable);
        if (rate == flow.rate_Bps) continue;  // same rate, same finish time
        const double elapsed_s = static_cast<double>(now - flow.updated_ps) / kPsPerSecond;
        flow.remaining_bytes = std::max(0.0, flow.remaining_bytes - flow.rate_Bps * elapsed_s);
        flow.updated_ps = now;
        flow.rate_Bps = rate;
        reschedule(id);
    }
}

}  // namespace moesim::engine
