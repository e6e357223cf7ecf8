#pragma once
// A 4-ary min-heap of item ids (dense uint32) keyed by (time, tiebreak), whose keys can
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
    std::uint32_t top() const { return heap_.front().item; }
    Key top_key() const { return heap_.front().key; }
    bool contains(std::uint32_t item) const {
        return item < position_.size() && position_[item] != kAbsent;
    }

    // Inserts `item`, or moves it if present.
    void set(std::uint32_t item, Key key) {
        if (item >= position_.size()) position_.resize(item + 1, kAbsent);
        if (position_[item] == kAbsent) {
            heap_.push_back(Node{key, item});
            sift_up(static_cast<std::uint32_t>(heap_.size() - 1));
            return;
        }
        const std::uint32_t at = position_[item];
        const bool earlier_than_before = less(key, heap_[at].key);
        heap_[at].key = key;
        if (earlier_than_before) sift_up(at);
        else sift_down(at);
    }

    void erase(std::uint32_t item) {
        const std::uint32_t at = position_[item];
        position_[item] = kAbsent;
        const Node last = heap_.back();
        heap_.pop_back();
        if (last.item == item) return;
        heap_[at] = last;
        position_[last.item] = at;
        if (at > 0 && less(last.key, heap_[(at - 1) / kArity].key)) sift_up(at);
        else sift_down(at);
    }

private:
    static constexpr std::uint32_t kAbsent = std::numeric_limits<std::uint32_t>::max();
    // Four children a node: half the depth of a binary heap, and a node's children lie side
    // by side in memory, so a pop (the flow network's finish) touches fewer cache lines.
    static constexpr std::uint32_t kArity = 4;
    // The key sits beside the item in the heap array: sifting compares neighbours in memory
    // instead of looking each item's key up elsewhere (the heap is walked once per finish).
    struct Node {
        Key key;
        std::uint32_t item;
    };

    static bool less(const Key& a, const Key& b) {
        return a.time < b.time || (a.time == b.time && a.tiebreak < b.tiebreak);
    }
    // Moves the node at i up to its place (a hole walks up; each node moved once).
    void sift_up(std::uint32_t i) {
        const Node node = heap_[i];
        while (i > 0) {
            const std::uint32_t parent = (i - 1) / kArity;
            if (!less(node.key, heap_[parent].key)) break;
            heap_[i] = heap_[parent];
            position_[heap_[i].item] = i;
            i = parent;
        }
        heap_[i] = node;
        position_[node.item] = i;
    }
    void sift_down(std::uint32_t i) {
        const auto n = static_cast<std::uint32_t>(heap_.size());
        const Node node = heap_[i];
        for (;;) {
            const std::uint32_t first = kArity * i + 1;
            if (first >= n) break;
            std::uint32_t best = first;
            const std::uint32_t end = first + kArity < n ? first + kArity : n;
            for (std::uint32_t c = first + 1; c < end; ++c)
                if (less(heap_[c].key, heap_[best].key)) best = c;
            if (!less(heap_[best].key, node.key)) break;
            heap_[i] = heap_[best];
            position_[heap_[i].item] = i;
            i = best;
        }
        heap_[i] = node;
        position_[node.item] = i;
    }

    std::vector<Node> heap_;
    std::vector<std::uint32_t> position_;  // item -> index in heap_, or kAbsent
};

}  // namespace moesim::engine::detail
