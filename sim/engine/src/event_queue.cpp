#include "moesim/engine/event_queue.h"

#include <algorithm>

namespace moesim::engine {

bool EventQueue::cancel(EventId id) {
    if (id.slot >= slots_.size()) return false;
    Slot& slot = slots_[id.slot];
    if (slot.generation != id.generation || slot.handler == kDead) return false;
    slot.handler = kDead;  // its key stays in the heap until it reaches the top
    --live_count_;
    return true;
}

void EventQueue::reserve(std::size_t events) {
    heap_.reserve(events);
    slots_.reserve(events);
    free_slots_.reserve(events);
}

// Sequences ran out: give the pending keys sequences 0, 1, 2, ... in their current
// order. A sorted array is a valid heap.
void EventQueue::renumber() {
    std::sort(heap_.begin(), heap_.end());
    for (std::size_t i = 0; i < heap_.size(); ++i) {
        heap_[i] = make_key(time_of(heap_[i]), i, slot_of(heap_[i]));
    }
    next_sequence_ = heap_.size();
}

}  // namespace moesim::engine
