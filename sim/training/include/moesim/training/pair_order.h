#pragma once
// DualPipe's overlapped forward-and-backward pair at layer granularity (V3TR §3.2.1, Fig. 4).
// Each chunk is a chain of steps — computation, and the all-to-alls (or TP collectives)
// between its parts — and a step waits for the previous step of its chain. Both chains are
// issued in one program order onto two in-order streams, computation and collectives. The
// order is fixed per pair of stages, the same on every GPU (a group's collectives must come in
// the same order on all its members): a greedy list schedule at the stage's durations (each
// MoE layer at its slowest EP rank's load). Computation goes to whichever chain can start
// first, the backward one on a tie; a collective is issued as soon as its chain reaches it.
// In the steady state this is the report's arrangement: the backward MLP runs while the
// forward dispatch is in flight, the forward MLP beside the backward dispatch, the backward
// attention beside the forward combine, the next forward attention beside the backward
// combine. A collective hides only behind the computation that runs beside it; when it
// outlasts it, the compute stream waits for it (exposed communication), which an overlap of
// the whole pair (the max of its two sums) misses.
//
// Public for its tests; the chunk program (chunk_program.h) holds every pair's order and timing.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "moesim/training/chunk_step.h"

namespace moesim::training::detail {

// Chain 0: the forward chunk's F list; chain 1: the backward chunk's BW list. A program
// order is the chain of each step taken, one entry per step.
using PairOrder = std::vector<std::uint8_t>;

// Walks a pair's two step lists in a program order.
struct PairCursor {
    std::array<const Step*, 2> steps{};
    std::array<std::int32_t, 2> next{};
    const std::uint8_t* order = nullptr;
    std::int32_t pos = 0, size = 0;

    PairCursor() = default;
    PairCursor(const PairOrder& o, const std::vector<Step>& forward, const std::vector<Step>& backward)
        : steps{forward.data(), backward.data()}, order(o.data()), size(static_cast<std::int32_t>(o.size())) {}

    bool done() const { return pos == size; }
    int chain() const { return order[pos]; }  // the chain of the next step (when !done())
    const Step& peek() const { return steps[order[pos]][next[order[pos]]]; }
    std::int32_t index() const { return next[order[pos]]; }  // its index in its list
    const Step& take() {
        const int c = order[pos++];
        return steps[static_cast<std::size_t>(c)][next[static_cast<std::size_t>(c)]++];
    }
};

// The greedy program order of a pair (above). experts_ps(step, chain): an Experts step's
// duration inside the pair; the other steps last slow_ps (computation) or ps (collectives).
template <typename ExpertsPs>
PairOrder make_pair_order(const std::vector<Step>& forward, const std::vector<Step>& backward, ExpertsPs&& experts_ps) {
    const std::array<const std::vector<Step>*, 2> lists{&forward, &backward};
    std::array<std::size_t, 2> next{};
    std::array<Picoseconds, 2> ready{};
    Picoseconds compute = 0, comm = 0;
    PairOrder order;
    order.reserve(forward.size() + backward.size());
    const auto left = [&](int c) { return next[static_cast<std::size_t>(c)] < lists[static_cast<std::size_t>(c)]->size(); };
    const auto peek = [&](int c) -> const Step& { return (*lists[static_cast<std::size_t>(c)])[next[static_cast<std::size_t>(c)]]; };
    while (left(0) || left(1)) {
        // Collectives the chains have reached, the earlier first.
        int c = -1;
        for (int k : {1, 0})
            if (left(k) && is_collective(peek(k)) && (c < 0 || ready[static_cast<std::size_t>(k)] < ready[static_cast<std::size_t>(c)])) c = k;
        if (c >= 0) {
            comm = std::max(comm, ready[static_cast<std::size_t>(c)]) + peek(c).ps;
            ready[static_cast<std::size_t>(c)] = comm;
        } else {
            // Computation: the chain that can start first, the backward one on a tie.
            for (int k : {1, 0})
                if (left(k) && (c < 0 || std::max(compute, ready[static_cast<std::size_t>(k)]) <
                                             std::max(compute, ready[static_cast<std::size_t>(c)])))
                    c = k;
            const Step& s = peek(c);
            compute = std::max(compute, ready[static_cast<std::size_t>(c)]) +
                      (s.kind == StepKind::Experts ? experts_ps(s, c) : s.slow_ps);
            ready[static_cast<std::size_t>(c)] = compute;
        }
        order.push_back(static_cast<std::uint8_t>(c));
        ++next[static_cast<std::size_t>(c)];
    }
    return order;
}

// A pair timed on its own (time_pair): every collective lasts its `ps` from when the GPU issues
// it, as when every member of its group is the same GPU.
struct PairTiming {
    Picoseconds span_ps = 0;     // from the pair's start to the end of both streams
    Picoseconds compute_ps = 0;  // busy time of the SMs left to computation (both compute streams)
    Picoseconds ep_wait_ps = 0;  // compute stream idle waiting for an EP collective
    Picoseconds tp_wait_ps = 0;  // … for a TP collective
    Picoseconds side_ps = 0;     // weight gradients run while the compute stream waited
};

// The side stream. The backward chunk's weight gradients have no consumer inside the pair (only
// the optimizer step reads them), so they are issued on a second compute stream of lower
// priority, as DeepSeek's trace shows (PUBLISHED.md H: the dptp128c_acc GEMMs on their own
// stream). Both compute streams share the SMs DeepEP leaves (SMs − comm_sms) and the model of
// that sharing is work-conserving: a GEMM that fills the SMs gains nothing from a second kernel
// beside it, so the two streams together take as long as their work, except that the side
// stream runs in the time the compute stream would sit idle waiting for a collective. A step's
// weight-gradient part (Step::side_ps; side_ps(step, chain) for routed experts) joins a backlog
// when the compute stream reaches the step; the backlog fills the compute stream's next waits,
// and what is left runs after the pair's last computation.
struct SideStream {
    Picoseconds backlog = 0;
    // A wait of `gap` on the compute stream: the part the backlog fills.
    Picoseconds fill(Picoseconds gap) {
        const Picoseconds f = std::min(gap, backlog);
        backlog -= f;
        return f;
    }
};

// PairTiming of a pair in `order`. side_ps(step, chain): an Experts step's weight-gradient part.
template <typename ExpertsPs, typename SidePs>
PairTiming time_pair(const PairOrder& order, const std::vector<Step>& forward, const std::vector<Step>& backward,
                     ExpertsPs&& experts_ps, SidePs&& side_ps) {
    PairCursor pc(order, forward, backward);
    Picoseconds compute = 0, comm = 0;
    std::array<Picoseconds, 2> ready{};
    std::array<bool, 2> ep_last{};  // the chain's last collective was an EP one
    int comm_chain = 0;             // the chain of the last collective
    SideStream side;
    PairTiming t;
    const auto idle = [&](Picoseconds gap, bool ep) { (ep ? t.ep_wait_ps : t.tp_wait_ps) += gap; };
    while (!pc.done()) {
        const int c = pc.chain();
        const auto u = static_cast<std::size_t>(c);
        const Step& s = pc.take();
        if (is_collective(s)) {
            comm = std::max(comm, ready[u]) + s.ps;
            ready[u] = comm;
            ep_last[u] = s.kind == StepKind::EpCollective;
            comm_chain = c;
            continue;
        }
        if (ready[u] > compute) {
            const Picoseconds filled = side.fill(ready[u] - compute);
            t.side_ps += filled;
            t.compute_ps += filled;
            idle(ready[u] - compute - filled, ep_last[u]);
            compute = ready[u];
        }
        const bool experts = s.kind == StepKind::Experts;
        const Picoseconds d = experts ? experts_ps(s, c) : s.slow_ps;
        const Picoseconds w = c == 1 ? (experts ? side_ps(s, c) : s.side_ps) : 0;
        compute += d - w;
        t.compute_ps += d - w;
        side.backlog += w;
        ready[u] = compute;
    }
    const Picoseconds filled = comm > compute ? side.fill(comm - compute) : 0;
    t.side_ps += filled;
    if (comm > compute + filled) idle(comm - compute - filled, ep_last[static_cast<std::size_t>(comm_chain)]);
    compute += filled + side.backlog;  // the rest after the last computation (filled: inside the final wait)
    t.compute_ps += filled + side.backlog;
    t.span_ps = std::max(compute, comm);
    return t;
}

// Without weight gradients on the side stream for routed experts (tests).
template <typename ExpertsPs>
PairTiming time_pair(const PairOrder& order, const std::vector<Step>& forward, const std::vector<Step>& backward,
                     ExpertsPs&& experts_ps) {
    return time_pair(order, forward, backward, experts_ps, [](const Step&, int) { return Picoseconds{0}; });
}

}  // namespace moesim::training::detail
