// Decode placement and admission "hold" (decode_placement.h): the placement rule on hand-built
// groups, KV balance and FIFO holds in the serving simulation on the fake costs, and the
// scenario key.
#include <catch2/catch.hpp>

#include <vector>

#include "fake_costs.h"
#include "run_moesim.h"
#include "moesim/inference/decode_placement.h"
#include "moesim/inference/serving_sim.h"

using namespace moesim;
using inference::DecodeGroupUse;
using inference::kNoDecodeGroup;
using inference::place_decode;
using inference::simulate_serving;

TEST_CASE("decode placement: least KV reserved, then fewest sequences, among groups with room", "[inference]") {
    const std::vector<DecodeGroupUse> groups{{100, 1}, {50, 3}, {50, 2}, {10, 128}, {990, 0}};
    // Group 3 is full of sequences, group 4 of KV (990 + 20 > 1000); 1 and 2 tie on KV.
    CHECK(place_decode(groups, 20, 1000, 128) == 2);
    // A request larger than every group's room but group 3's: group 3 has no sequence left.
    CHECK(place_decode(groups, 960, 1000, 128) == kNoDecodeGroup);
    // With more sequences allowed, group 3 (least KV) takes it.
    CHECK(place_decode(groups, 20, 1000, 129) == 3);
    CHECK(place_decode({}, 1, 1000, 128) == kNoDecodeGroup);
}

TEST_CASE("serving: decode places requests by KV in use, not by sequence count", "[inference]") {
    // One long prompt, then three short ones, admitted in order to two decode groups. By sequence count the fourth would go to group 0 (1 against
    // 2 sequences); by KV it joins the three-times-lighter group 1.
    test::TempDir tmp;
    auto s = test::trace_scenario(tmp.path(), "0,3000,50,0\n0,100,50,0\n0,100,50,0\n0,100,50,0\n", 10);
    test::FakeCosts costs;
    costs.groups[1] = 2;
    costs.batch_tokens = 4096;
    const auto run = simulate_serving(s, costs);
    // The first decode iteration with all four running (the long prompt is prefilled first).
    std::vector<inference::GroupLoad> all;
    for (const auto& l : costs.decode_loads())
        if (l.size() == 2 && l[0].sequences + l[1].sequences == 4) {
            all = l;
            break;
        }
    REQUIRE(all.size() == 2);
    CHECK(all[0].sequences == 1);
    CHECK(all[1].sequences == 3);
    // KV in use: the long prompt's 3000 tokens against the three short ones' 300 (plus what
    // each has decoded so far).
    CHECK(all[0].context_tokens >= 3000);
    CHECK(all[1].context_tokens < 600);
    CHECK(run.stats.decode_holds == 0);
    CHECK(run.result.requests_completed == 4);
}

TEST_CASE("serving: admission hold keeps FIFO order when the decode KV cache fills", "[inference]") {
    // One decode group of 2500 tokens. The first request reserves 2000; the second needs 600
    // and waits; the third needs only 20, which would fit, but waits behind the second.
    test::TempDir tmp;
    auto s = test::trace_scenario(tmp.path(), "0,1000,1000,0\n0.001,500,100,0\n0.002,10,10,0\n", 100);
    test::FakeCosts costs;
    costs.kv_capacity[1] = 2500;
    const auto keep = test::keep_requests();
    const auto run = simulate_serving(s, costs, keep);
    REQUIRE(run.requests.size() == 3);
    for (const auto& r : run.requests) REQUIRE(r.finish_s > 0);
    const double first = run.requests[0].finish_s;
    // Both later requests were admitted only when the first had freed its KV, the second first.
    CHECK(run.requests[1].finish_s > first);
    CHECK(run.requests[2].finish_s > first);
    CHECK(run.stats.decode_holds == 2);
    const auto decode = costs.decode_loads();
    // No decode iteration ran the first request beside another: it held the group alone.
    bool alone_then_two = false;
    for (const auto& l : decode) {
        CHECK(l[0].sequences <= 2);
        alone_then_two = alone_then_two || l[0].sequences == 2;
    }
    CHECK(alone_then_two);
    // Without the cap nothing waits, and the short request finishes long before the first.
    test::FakeCosts roomy;
    const auto free_run = simulate_serving(s, roomy, keep);
    CHECK(free_run.stats.decode_holds == 0);
    CHECK(free_run.requests[2].finish_s < free_run.requests[0].finish_s);
}

TEST_CASE("scenario: an unknown decode admission exits 2 naming its path", "[inference]") {
    test::TempDir tmp;
    const auto r = test::run_moesim(tmp, "run", test::source_path("scenarios/deepseek-v3-serve-feb2025.json"), "--db",
                                    (tmp / "r.sqlite").string(), "--set", "/inference/decode/admission=\"evict\"");
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Contains("/inference/decode/admission"));
    CHECK_FALSE(std::filesystem::exists(tmp / "r.sqlite"));
}
