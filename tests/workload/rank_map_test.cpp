// RankMap (workload/rank_map.h): global ranks to layout coordinates and back, and the groups
// built from them.
#include <catch2/catch.hpp>

#include <vector>

#include "moesim/workload/rank_map.h"

using namespace moesim::workload;

TEST_CASE("training ranks: TP innermost, then DP, then pipeline ranks — EP groups inside a pipeline rank", "[workload]") {
    Parallelism p;
    p.tp = 2;
    p.dp = 8;
    p.pp = 2;
    p.ep = 4;
    const TrainingRankMap m(p, 8);
    REQUIRE(m.gpus() == 32);
    const auto& c = m.coords(21);  // pipeline rank 1, place 5: DP 2, TP 1; EP group 1, place 1
    CHECK(c.pp == 1);
    CHECK(c.dp == 2);
    CHECK(c.tp == 1);
    CHECK(c.ep_group == 1);
    CHECK(c.ep == 1);
    CHECK(c.node == 2);
    CHECK(c.local == 5);
    CHECK(m.rank(1, 2, 1) == 21);
    for (int r = 0; r < m.gpus(); ++r) {
        const auto& k = m.coords(r);
        CHECK(m.rank(k.pp, k.dp, k.tp) == r);
    }
    CHECK(m.tp_group(21) == std::vector<int>{20, 21});
    CHECK(m.dp_group(21) == std::vector<int>{17, 19, 21, 23, 25, 27, 29, 31});
    CHECK(m.ep_group(21) == std::vector<int>{20, 21, 22, 23});
    CHECK(m.expert_dp_group(21) == std::vector<int>{17, 21, 25, 29});
    CHECK(m.peer_in_pipeline_rank(21, 0) == 5);
}

TEST_CASE("serving ranks: prefill instances first, decode after them — colocated pools share GPUs", "[workload]") {
    Inference inf;
    inf.deployment = Deployment::Disaggregated;
    inf.prefill.instances = 3;
    inf.prefill.nodes = 2;
    inf.prefill.attn_tp = 4;
    inf.prefill.ep = 16;
    inf.decode.instances = 1;
    inf.decode.nodes = 4;
    inf.decode.attn_tp = 2;
    inf.decode.ep = 32;
    using Pool = ServingRankMap::Pool;
    const ServingRankMap m(inf, 8);
    CHECK(m.first_gpu(Pool::Prefill, 2) == 32);
    CHECK(m.first_gpu(Pool::Decode, 0) == 48);
    CHECK(m.attention_group(Pool::Prefill, 1, 1) == std::vector<int>{20, 21, 22, 23});
    CHECK(m.ep_group(Pool::Decode, 0, 0).front() == 48);
    CHECK(m.ep_group(Pool::Decode, 0, 0).size() == 32);
    CHECK(m.instance(Pool::Prefill, 0).size() == 16);
    inf.deployment = Deployment::Colocated;
    const ServingRankMap colocated(inf, 8);
    CHECK(colocated.first_gpu(Pool::Decode, 0) == 0);
}
