// Where the analytic step's communication runs: the data-parallel groups and the pipeline
// sends, against the collective cost functions on groups built here from the layout rules
// (GPUs numbered tp fastest, then dp, then pp; an EP group is ep consecutive GPUs of the
// tp·dp plane).
#include <algorithm>

#include "moesim/hw/costs.h"
#include "moesim/workload/layout.h"
#include "training_test_helpers.h"

using namespace training_test;
using moesim::hw::CollectiveKind;
using moesim::training::data_parallel_times;
using moesim::training::stage_costs;

namespace {

// `size` GPUs whose neighbours are `stride` GPUs apart.
moesim::hw::CommGroup group_of(const TrainingSetup& st, int size, int stride) {
    const auto& c = st.scenario.cluster;
    moesim::hw::CommGroup g;
    g.size = size;
    g.gpus_per_node = std::clamp(c.gpus_per_node / stride, 1, size);
    g.nvlink_GBps = st.gpu.nvlink_GBps;
    g.nic_GBps = c.network.nics_per_node * c.network.nic_Gbps / 8.0 / c.gpus_per_node / c.network.oversubscription;
    return g;
}

}  // namespace

TEST_CASE("data parallelism: non-expert and expert gradients over their own groups", "[training]") {
    // Mixtral: tp 2, dp 32, ep 8 on 8 nodes of 8. The non-expert replicas are tp = 2 GPUs
    // apart (4 per node); an expert's replicas sit at the same place of each EP group of 8
    // consecutive GPUs, so ep = 8 apart: one per node, 8 nodes, all over the NICs.
    const auto st = prepare_bundled(kMixtral);
    const auto& p = st->scenario.parallelism;
    REQUIRE(p.tp == 2);
    REQUIRE(p.dp == 32);
    REQUIRE(p.ep == 8);
    REQUIRE(p.zero_stage == 1);
    const auto share = moesim::workload::rank_share(st->layout.ranks.at(0).params, p.tp, p.ep);
    REQUIRE(share.expert > 0);
    REQUIRE(share.non_expert > 0);

    const auto dense = group_of(*st, 32, 2);
    const auto expert = group_of(*st, 8, 8);
    CHECK(dense.nodes() == 8);
    CHECK(expert.nodes() == 8);
    const auto& prof = st->profile;
    const double rs = moesim::hw::collective_time_s(CollectiveKind::ReduceScatter, share.non_expert * 4, dense, prof) +
                      moesim::hw::collective_time_s(CollectiveKind::ReduceScatter, share.expert * 4, expert, prof);
    const double ag = moesim::hw::collective_time_s(CollectiveKind::AllGather, share.non_expert * 2, dense, prof) +
                      moesim::hw::collective_time_s(CollectiveKind::AllGather, share.expert * 2, expert, prof);
    const auto t = data_parallel_times(*st, 0);
    CHECK(t.reduce_scatter_s == Approx(rs).epsilon(1e-12));
    CHECK(t.all_gather_s == Approx(ag).epsilon(1e-12));
}

TEST_CASE("data parallelism: ZeRO-0 all-reduces the gradients and gathers nothing", "[training]") {
    const auto st = prepare(with(dense_doc(), "/parallelism/zero_stage", 0));
    const auto& p = st->scenario.parallelism;
    for (int r = 0; r < p.pp; ++r) {
        INFO("rank " << r);
        const auto share = moesim::workload::rank_share(st->layout.ranks.at(r).params, p.tp, p.ep);
        const double ar = moesim::hw::collective_time_s(CollectiveKind::AllReduce, share.non_expert * 4,
                                                        group_of(*st, p.dp, p.tp), st->profile);
        const auto t = data_parallel_times(*st, r);
        CHECK(t.reduce_scatter_s == Approx(ar).epsilon(1e-12));
        CHECK(t.all_gather_s == 0);
    }
}

TEST_CASE("pipeline sends: one per stage boundary between different ranks", "[training]") {
    SECTION("1F1B: the first stage only sends forward, the last only backward") {
        const auto st = prepare(dense_doc());
        CHECK(stage_costs(*st, 0).backward_comm.pp_s == 0);
        CHECK(stage_costs(*st, 0).forward_comm.pp_s > 0);
        CHECK(stage_costs(*st, 3).forward_comm.pp_s == 0);
        CHECK(stage_costs(*st, 3).backward_comm.pp_s > 0);
        CHECK(stage_costs(*st, 1).forward_comm.pp_s == stage_costs(*st, 2).backward_comm.pp_s);
    }
    SECTION("DualPipeV: the turn of the V (stages pp-1 and pp, both on rank pp-1) sends nothing") {
        auto doc = with(dense_doc(), "/parallelism/schedule", "dualpipev");
        doc = with(doc, "/parallelism/stage_layers", nullptr);
        const auto st = prepare(doc);
        REQUIRE(st->layout.ranks.at(3).stages == std::vector<int>{3, 4});
        CHECK(stage_costs(*st, 3).forward_comm.pp_s == 0);
        CHECK(stage_costs(*st, 4).backward_comm.pp_s == 0);
        CHECK(stage_costs(*st, 3).backward_comm.pp_s > 0);
        CHECK(stage_costs(*st, 4).forward_comm.pp_s > 0);
        CHECK(stage_costs(*st, 0).backward_comm.pp_s == 0);
        CHECK(stage_costs(*st, 7).forward_comm.pp_s == 0);
        for (int s : {1, 2, 5, 6}) {
            INFO("stage " << s);
            CHECK(stage_costs(*st, s).forward_comm.pp_s > 0);
            CHECK(stage_costs(*st, s).backward_comm.pp_s > 0);
        }
    }
}
