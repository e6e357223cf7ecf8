#pragma once
// Slot reuse: an index freed earlier if there is one, else a new element at the end.
// Keeps steady-state simulation free of growth once the peak is reached.
#include <cstdint>
#include <vector>

namespace moesim::engine::detail {

template <typename Items>
std::uint32_t take_slot(std::vector<std::uint32_t>& free_slots, Items& items) {
    if (!free_slots.empty()) {
        const std::uint32_t slot = free_slots.back();
        free_slots.pop_back();
        return slot;
    }
    items.emplace_back();
    return static_cast<std::uint32_t>(items.size() - 1);
}

}  // namespace moesim::engine::detail
