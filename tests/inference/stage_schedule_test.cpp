// Decode micro-batch overlap (stage_schedule.h, inference.decode.overlap_stages): the
// two-stream list schedule on hand-timed chains, and the key in the operator model.
#include <algorithm>
#include <filesystem>
#include <vector>

#include "moesim/inference/stage_schedule.h"
#include "run_moesim.h"
#include "operator_test_helpers.h"

using namespace operator_test;
using moesim::inference::append_moe_layer;
using moesim::inference::Stage;
using moesim::inference::two_stream_makespan_s;

namespace {

// `layers` MoE layers of one micro-batch with these stage times.
std::vector<Stage> layers(int n, int stages, double attention, double dispatch, double experts, double combine) {
    std::vector<Stage> chain;
    for (int i = 0; i < n; ++i) append_moe_layer(chain, stages, attention, dispatch, experts, combine);
    return chain;
}

double sum(const std::vector<Stage>& chain, bool comm) {
    double s = 0;
    for (const Stage& x : chain)
        if (x.comm == comm) s += x.seconds;
    return s;
}

}  // namespace

TEST_CASE("stage schedule: one micro-batch is the sum of its stages", "[inference]") {
    const auto chain = layers(3, 5, 2.0, 1.0, 3.0, 0.5);
    CHECK(chain.size() == 15);
    CHECK(two_stream_makespan_s(chain, 1) == Approx(3 * (2.0 + 1.0 + 3.0 + 0.5)));
}

TEST_CASE("stage schedule: two micro-batches of one layer, timed by hand", "[inference]") {
    // A and B: attention side 2, dispatch 1, experts 2, combine 1 (4 stages).
    // compute: A.attn [0,2], B.attn [2,4], A.experts [4,6], B.experts [6,8]
    // comm:    A.dispatch [2,3], B.dispatch [4,5], A.combine [6,7], B.combine [8,9]
    const auto chain = layers(1, 4, 2.0, 1.0, 2.0, 1.0);
    CHECK(two_stream_makespan_s(chain, 2) == Approx(9.0));
    // Five stages: the attention side in two steps of 1.
    // compute: A.a1 [0,1], A.a2 [1,2], B.a1 [2,3], B.a2 [3,4], A.experts [4,6], B.experts [6,8]
    // comm:    A.dispatch [2,3], B.dispatch [4,5], A.combine [6,7], B.combine [8,9]
    CHECK(two_stream_makespan_s(layers(1, 5, 2.0, 1.0, 2.0, 1.0), 2) == Approx(9.0));
}

TEST_CASE("stage schedule: overlap hides communication, down to the compute stream's time", "[inference]") {
    // Communication (3 per layer) below compute (6 per layer): the bound is the compute stream.
    for (int stages : {1, 4, 5, 6, 8, 16}) {
        const auto chain = layers(30, stages == 1 ? 4 : stages, 4.0, 1.5, 2.0, 1.5);
        const int micro_batches = stages == 1 ? 1 : 2;
        const double t = two_stream_makespan_s(chain, micro_batches);
        const double compute = micro_batches * sum(chain, false), comm = micro_batches * sum(chain, true);
        INFO("stages " << stages);
        CHECK(t >= std::max(compute, comm) - 1e-9);
        CHECK(t <= compute + comm + 1e-9);
        if (stages == 1) CHECK(t == Approx(compute + comm));               // nothing hidden
        if (stages == 4 || stages == 5) CHECK(t == Approx(compute).epsilon(0.01));  // all but the fill
    }
    // Communication-bound layers: the communication stream sets the time however fine the cut.
    const auto comm_bound = layers(30, 16, 1.0, 3.0, 1.0, 3.0);
    CHECK(two_stream_makespan_s(comm_bound, 2) >= 2 * sum(comm_bound, true) - 1e-9);
}

TEST_CASE("decode overlap_stages: 1 is no overlap, 5 sits between the streams and the sum", "[inference]") {
    const Priced five(v3_doc());
    const Priced one(with(v3_doc(), "/inference/decode/overlap_stages", 1));
    const Priced four(with(v3_doc(), "/inference/decode/overlap_stages", 4));
    bool hid = false;
    for (std::int64_t s : {8, 64, 256}) {
        const auto loads = uniform(*five.costs, Pool::Decode, decode_load(s, 4096, 1));
        const auto b1 = one.costs->iteration_breakdown(Pool::Decode, loads);
        const auto b5 = five.costs->iteration_breakdown(Pool::Decode, loads);
        const auto b4 = four.costs->iteration_breakdown(Pool::Decode, loads);
        INFO("sequences per group " << s);
        CHECK(b1.micro_batches == 1);
        CHECK(b1.total_s == Approx(b1.compute_s() + b1.comm_s()));
        CHECK(b5.total_s <= b1.total_s);
        CHECK(b5.total_s >= std::max(b5.compute_s(), b5.comm_s()) * (1 - 1e-12));
        CHECK(b4.total_s <= b1.total_s);
        CHECK(b5.total_s == Approx(b5.compute_s() + b5.exposed_comm_s));
        if (b5.micro_batches == 2 && b5.total_s < b1.total_s) hid = true;
    }
    CHECK(hid);
}

TEST_CASE("decode overlap_stages: bad values are rejected naming the key", "[inference]") {
    for (int bad : {0, 2, 3, 17}) {
        INFO("overlap_stages " << bad);
        try {
            prepare(with(v3_doc(), "/inference/decode/overlap_stages", bad));
            FAIL("accepted");
        } catch (const moesim::ScenarioError& e) {
            CHECK(std::string(e.what()).find("/inference/decode/overlap_stages") != std::string::npos);
        }
    }
    CHECK(prepare(v3_doc())->scenario.inference.decode.overlap_stages == 5);
}

TEST_CASE("scenario: overlap_stages 3 exits 2 naming its path and writes nothing", "[inference]") {
    moesim::test::TempDir tmp;
    const auto r = moesim::test::run_moesim(tmp, "run", moesim::test::source_path("scenarios/deepseek-v3-serve-feb2025.json"),
                                            "--db", (tmp / "r.sqlite").string(), "--set", "/inference/decode/overlap_stages=3");
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Contains("/inference/decode/overlap_stages"));
    CHECK_FALSE(std::filesystem::exists(tmp / "r.sqlite"));
}
