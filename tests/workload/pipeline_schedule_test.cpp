// Per-rank operation orders of the pipeline schedules against their reference implementations.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/workload/pipeline_schedule.h"

using namespace moesim;
using namespace moesim::workload;

namespace {

std::vector<std::string> order(const PipelineSchedule& s, int rank) {
    std::vector<std::string> out;
    for (const auto& op : s.ranks.at(static_cast<std::size_t>(rank))) out.push_back(describe(op));
    return out;
}

// Every micro-batch's forward on a stage precedes its backward there, on the rank that runs
// both; each W follows its B.
void check_local_order(const PipelineSchedule& s) {
    for (int r = 0; r < s.pp; ++r) {
        std::set<std::pair<int, int>> forwarded, backwarded;
        for (const auto& op : s.ranks[static_cast<std::size_t>(r)]) {
            const auto key = [](const OpPart& p) { return std::pair{p.micro_batch, p.stage}; };
            const auto backward = [&](const OpPart& p) {
                INFO("rank " << r << " " << describe(op));
                CHECK(forwarded.count(key(p)) == 1);
                CHECK(s.rank_of(p.micro_batch, p.stage) == r);
                backwarded.insert(key(p));
            };
            switch (op.kind) {
                case PipelineOpKind::F: forwarded.insert(key(op.part)); break;
                case PipelineOpKind::B:
                case PipelineOpKind::BW: backward(op.part); break;
                case PipelineOpKind::W: {
                    INFO("rank " << r << " " << describe(op));
                    CHECK(backwarded.count(key(op.part)) == 1);
                    break;
                }
                case PipelineOpKind::FB:
                    forwarded.insert(key(op.part));
                    backward(op.backward);
                    break;
            }
            if (op.kind == PipelineOpKind::F || op.kind == PipelineOpKind::FB) CHECK(s.rank_of(op.part.micro_batch, op.part.stage) == r);
        }
    }
}

}  // namespace

// Derived by hand from deepseek-ai/DualPipe dualpipe.py, DualPipe.step(), for 4 ranks and 8
// micro-batches (num_chunks = 8, half_num_chunks = 4). Micro-batches 0–3 enter at rank 0
// (stage r on rank r), 4–7 at rank 3 (stage r on rank 3−r). Ranks 1 and 2 are the middle
// ranks (their first step-4 pair is not overlapped); ranks 2 and 3 are in the second half
// (phase 0 is the reverse direction).
TEST_CASE("DualPipe 4 ranks x 8 micro-batches: per-rank order of dualpipe.py", "[workload]") {
    const PipelineSchedule s = make_pipeline_schedule(Schedule::DualPipe, 4, 8);
    REQUIRE(s.stages == 4);
    // rank 0, half_rank 0: step 1 F0 F0 | step 2 F0 F1 | step 3 B1(zb) W F1 | step 4 F0&B1 F1&B0 |
    // step 5 B1 F1&B0 | step 6 B1, B0(zb) | step 7 W B0(zb) | step 8 W
    CHECK(order(s, 0) == std::vector<std::string>{
                             "F mb0 s0", "F mb1 s0", "F mb2 s0", "F mb4 s3", "B mb4 s3", "W mb4 s3", "F mb5 s3",
                             "F mb3 s0 & BW mb5 s3", "F mb6 s3 & BW mb0 s0", "BW mb6 s3", "F mb7 s3 & BW mb1 s0",
                             "BW mb7 s3", "B mb2 s0", "W mb2 s0", "B mb3 s0", "W mb3 s0"});
    // rank 1, half_rank 1, middle: step 2 (F0 F1)x2 | step 4 i=0: F0, B1 not overlapped, F1&B0;
    // i=1: F0&B1, F1&B0 | step 6 i=0: B1 B0; i=1 (zb on from B1): B1 B0 | step 8 W W
    CHECK(order(s, 1) == std::vector<std::string>{
                             "F mb0 s1", "F mb4 s2", "F mb1 s1", "F mb5 s2", "F mb2 s1", "BW mb4 s2",
                             "F mb6 s2 & BW mb0 s1", "F mb3 s1 & BW mb5 s2", "F mb7 s2 & BW mb1 s1", "BW mb6 s2",
                             "BW mb2 s1", "B mb7 s2", "B mb3 s1", "W mb7 s2", "W mb3 s1"});
    // rank 2: the mirror of rank 1 (phase 0 = micro-batches 4–7)
    CHECK(order(s, 2) == std::vector<std::string>{
                             "F mb4 s1", "F mb0 s2", "F mb5 s1", "F mb1 s2", "F mb6 s1", "BW mb0 s2",
                             "F mb2 s2 & BW mb4 s1", "F mb7 s1 & BW mb1 s2", "F mb3 s2 & BW mb5 s1", "BW mb2 s2",
                             "BW mb6 s1", "B mb3 s2", "B mb7 s1", "W mb3 s2", "W mb7 s1"});
    // rank 3: the mirror of rank 0
    CHECK(order(s, 3) == std::vector<std::string>{
                             "F mb4 s0", "F mb5 s0", "F mb6 s0", "F mb0 s3", "B mb0 s3", "W mb0 s3", "F mb1 s3",
                             "F mb7 s0 & BW mb1 s3", "F mb2 s3 & BW mb4 s0", "BW mb2 s3", "F mb3 s3 & BW mb5 s0",
                             "BW mb3 s3", "B mb6 s0", "W mb6 s0", "B mb7 s0", "W mb7 s0"});
    check_local_order(s);
    CHECK_NOTHROW(schedule_dependencies(s));
}

// From dualpipev.py, DualPipeV.step(), 2 ranks (4 stages in a V: rank 0 holds stages 0 and 3,
// rank 1 stages 1 and 2), 4 micro-batches. Rank 1 is the last rank (the turn of the V).
TEST_CASE("DualPipeV 2 ranks x 4 micro-batches: per-rank order of dualpipev.py", "[workload]") {
    const PipelineSchedule s = make_pipeline_schedule(Schedule::DualPipeV, 2, 4);
    REQUIRE(s.stages == 4);
    // rank 0: step 1 (2·1) F0 F0 | step 2 (1) F0 F1 | step 3 (1) B1(zb) W F1 | step 4 (4−4+0+1 = 1)
    // F0&B1 F1&B0 | step 5 (1) B1 F1&B0 | step 6 (1) B1, B0(zb) | step 7 (1) W B0(zb) | step 8 W
    CHECK(order(s, 0) == std::vector<std::string>{
                             "F mb0 s0", "F mb1 s0", "F mb2 s0", "F mb0 s3", "B mb0 s3", "W mb0 s3", "F mb1 s3",
                             "F mb3 s0 & BW mb1 s3", "F mb2 s3 & BW mb0 s0", "BW mb2 s3", "F mb3 s3 & BW mb1 s0",
                             "BW mb3 s3", "B mb2 s0", "W mb2 s0", "B mb3 s0", "W mb3 s0"});
    // rank 1 (last): step 2 (2) F0 F1 F0 F1 | step 4 (2) i=0: F0, B1 not overlapped, F1&B0;
    // i=1: F0&B1 F1&B0 | step 6 (2): B1 B0 | zb from B1: B1 B0 | step 8 W W
    CHECK(order(s, 1) == std::vector<std::string>{
                             "F mb0 s1", "F mb0 s2", "F mb1 s1", "F mb1 s2", "F mb2 s1", "BW mb0 s2",
                             "F mb2 s2 & BW mb0 s1", "F mb3 s1 & BW mb1 s2", "F mb3 s2 & BW mb1 s1", "BW mb2 s2",
                             "BW mb2 s1", "B mb3 s2", "B mb3 s1", "W mb3 s2", "W mb3 s1"});
    check_local_order(s);
    CHECK_NOTHROW(schedule_dependencies(s));
}

// Megatron's 1F1B: rank r runs pp−r−1 warm-up forwards.
TEST_CASE("1F1B and ZB-H1 orders for 3 ranks x 4 micro-batches", "[workload]") {
    const PipelineSchedule s = make_pipeline_schedule(Schedule::OneFOneB, 3, 4);
    CHECK(order(s, 0) == std::vector<std::string>{"F mb0 s0", "F mb1 s0", "F mb2 s0", "BW mb0 s0", "F mb3 s0",
                                                  "BW mb1 s0", "BW mb2 s0", "BW mb3 s0"});
    CHECK(order(s, 2) == std::vector<std::string>{"F mb0 s2", "BW mb0 s2", "F mb1 s2", "BW mb1 s2", "F mb2 s2",
                                                  "BW mb2 s2", "F mb3 s2", "BW mb3 s2"});
    // ZB-H1: the same F/B order; rank r runs the W of micro-batch k after the B of k + r.
    const PipelineSchedule z = make_pipeline_schedule(Schedule::ZB1P, 3, 4);
    CHECK(order(z, 0) == std::vector<std::string>{"F mb0 s0", "F mb1 s0", "F mb2 s0", "B mb0 s0", "W mb0 s0",
                                                  "F mb3 s0", "B mb1 s0", "W mb1 s0", "B mb2 s0", "W mb2 s0",
                                                  "B mb3 s0", "W mb3 s0"});
    CHECK(order(z, 2) == std::vector<std::string>{"F mb0 s2", "B mb0 s2", "F mb1 s2", "B mb1 s2", "F mb2 s2",
                                                  "B mb2 s2", "W mb0 s2", "F mb3 s2", "B mb3 s2", "W mb1 s2",
                                                  "W mb2 s2", "W mb3 s2"});
    check_local_order(s);
    check_local_order(z);
}

// Megatron's interleaved schedule, 2 ranks, 2 chunks (rank r holds stages r and r+2), 4
// micro-batches: warm-up (pp−r−1)·2 + (v−1)·pp forwards, micro-batches in groups of pp.
TEST_CASE("Interleaved 1F1B order for 2 ranks x 2 chunks x 4 micro-batches", "[workload]") {
    const PipelineSchedule s = make_pipeline_schedule(Schedule::Interleaved1F1B, 2, 4, 2);
    REQUIRE(s.stages == 4);
    // rank 0: 4 warm-up forwards k=0..3 (mb0 c0, mb1 c0, mb0 c1, mb1 c1), then F k+4 / B k.
    CHECK(order(s, 0) == std::vector<std::string>{"F mb0 s0", "F mb1 s0", "F mb0 s2", "F mb1 s2", "F mb2 s0",
                                                  "BW mb0 s2", "F mb3 s0", "BW mb1 s2", "F mb2 s2", "BW mb0 s0",
                                                  "F mb3 s2", "BW mb1 s0", "BW mb2 s2", "BW mb3 s2", "BW mb2 s0",
                                                  "BW mb3 s0"});
    check_local_order(s);
    CHECK_NOTHROW(schedule_dependencies(s));
}

TEST_CASE("Every schedule: each pass of each micro-batch and stage runs once, F before B", "[workload]") {
    for (auto sched : {Schedule::GPipe, Schedule::OneFOneB, Schedule::Interleaved1F1B, Schedule::ZB1P,
                       Schedule::DualPipe, Schedule::DualPipeV}) {
        for (auto [pp, m] : std::vector<std::pair<int, int>>{{2, 4}, {4, 8}, {4, 12}, {8, 16}, {8, 24}, {16, 64}, {16, 120}}) {
            if (sched == Schedule::Interleaved1F1B && m % pp != 0) continue;
            INFO(to_string(sched) << " pp " << pp << " m " << m);
            const PipelineSchedule s = make_pipeline_schedule(sched, pp, m, 2);
            check_local_order(s);
            CHECK_NOTHROW(schedule_dependencies(s));
        }
    }
}

TEST_CASE("Impossible schedule parameters are ScenarioErrors naming the JSON path", "[workload]") {
    const auto path_of = [](auto&& f) {
        try {
            f();
        } catch (const ScenarioError& e) {
            return e.json_path();
        }
        return std::string("no error");
    };
    CHECK(path_of([] { make_pipeline_schedule(Schedule::DualPipe, 3, 12); }) == "/parallelism/pp");
    CHECK(path_of([] { make_pipeline_schedule(Schedule::DualPipe, 4, 6); }) == "/training/global_batch_size");
    CHECK(path_of([] { make_pipeline_schedule(Schedule::DualPipe, 4, 9); }) == "/training/global_batch_size");
    CHECK(path_of([] { make_pipeline_schedule(Schedule::DualPipeV, 4, 7); }) == "/training/global_batch_size");
    CHECK(path_of([] { make_pipeline_schedule(Schedule::Interleaved1F1B, 4, 6, 2); }) == "/training/global_batch_size");
    CHECK(path_of([] { make_pipeline_schedule(Schedule::DualPipeV, 3, 6); }) == "no error");
}

TEST_CASE("check_schedule_layout: the rules make_pipeline_schedule applies, with their numbers", "[workload]") {
    const auto error_of = [](Schedule sched, int pp, int m, int v) {
        try {
            check_schedule_layout(sched, pp, m, v);
        } catch (const ScenarioError& e) {
            return e.json_path() + ": " + e.message();
        }
        return std::string("accepted");
    };
    CHECK_THAT(error_of(Schedule::DualPipe, 3, 12, 1), Catch::Contains("/parallelism/pp: schedule \"dualpipe\" needs an even pp, got 3"));
    CHECK_THAT(error_of(Schedule::DualPipe, 4, 6, 1), Catch::Contains("at least 2*pp = 8 micro-batches") && Catch::Contains("got 6"));
    CHECK_THAT(error_of(Schedule::DualPipe, 4, 9, 1), Catch::Contains("even number of micro-batches") && Catch::Contains("got 9"));
    CHECK_THAT(error_of(Schedule::DualPipeV, 4, 7, 1), Catch::Contains("schedule \"dualpipev\"") && Catch::Contains("got 7"));
    CHECK_THAT(error_of(Schedule::Interleaved1F1B, 4, 6, 2), Catch::Contains("multiple of 4") && Catch::Contains("got 6"));
    // What each schedule accepts at its edge.
    CHECK(error_of(Schedule::DualPipe, 4, 8, 1) == "accepted");
    CHECK(error_of(Schedule::DualPipeV, 3, 7, 1) == "accepted");
    CHECK(error_of(Schedule::Interleaved1F1B, 4, 8, 2) == "accepted");
    CHECK(error_of(Schedule::Interleaved1F1B, 4, 6, 1) == "accepted");
    for (Schedule s : {Schedule::GPipe, Schedule::OneFOneB, Schedule::ZB1P}) CHECK(error_of(s, 3, 1, 1) == "accepted");
}
