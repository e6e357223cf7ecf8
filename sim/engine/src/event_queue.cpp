#include "moesim/engine/event_queue.h"

namespace moesim::engine {

bool EventQueue::cancel(EventId id) {
    if (id.slot >= slot_sequence_.size() || slot_sequence_[id.slot] != id.sequence) return false;
    slot_sequence_[id.slot] = kDeadSlot;
    --live_count_;
    return true;
}

void EventQueue::reserve(std::size_t events) {
    heap_.reserve(events);
    slot_sequence_.reserve(events);
    free_slots_.reserve(events);
}

}  // namespace moesim::engine
