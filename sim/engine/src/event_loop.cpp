#include "moesim/engine/event_loop.h"

#include "moesim/common/error.h"

namespace moesim::engine {

HandlerId EventLoop::add_handler(Handler handler) {
    MOESIM_CHECK(static_cast<bool>(handler), "empty event handler");
    handlers_.push_back(std::move(handler));
    return static_cast<HandlerId>(handlers_.size() - 1);
}

EventId EventLoop::schedule_at(Picoseconds time, HandlerId handler, std::uint64_t payload) {
    MOESIM_CHECK(time >= now_, "event scheduled into the past");
    MOESIM_CHECK(handler < handlers_.size(), "unknown event handler");
    return queue_.push(time, handler, payload);
}

inline void EventLoop::run_next() {
    const Event event = queue_.pop();
    now_ = event.time;
    ++events_run_;
    handlers_[event.handler](event.payload);
}

Picoseconds EventLoop::run() {
    while (!queue_.empty()) run_next();
    return now_;
}

void EventLoop::advance_to(Picoseconds time) {
    MOESIM_CHECK(time >= now_, "clock moved back");
    while (queue_.next_time() <= time) run_next();
    now_ = time;
}

}  // namespace moesim::engine
