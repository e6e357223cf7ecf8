#pragma once
// Decode request placement (issue 13 item 2; DeepSeek's decode load balancer balances KV-cache
// usage and request counts across DP groups, PUBLISHED.md D, DAY6). This is a model of that
// goal, not of their code.
//
// Algorithm. A request that needs `need` tokens of KV cache (its input + output: the
// simulation reserves a sequence's whole KV when it is admitted, so a running sequence never
// outgrows its group) goes to the decode group, over every decode instance, with the least KV
// in use after placing it (reserved tokens + need, i.e. the least reserved: every group of a
// pool holds the same bytes per token), then the fewest sequences, then the lowest index.
// A group can take it when reserved + need ≤ capacity and it has fewer than max_sequences
// sequences. O(groups) per placement.
//
// Admission (scenario key inference.decode.admission). "hold", the only policy: when no group
// can take the request at the head of the decode queue, it waits, and so does every request
// behind it (FIFO order is kept); it is admitted as soon as a finishing sequence frees room.
// The simulation counts the requests that had to wait (ServingStats::decode_holds). Since
// a sequence's whole KV is reserved at admission, no running sequence ever needs preempting.
#include <cstddef>
#include <cstdint>
#include <span>

namespace moesim::inference {

// One decode attention group as placement sees it.
struct DecodeGroupUse {
    std::int64_t reserved_kv = 0;  // tokens reserved by its sequences
    std::int64_t sequences = 0;    // sequences reserved on it (joining or decoding)
};

inline constexpr std::size_t kNoDecodeGroup = static_cast<std::size_t>(-1);

// The group (index into `groups`) that takes a request needing `need` KV tokens, or
// kNoDecodeGroup when none has room (above).
std::size_t place_decode(std::span<const DecodeGroupUse> groups, std::int64_t need, std::int64_t capacity,
                         std::int64_t max_sequences);

}  // namespace moesim::inference
