// DualPipe's overlapped pair at layer granularity (pair_order.h): the program order, hand-timed
// chains, and DeepSeek-V3's pairs in its chunk program against the whole-pair overlap.
#include <algorithm>

#include "moesim/training/chunk_program.h"
#include "moesim/training/pair_order.h"
#include "training_test_helpers.h"

using namespace training_test;
using namespace moesim::training::detail;  // the pair model: public detail headers
using moesim::units::Picoseconds;

namespace {

Step compute(Segment seg, Picoseconds ps) {
    Step s;
    s.kind = StepKind::Compute;
    s.segment = seg;
    s.ps = s.slow_ps = ps;
    return s;
}
Step all_to_all(Segment seg, Picoseconds ps) {
    Step s;
    s.kind = StepKind::EpCollective;
    s.segment = seg;
    s.ps = s.slow_ps = ps;
    return s;
}
const auto no_experts = [](const Step&, int) -> Picoseconds { return 0; };

// The pair in its own greedy order, timed.
PairTiming timed(const std::vector<Step>& f, const std::vector<Step>& b) {
    return time_pair(make_pair_order(f, b, no_experts), f, b, no_experts);
}

// One MoE layer per chunk, forward: attention a, dispatch d, MLP m, combine c; backward: its
// combine's gradient, MLP, dispatch's gradient, attention (times in ps).
std::vector<Step> forward_layer(Picoseconds a, Picoseconds d, Picoseconds m, Picoseconds c) {
    return {compute(Segment::Attention, a), all_to_all(Segment::Dispatch, d), compute(Segment::Experts, m),
            all_to_all(Segment::Combine, c)};
}
std::vector<Step> backward_layer(Picoseconds c, Picoseconds m, Picoseconds d, Picoseconds a) {
    return {all_to_all(Segment::Combine, c), compute(Segment::Experts, m), all_to_all(Segment::Dispatch, d),
            compute(Segment::Attention, a)};
}

}  // namespace

TEST_CASE("pair order: each collective beside the other chunk's computation, the backward chunk first", "[training]") {
    // Forward: attention 4, dispatch 3, MLP 4, combine 3. Backward: combine-grad 3, MLP 8,
    // dispatch-grad 3, attention 8. By hand, compute stream: B waits for its combine-grad
    // (0-3) while F's attention runs (0-4); F's dispatch 4-7 beside B's MLP 4-12; B's
    // dispatch-grad 12-15 beside F's MLP 12-16; B's attention 16-24 beside F's combine 16-19.
    const auto f = forward_layer(4, 3, 4, 3);
    const auto b = backward_layer(3, 8, 3, 8);
    const PairOrder order = make_pair_order(f, b, no_experts);
    // B's combine-grad first (its chain starts with a collective), F attention, F dispatch,
    // B MLP, B dispatch-grad, F MLP, F combine, B attention.
    CHECK(order == PairOrder{1, 0, 0, 1, 1, 0, 0, 1});
    const auto t = time_pair(order, f, b, no_experts);
    CHECK(t.compute_ps == 24);
    CHECK(t.span_ps == 24);
    CHECK(t.ep_wait_ps == 0);  // every collective hid behind the other chain's computation
}

TEST_CASE("pair timing: a collective longer than the computation beside it is exposed", "[training]") {
    // Same chains, all-to-alls of 10: compute 24, comm 40, and the chains' dependencies add
    // more: the whole-pair overlap would say max(24, 40) = 40.
    const auto t = timed(forward_layer(4, 10, 4, 10), backward_layer(10, 8, 10, 8));
    // Hand schedule: comm stream B-cg 0-10, F-d 10-20 (F attention ends at 4), B-dg after B MLP
    // (10-18) at 20-30, F-c after F MLP (20-24) at 30-40; B attention after B-dg: 30-38; the
    // comm stream ends at 40. Compute waits: 4-10 for B-cg, 18-20 for F-d, 24-30 for B-dg, and
    // 38-40 for F-c after the last computation.
    CHECK(t.compute_ps == 24);
    CHECK(t.span_ps == 40);
    CHECK(t.ep_wait_ps == 16);
    CHECK(t.span_ps == t.compute_ps + t.ep_wait_ps + t.tp_wait_ps);
}

TEST_CASE("pair timing: one chain without collectives lends its computation to the other's", "[training]") {
    // A dense forward chunk (no all-to-all) of 3 x 5 beside one backward MoE layer.
    const std::vector<Step> f = {compute(Segment::Attention, 5), compute(Segment::Ffn, 5), compute(Segment::Ffn, 5)};
    const auto t = timed(f, backward_layer(6, 8, 6, 8));
    // Combine-grad 0-6 beside F 0-5 and F 5-10 … B MLP 10-18, dispatch-grad 18-24 beside F 18-23,
    // B attention 24-32: 1 + 1 idle.
    CHECK(t.compute_ps == 31);
    CHECK(t.span_ps == 32);
    CHECK(t.ep_wait_ps == 1);
}

TEST_CASE("DeepSeek-V3 pairs: between the whole-pair overlap and no overlap at all", "[training]") {
    const auto st = prepare_bundled(kV3);
    const auto prog = build_chunk_program(*st);
    const int stages = static_cast<int>(prog.stages.size());
    REQUIRE(prog.pair_orders.size() == static_cast<std::size_t>(stages * stages));
    const auto slowest = [&](const Step& s, int chain) { return prog.slowest_experts_ps(s, chain); };
    int exposed_pairs = 0;
    for (int fs = 0; fs < stages; ++fs)
        for (int bs = 0; bs < stages; ++bs) {
            const auto& f = prog.stages[static_cast<std::size_t>(fs)].steps[kF];
            const auto& b = prog.stages[static_cast<std::size_t>(bs)].steps[kBW];
            const auto& order = prog.pair_order(fs, bs);
            REQUIRE(order.size() == f.size() + b.size());
            const auto t = time_pair(order, f, b, slowest);
            Picoseconds comm = 0;
            for (const auto* list : {&f, &b})
                for (const Step& s : *list)
                    if (is_collective(s)) comm += s.ps;
            CHECK(t.span_ps >= std::max(t.compute_ps, comm));
            CHECK(t.span_ps <= t.compute_ps + comm);
            CHECK(t.span_ps == t.compute_ps + t.ep_wait_ps + t.tp_wait_ps);
            exposed_pairs += t.ep_wait_ps > 0 ? 1 : 0;
        }
    // With computation and all-to-all near 1:1 (V3TR §3.2.1), some of it shows.
    CHECK(exposed_pairs > 0);
}

TEST_CASE("pair timing: the backward chunk's weight gradients on the side stream fill the compute stream's waits", "[training]") {
    // Forward: attention 4, dispatch 3, MLP 4, combine 10. Backward: combine-grad 3, MLP 8 of
    // which 4 weight gradients, dispatch-grad 3, attention 4. Order B-cg, F attention, F-d,
    // B MLP, B-dg, F MLP, F-c, B attention.
    const auto f = forward_layer(4, 3, 4, 10);
    auto b = backward_layer(3, 8, 3, 4);
    const PairOrder order{1, 0, 0, 1, 1, 0, 0, 1};
    // Without the side stream, by hand: B-cg 0-3, F attention 0-4, F-d 4-7, B MLP 4-12, B-dg
    // 12-15, F MLP 12-16, F-c 16-26, B attention 16-20, then the compute stream waits 20-26.
    const auto serial = time_pair(order, f, b, no_experts);
    CHECK(serial.span_ps == 26);
    CHECK(serial.ep_wait_ps == 6);
    // With it: B MLP's input gradient 4-8 and its 4 of weight gradients in the backlog; B-dg
    // 8-11, F MLP 8-12, F-c 12-22, B attention 12-16; the backlog fills 16-20 of the final wait.
    b[1].side_ps = 4;
    const auto side = time_pair(order, f, b, no_experts);
    CHECK(side.span_ps == 22);
    CHECK(side.side_ps == 4);
    CHECK(side.ep_wait_ps == 2);
    CHECK(side.compute_ps == 20);  // the work is conserved: the SMs are shared, not added
    CHECK(side.span_ps == side.compute_ps + side.ep_wait_ps + side.tp_wait_ps);
}

TEST_CASE("pair timing: weight gradients left when the pair ends run after its last computation", "[training]") {
    // No wait to fill: the pair is compute-bound, so the side stream changes nothing.
    const auto f = forward_layer(4, 3, 4, 3);
    auto b = backward_layer(3, 8, 3, 8);
    const PairOrder order = make_pair_order(f, b, no_experts);
    const auto serial = time_pair(order, f, b, no_experts);
    b[3].side_ps = 5;  // the backward attention's weight gradients
    const auto side = time_pair(order, f, b, no_experts);
    CHECK(side.span_ps == serial.span_ps);
    CHECK(side.compute_ps == serial.compute_ps);
    CHECK(side.side_ps == 0);
}
