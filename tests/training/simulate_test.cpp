// The one entry point (simulate.h) and its assembler: whatever the fidelity and schedule, the
// result is put together the same way — the breakdown adds up to the step, the exposed
// communication and the bubble are the breakdown's own entries — and the timeline holds the
// traced ranks' activities only.
#include <algorithm>
#include <string>

#include "training_test_helpers.h"

using namespace training_test;
using moesim::training::Fidelity;
using moesim::training::StepOptions;
using moesim::workload::Schedule;

TEST_CASE("simulate_training: one assembly for every fidelity and schedule", "[training]") {
    for (auto sched : {Schedule::GPipe, Schedule::OneFOneB, Schedule::ZB1P, Schedule::DualPipe, Schedule::DualPipeV}) {
        const auto st = setup_of(small_v3(sched));
        for (auto fid : {Fidelity::Analytic, Fidelity::Event, Fidelity::Full}) {
            INFO(to_string(sched) << " " << to_string(fid));
            const auto run = moesim::training::simulate_training(*st, fid);
            const TrainingResult& r = run.result;
            CHECK(r.fidelity == to_string(fid));
            double sum = 0;
            for (const auto& b : r.breakdown) {
                CHECK(b.seconds > 0);
                sum += b.seconds;
            }
            // Durations are rounded to picoseconds per step (DualPipe's pairs: per layer step).
            CHECK(sum == Approx(r.step_time_s).epsilon(1e-8));
            CHECK(breakdown_s(r, "communication", "ep_all_to_all") == r.exposed_comm.ep_s);
            CHECK(breakdown_s(r, "communication", "tp") == r.exposed_comm.tp_s);
            CHECK(breakdown_s(r, "communication", "pp_send_recv") == r.exposed_comm.pp_s);
            CHECK(breakdown_s(r, "communication", "dp") == r.exposed_comm.dp_s);
            CHECK(breakdown_s(r, "idle", "bubble") == Approx(r.bubble_fraction * r.step_time_s).epsilon(1e-12));
            // DualPipe's pairs run their computation on fewer SMs; nothing else does.
            const bool pairs = sched == Schedule::DualPipe || sched == Schedule::DualPipeV;
            CHECK((breakdown_s(r, "overlap", "comm_sm_contention") > 0) == pairs);
            CHECK(run.timeline.empty());  // nothing traced
            // The layout does not fit: every fidelity says so.
            bool warned = false;
            for (const auto& a : r.assumptions) warned = warned || a.find("does NOT fit in GPU memory") != std::string::npos;
            CHECK(warned);
            if (fid == Fidelity::Analytic) continue;
            // The simulations: one end per simulated rank, the last one the pipeline's makespan,
            // before the data-parallel tail.
            REQUIRE(run.end_ps.size() == static_cast<std::size_t>(run.stats.ranks_simulated));
            CHECK(*std::max_element(run.end_ps.begin(), run.end_ps.end()) == run.makespan_ps);
            CHECK(static_cast<double>(run.makespan_ps) <= r.step_time_s * 1e12 + 1);
        }
    }
}

TEST_CASE("simulate_training: the timeline holds the traced ranks only", "[training]") {
    const auto st = setup_of(small_v3(Schedule::DualPipe));
    StepOptions o;
    o.trace_ranks = {1};  // a pipeline rank (event), a GPU of pipeline rank 0 (full)
    for (auto fid : {Fidelity::Event, Fidelity::Full}) {
        INFO(to_string(fid));
        const auto traced = moesim::training::simulate_training(*st, fid, o);
        REQUIRE(!traced.timeline.empty());
        for (const auto& e : traced.timeline) CHECK(e.rank == 1);
        // Tracing observes: the result is the same.
        CHECK(traced.result == moesim::training::simulate_training(*st, fid).result);
    }
}
