#pragma once
// A pending-event set ordered by (time, insertion sequence), after ns-3 and gem5: events
// at the same time pop in the order they were pushed, so runs are reproducible bit for
// bit. Cancelling marks an event dead; it is dropped when it reaches the top (lazy
// cancellation). Pushing an event earlier than the last one popped is a bug.
//
// Layout, for speed: the heap is 4-ary over 16-byte keys (time, sequence << 32 | slot),
// compared as one 128-bit integer; the event itself (handler index, 64-bit payload) sits
// in a slot array read only when it pops. Slots are recycled: no allocation per event
// once the vectors have grown. Sequences are 32-bit and renumbered in order when they run
// out, which keeps the order of everything pending.
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
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
};

class EventQueue {
public:
    // `sequence_limit` is how many pushes run before sequences are renumbered; only
    // tests set it, to reach the renumbering.
    explicit EventQueue(std::uint64_t sequence_limit = std::uint64_t{1} << 32)
        : sequence_limit_(sequence_limit) {}

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
    using Key = unsigned __int128;  // time << 64 | sequence << 32 | slot
    struct Slot {
        std::uint64_t payload = 0;
        HandlerId handler = kDead;
        std::uint32_t generation = 0;  // bumped each time the slot is freed
    };
    static constexpr HandlerId kDead = ~HandlerId{0};
    static constexpr std::size_t kArity = 4;

    static Key make_key(Picoseconds time, std::uint64_t sequence, std::uint32_t slot) {
        return (static_cast<Key>(static_cast<std::uint64_t>(time)) << 64) | (sequence << 32) | slot;
    }
    static Picoseconds time_of(Key key) { return static_cast<Picoseconds>(key >> 64); }
    static std::uint32_t slot_of(Key key) { return static_cast<std::uint32_t>(key); }

    void remove_top();
    void drop_dead_top();
    void sift_up(std::size_t index);
    void sift_down(std::size_t index);
    void renumber();

    std::vector<Key> heap_;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::uint64_t sequence_limit_;
    std::uint64_t next_sequence_ = 0;
    std::size_t live_count_ = 0;
    Picoseconds last_popped_time_ = 0;
};

// ---- inline: the hot path -------------------------------------------------------------

inline EventId EventQueue::push(Picoseconds time, HandlerId handler, std::uint64_t payload) {
    MOESIM_CHECK(time >= last_popped_time_, "event scheduled into the past");
    MOESIM_CHECK(handler != kDead, "reserved handler id");
    if (next_sequence_ == sequence_limit_) renumber();
    const std::uint32_t slot = detail::take_slot(free_slots_, slots_);
    Slot& s = slots_[slot];
    s.payload = payload;
    s.handler = handler;
    heap_.push_back(make_key(time, next_sequence_++, slot));
    sift_up(heap_.size() - 1);
    ++live_count_;
    return EventId{slot, s.generation};
}

inline void EventQueue::sift_up(std::size_t index) {
    const Key moving = heap_[index];
    while (index > 0) {
        const std::size_t parent = (index - 1) / kArity;
        if (!(moving < heap_[parent])) break;
        heap_[index] = heap_[parent];
        index = parent;
    }
    heap_[index] = moving;
}

inline void EventQueue::sift_down(std::size_t index) {
    const std::size_t n = heap_.size();
    const Key moving = heap_[index];
    for (;;) {
        const std::size_t first = index * kArity + 1;
        if (first >= n) break;
        std::size_t best = first;
        if (first + kArity <= n) {  // a full set of children: no bound checks
            best = heap_[first + 1] < heap_[best] ? first + 1 : best;
            best = heap_[first + 2] < heap_[best] ? first + 2 : best;
            best = heap_[first + 3] < heap_[best] ? first + 3 : best;
        } else {
            for (std::size_t c = first + 1; c < n; ++c) best = heap_[c] < heap_[best] ? c : best;
        }
        if (!(heap_[best] < moving)) break;
        heap_[index] = heap_[best];
        index = best;
    }
    heap_[index] = moving;
}

inline void EventQueue::remove_top() {
    const std::uint32_t slot = slot_of(heap_.front());
    slots_[slot].handler = kDead;
    ++slots_[slot].generation;
    free_slots_.push_back(slot);
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
}

inline void EventQueue::drop_dead_top() {
    while (!heap_.empty() && slots_[slot_of(heap_.front())].handler == kDead) remove_top();
}

inline Picoseconds EventQueue::next_time() {
    drop_dead_top();
    return heap_.empty() ? kNever : time_of(heap_.front());
}

inline Event EventQueue::pop() {
    drop_dead_top();
    MOESIM_CHECK(!heap_.empty(), "pop from an empty event queue");
    const Key top = heap_.front();
    const Slot& slot = slots_[slot_of(top)];
    const Event event{time_of(top), slot.handler, slot.payload};
    last_popped_time_ = event.time;
    --live_count_;
    remove_top();
    return event;
}

}  // namespace moesim::engine
