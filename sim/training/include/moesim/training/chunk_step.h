#pragma once
// One step of a chunk program (chunk_program.h): a piece of computation, the routed experts, or
// a collective of the chunk's EP or TP group, with its duration in integer picoseconds.
// Public for the pair-order model (pair_order.h) and its tests; the entry point is simulate.h.
#include <cstdint>

#include "moesim/common/units.h"

namespace moesim::training::detail {

using units::Picoseconds;

enum class StepKind : std::uint8_t {
    Compute,       // fixed duration on the compute stream
    Experts,       // routed experts: duration from the MoE table at the GPU's load
    EpCollective,  // DeepEP dispatch or combine of the EP group
    TpCollective,  // all-gather or reduce-scatter of the TP group
};

// What a step is, for trace names.
enum class Segment : std::uint8_t {
    Layer,      // a layer without parts (embedding, LM head)
    Attention,  // norm, projections, attention core (MTP: its input projection too)
    Ffn,        // a dense layer's FFN
    Gate,       // FFN norm, router, permute
    Shared,     // shared experts
    Experts,    // routed experts
    Post,       // after the combine: the weighted sum, an MTP module's head and loss
    Recompute,  // forward work rerun in backward
    Weight,     // weight gradients of a W pass
    Dispatch,
    Combine,
    TpGather,
    TpScatter,
};
const char* to_string(Segment s);

// Kinds of pass over a chunk. Fs and BWs are the two halves of DualPipe's overlapped pair
// (FB): their computation is slowed by SMs / (SMs − comm_sms).
enum Pass : std::uint8_t { kF, kB, kW, kBW, kFs, kBWs };
constexpr int kPasses = 6;
constexpr int kListedPasses = 4;  // F, B, W, BW have step lists; Fs, BWs use F's and BW's

struct Step {
    Picoseconds ps = 0;       // Compute: duration; EP/TP collective: the slowest member's
    Picoseconds slow_ps = 0;  // Compute inside an overlapped pair
    Picoseconds side_ps = 0;  // Compute of a BW list: the part of slow_ps that is weight gradients
    StepKind kind = StepKind::Compute;
    Segment segment = Segment::Layer;
    std::int16_t layer = 0;   // index into the model's layers (names)
    std::int32_t moe = -1;    // Experts: index into ChunkProgram::moe
};

inline bool is_collective(const Step& s) {
    return s.kind == StepKind::EpCollective || s.kind == StepKind::TpCollective;
}

}  // namespace moesim::training::detail
