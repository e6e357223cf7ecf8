#pragma once
// A binary min-heap of item ids (dense uint32) keyed by (time, tiebreak), whose keys can
// change in place: what the flow network needs to keep each flow's finish time without
// leaving stale entries behind when rates change.
#include <cstdint>
#include <limits>
#include <vector>

#include "moesim/engine/types.h"

namespace moesim::engine::detail {

class IndexedHeap {
public:
    struct Key {
        Picoseconds time;
        std::uint64_t tiebreak;
    };

    bool empty() const { return heap_.empty(); }
    std::uint32_t top() const { return heap_.front(); }
    Key top_key() const { return keys_[heap_.front()]; }
    bool contains(std::uint32_t item) const {
        return item < position_.size() && position_[item] != kAbsent;
    }

    // Inserts `item`, or moves it if present.
    void set(std::uint32_t item, Key key) {
        if (item >= position_.size()) {
            position_.resize(item + 1, kAbsent);
            keys_.resize(item + 1);
        }
        if (position_[item] == kAbsent) {
            keys_[item] = key;
            position_[item] = static_cast<std::uint32_t>(heap_.size());
            heap_.push_back(item);
            sift_up(position_[item]);
            return;
        }
        const bool earlier_than_before = less(key, keys_[item]);
        keys_[item] = key;
        if (earlier_than_before) sift_up(position_[item]);
        else sift_down(position_[item]);
    }

    void erase(std::uint32_t item) {
        const std::uint32_t at = position_[item];
        position_[item] = kAbsent;
        const std::uint32_t last = heap_.back();
        heap_.pop_back();
        if (last == item) return;
        heap_[at] = last;
        position_[last] = at;
        sift_up(at);
        sift_down(position_[last]);
    }

private:
    static constexpr std::uint32_t kAbsent = std::numeric_limits<std::uint32_t>::max();

    static bool less(const Key& a, const Key& b) {
        return a.time < b.time || (a.time == b.time && a.tiebreak < b.tiebreak);
    }
    bool less_at(std::uint32_t i, std::uint32_t j) const { return less(keys_[heap_[i]], keys_[heap_[j]]); }
    void swap_at(std::uint32_t i, std::uint32_t j) {
        std::swap(heap_[i], heap_[j]);
        position_[heap_[i]] = i;
        position_[heap_[j]] = j;
    }
    void sift_up(std::uint32_t i) {
        while (i > 0) {
            const std::uint32_t parent = (i - 1) / 2;
            if (!less_at(i, parent)) break;
            swap_at(i, parent);
            i = parent;
        }
    }
    void sift_down(std::uint32_t i) {
        const auto n = static_cast<std::uint32_t>(heap_.size());
        for (;;) {
            const std::uint32_t left = 2 * i + 1;
            if (left >= n) break;
            std::uint32_t best = left;
            if (left + 1 < n && less_at(left + 1, left)) best = left + 1;
            if (!less_at(best, i)) break;
            swap_at(i, best);
            i = best;
        }
    }

    std::vector<std::uint32_t> heap_;      // item ids
    std::vector<std::uint32_t> position_;  // item -> index in heap_, or kAbsent
    std::vector<Key> keys_;                // item -> key
};

}  // namespace moesim::engine::detail
