#pragma once
// A clock and an EventQueue: events run in (time, sequence) order. Callers register a
// handler once (add_handler) and then schedule (handler id, payload) pairs, so an event
// is a 32-byte POD and no closure is built per event.
#include <cstdint>
#include <functional>
#include <vector>

#include "moesim/engine/event_queue.h"
#include "moesim/engine/types.h"

namespace moesim::engine {

class EventLoop {
public:
    using Handler = std::function<void(std::uint64_t payload)>;

    HandlerId add_handler(Handler handler);

    // Scheduling before now() is a bug (InternalError).
    EventId schedule_at(Picoseconds time, HandlerId handler, std::uint64_t payload = 0);
    EventId schedule_after(Picoseconds delay, HandlerId handler, std::uint64_t payload = 0) {
        return schedule_at(now_ + delay, handler, payload);
    }
    bool cancel(EventId id) { return queue_.cancel(id); }

    Picoseconds now() const { return now_; }
    // Time of the next live event, kNever if none.
    Picoseconds next_time() { return queue_.next_time(); }
    std::size_t pending() const { return queue_.size(); }
    std::uint64_t events_run() const { return events_run_; }

    // Runs events until none is left; returns the time of the last one.
    Picoseconds run();
    // Runs every event due at or before `time` (with those they schedule in that window),
    // then sets the clock to `time`.
    void advance_to(Picoseconds time);

    void reserve(std::size_t events) { queue_.reserve(events); }

private:
    void run_next();

    EventQueue queue_;
    std::vector<Handler> handlers_;
    Picoseconds now_ = 0;
    std::uint64_t events_run_ = 0;
};

}  // namespace moesim::engine
