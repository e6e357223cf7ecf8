// The pipeline schedules' layout rules (scenarios/README.md, "Pipeline schedules") hold for
// every fidelity: a layout one refuses, analytic, event and full all refuse with the same
// exit status, JSON path and message, writing nothing; a layout one accepts, all accept.
#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;

namespace {

const std::vector<std::string> kFidelities = {"analytic", "event", "full"};

// Mixtral 8x7B on 64 H100 as TP2 x PP x DP(32/PP), EP8, micro_batch_size 2.
std::string layout(const TempDir& tmp, const std::string& schedule, int virtual_stages, int micro_batches, int pp = 4) {
    return scenario_variant(tmp, schedule + "-" + std::to_string(pp) + "-" + std::to_string(micro_batches) + ".json",
                            kMixtralScenario, [&](json& j) {
                                j["parallelism"]["pp"] = pp;
                                j["parallelism"]["dp"] = 32 / pp;
                                j["parallelism"]["schedule"] = schedule;
                                j["parallelism"]["virtual_stages"] = virtual_stages;
                                j["parallelism"]["micro_batch_size"] = 2;
                                j["parallelism"]["recompute"] = "full";  // GPipe holds every micro-batch's activations
                                j["training"]["global_batch_size"] = micro_batches * 2 * (32 / pp);
                            });
}

}  // namespace

TEST_CASE("run: a layout a schedule cannot take is refused alike by every fidelity", "[cli]") {
    TempDir tmp;
    struct Case {
        const char* what;
        const char* schedule;
        int virtual_stages, micro_batches, pp;
        const char* path;
        const char* says;
    };
    for (const Case& c : {Case{"dualpipe, odd pp", "dualpipe", 1, 8, 1, "/parallelism/pp", "even pp"},
                          Case{"dualpipe, fewer than 2*pp", "dualpipe", 1, 6, 4, "/training/global_batch_size", "2*pp = 8"},
                          Case{"dualpipe, odd micro-batches", "dualpipe", 1, 9, 4, "/training/global_batch_size", "even number"},
                          Case{"dualpipev, fewer than 2*pp", "dualpipev", 1, 7, 4, "/training/global_batch_size", "2*pp = 8"},
                          Case{"interleaved, not a multiple of pp", "interleaved-1f1b", 2, 6, 4,
                               "/training/global_batch_size", "multiple of 4"}}) {
        DYNAMIC_SECTION(c.what) {
            const auto f = layout(tmp, c.schedule, c.virtual_stages, c.micro_batches, c.pp);
            std::string first;
            for (const auto& fidelity : kFidelities) {
                INFO("fidelity " << fidelity);
                const auto r = expect_rejected(tmp, {f, "--fidelity", fidelity}, {at(f, c.path), c.says});
                if (first.empty()) first = r.err;
                CHECK(r.err == first);
            }
        }
    }
}

TEST_CASE("run: one good layout per schedule is accepted by every fidelity", "[cli]") {
    TempDir tmp;
    for (const auto& [schedule, virtual_stages] : std::vector<std::pair<std::string, int>>{
             {"gpipe", 1}, {"1f1b", 1}, {"interleaved-1f1b", 2}, {"zb1p", 1}, {"dualpipe", 1}, {"dualpipev", 1}}) {
        DYNAMIC_SECTION(schedule) {
            const auto f = layout(tmp, schedule, virtual_stages, 8);  // 8 = 2*pp, a multiple of pp, even
            for (const auto& fidelity : kFidelities) {
                INFO("fidelity " << fidelity);
                const auto r = run_moesim(tmp, "run", f, "--fidelity", fidelity, "--db", (tmp / "ok.sqlite").string());
                INFO("stderr: " << r.err);
                CHECK(r.exit_status == 0);
            }
        }
    }
}
