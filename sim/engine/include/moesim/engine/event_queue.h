#pragma once
// A pending-event set ordered by (time, insertion sequence), after ns-3 and gem5: events
// at the same time pop in the order they were pushed, so runs are reproducible bit for
// bit. Cancelling marks an event dead; it is dropped when it reaches the top (lazy
// cancellation). Pushing an event earlier than the last one popped is a bug.
//
// An event is a small POD (a handler index and a 64-bit payload), not a closure, and the
// heap is 4-ary over 32-byte entries: no allocation per event once the vectors have grown.
#include <cstdint>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/engine/detail/slots.h"
#include "moesim/engine/types.h"

namespace moesim::engine {

struct Event {
    Picoseconds time = 0;
    HandlerId handler = 0;
    std::uint64_t payload = 0;
};

// Names one pushed event, for cancel(). Stays safe to use after the event ran.
struct EventId {
    std::uint64_t sequence = 0;
    std::uint32_t slot = 0;
};

class EventQueue {
public:
    EventId push(Picoseconds time, HandlerId handler, std::uint64_t payload);

    // Marks a pending event dead. False if it already ran or was already cancelled.
    bool cancel(EventId id);

    // Live events pending.
    std::size_t size() const { return live_count_; }
    bool empty() const { return live_count_ == 0; }

    // Time of the earliest live event, kNever if none. Drops dead events on top.
    Picoseconds next_time();

    // Removes and returns the earliest live event. Precondition: !empty().
    Event pop();

    // Time of the last popped event: nothing may be pushed earlier than this.
    Picoseconds last_popped_time() const { return last_popped_time_; }

    void reserve(std::size_t events);

private:
    struct Entry {
        Picoseconds time;
        std::uint64_t sequence;
        HandlerId handler;
        std::uint32_t slot;
        std::uint64_t payload;
    };
    static constexpr std::uint64_t kDeadSlot = ~std::uint64_t{0};
    static constexpr std::size_t kArity = 4;

    static bool earlier(const Entry& a, const Entry& b) {
        return a.time < b.time || (a.time == b.time && a.sequence < b.sequence);
    }
    void remove_top();
    void drop_dead_top();
    void sift_up(std::size_t index);
    void sift_down(std::size_t index);

    std::vector<Entry> heap_;
    // slot_sequence_[slot] is the sequence of the live event holding the slot, or
    // kDeadSlot once it was cancelled; free slots are recycled through free_slots_.
    std::vector<std::uint64_t> slot_sequence_;
    std::vector<std::uint32_t> free_slots_;
    std::uint64_t next_sequence_ = 0;
    std::size_t live_count_ = 0;
    Picoseconds last_popped_time_ = 0;
};

// ---- inline: the hot path -------------------------------------------------------------

inline EventId EventQueue::push(Picoseconds time, HandlerId handler, std::uint64_t payload) {
    MOESIM_CHECK(time >= last_popped_time_, "event scheduled into the past");
    const std::uint32_t slot = detail::take_slot(free_slots_, slot_sequence_);
    const std::uint64_t sequence = next_sequence_++;
    slot_sequence_[slot] = sequence;
    heap_.push_back(Entry{time, sequence, handler, slot, payload});
    sift_up(heap_.size() - 1);
    ++live_count_;
    return EventId{sequence, slot};
}

inline void EventQueue::sift_up(std::size_t index) {
    const Entry moving = heap_[index];
    while (index > 0) {
        const std::size_t parent = (index - 1) / kArity;
        if (!earlier(moving, heap_[parent])) break;
        heap_[index] = heap_[parent];
        index = parent;
    }
    heap_[index] = moving;
}

inline void EventQueue::sift_down(std::size_t index) {
    const std::size_t n = heap_.size();
    const Entry moving = heap_[index];
    for (;;) {
        const std::size_t first = index * kArity + 1;
        if (first >= n) break;
        const std::size_t last = first + kArity < n ? first + kArity : n;
        std::size_t best = first;
        for (std::size_t c = first + 1; c < last; ++c) {
            if (earlier(heap_[c], heap_[best])) best = c;
        }
        if (!earlier(heap_[best], moving)) break;
        heap_[index] = heap_[best];
        index = best;
    }
    heap_[index] = moving;
}

inline void EventQueue::remove_top() {
    free_slots_.push_back(heap_.front().slot);
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
}

inline void EventQueue::drop_dead_top() {
    while (!heap_.empty() && slot_sequence_[heap_.front().slot] != heap_.front().sequence) {
        remove_top();
    }
}

inline Picoseconds EventQueue::next_time() {
    drop_dead_top();
    return heap_.empty() ? kNever : heap_.front().time;
}

inline Event EventQueue::pop() {
    drop_dead_top();
    MOESIM_CHECK(!heap_.empty(), "pop from an empty event queue");
    const Entry& top = heap_.front();
    const Event event{top.time, top.handler, top.payload};
    slot_sequence_[top.slot] = kDeadSlot;
    last_popped_time_ = top.time;
    --live_count_;
    remove_top();
    return event;
}

}  // namespace moesim::engine
