// Decode request placement: least KV in use after placement, then fewest sequences
// (decode_placement.h).
#include "moesim/inference/decode_placement.h"

namespace moesim::inference {

std::size_t place_decode(std::span<const DecodeGroupUse> groups, std::int64_t need, std::int64_t capacity,
                         std::int64_t max_sequences) {
    std::size_t best = kNoDecodeGroup;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const DecodeGroupUse& u = groups[g];
        if (u.sequences >= max_sequences || u.reserved_kv + need > capacity) continue;
        if (best == kNoDecodeGroup) {
            best = g;
            continue;
        }
        const DecodeGroupUse& b = groups[best];
        if (u.reserved_kv < b.reserved_kv || (u.reserved_kv == b.reserved_kv && u.sequences < b.sequences)) best = g;
    }
    return best;
}

}  // namespace moesim::inference
