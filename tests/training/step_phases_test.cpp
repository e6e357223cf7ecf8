// The step by schedule phase (sim/training/src/step_phases.h): the rows add up to the step in
// every fidelity, and a 1F1B toy's warm-up and cool-down hold the forwards before the first
// backward and the backwards after the last forward, counted by hand.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "moesim/training/chunk_program.h"
#include "training_test_helpers.h"

using namespace training_test;
using moesim::training::Fidelity;
using moesim::training::PhaseEntry;

namespace {

std::map<std::string, double> by_phase(const std::vector<PhaseEntry>& phases) {
    std::map<std::string, double> out;
    for (const auto& p : phases) out[p.phase + (p.part.empty() ? "" : "/" + p.part)] += p.seconds;
    return out;
}

double total(const std::vector<PhaseEntry>& phases) {
    double s = 0;
    for (const auto& p : phases) s += p.seconds;
    return s;
}

}  // namespace

TEST_CASE("the phases add up to the step in every fidelity", "[training]") {
    const auto st = prepare(dense_doc());
    for (Fidelity f : {Fidelity::Analytic, Fidelity::Event, Fidelity::Full}) {
        const auto r = moesim::training::simulate_training(*st, f).result;
        INFO(r.fidelity);
        REQUIRE(r.phases.size() == 9);
        CHECK(total(r.phases) == Approx(r.step_time_s).epsilon(1e-9));
        for (const auto& p : r.phases) CHECK(p.seconds >= 0);
        const auto ph = by_phase(r.phases);
        CHECK(ph.at("bubble") == Approx(r.bubble_fraction * r.step_time_s).epsilon(1e-9));
        CHECK(ph.at("optimizer/dp_exposed") == Approx(r.exposed_comm.dp_s).epsilon(1e-12));
        CHECK(ph.at("optimizer/adam") > 0);
        CHECK(ph.at("optimizer/clip") > 0);
        CHECK(ph.at("optimizer/grad_norm_all_reduce") > 0);
        CHECK(ph.at("weight_grad_tail") == 0);  // 1F1B has no separate weight-gradient chunks
    }
}

TEST_CASE("1F1B toy: warm-up forwards and cool-down backwards by hand", "[training]") {
    // pp 4, 16 micro-batches, 1F1B. Pipeline rank r runs pp - r - 1 warm-up forwards, then
    // pairs (F, B) from its (pp - r)-th forward, then pp - r - 1 backwards: before its first
    // backward come pp - r forwards, after its last forward come pp - r backwards.
    const auto st = prepare(dense_doc());
    const auto run = event_run(*st);
    const auto& r = run.result;
    const int c = run.critical_rank;  // a pipeline rank in the event fidelity
    const int pp = 4, m = 16;
    const auto prog = moesim::training::detail::build_chunk_program(*st);
    const auto& chunk = prog.stages.at(static_cast<std::size_t>(c)).chunk;  // one stage per rank
    const double F = static_cast<double>(chunk.forward) * 1e-12 + chunk.forward_comm_s;
    const double B = static_cast<double>(chunk.backward_weight) * 1e-12 + chunk.backward_comm_s;
    const auto ph = by_phase(r.phases);
    const double busy = ph.at("warmup_forward") + ph.at("steady_pairs") + ph.at("cooldown_backward");
    const double unit = busy / (m * (F + B));  // the executor's busy time over the program's durations
    CHECK(unit == Approx(1.0).epsilon(0.02));   // the event executor runs the program's chunks
    CHECK(ph.at("warmup_forward") == Approx((pp - c) * F * unit).epsilon(1e-9));
    CHECK(ph.at("cooldown_backward") == Approx((pp - c) * B * unit).epsilon(1e-9));
    CHECK(ph.at("steady_pairs") == Approx(((m - (pp - c)) * F + (m - (pp - c)) * B) * unit).epsilon(1e-9));
}
