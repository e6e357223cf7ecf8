// The NCCL sweep's host logic: nccl-tests' counts, sizes, algbw and busbw, and the expected
// receive values against a CPU reference of each collective.
#include <catch2/catch.hpp>

#include "moesim/common/error.h"
#include "moesim/kernels/collectives.h"

using namespace moesim::kernels;

TEST_CASE("busbw factors are nccl-tests'", "[kernels]") {
    CHECK(busbw_factor(CollectiveOp::AllReduce, 8) == Approx(1.75));
    CHECK(busbw_factor(CollectiveOp::AllGather, 8) == Approx(0.875));
    CHECK(busbw_factor(CollectiveOp::ReduceScatter, 8) == Approx(0.875));
    CHECK(busbw_factor(CollectiveOp::AllToAll, 8) == Approx(0.875));
    CHECK(busbw_factor(CollectiveOp::SendRecv, 8) == 1.0);
    CHECK(busbw_factor(CollectiveOp::AllReduce, 1) == 0.0);
    CHECK(busbw_factor(CollectiveOp::AllReduce, 2) == Approx(1.0));
    CHECK(std::string(collective_name(CollectiveOp::AllToAll)) == "all_to_all");
    CHECK(all_collectives().size() == 5u);
    for (const CollectiveOp op : all_collectives()) CHECK(collective_from_name(collective_name(op)) == op);
    CHECK_THROWS_AS(collective_from_name("broadcast"), moesim::InternalError);
}

TEST_CASE("counts, size and bandwidths as nccl-tests reports them", "[kernels]") {
    const std::size_t count = (1u << 30) / 4;  // 1 GiB of floats
    // all_gather on 8 ranks: each sends 1/8, receives all; size 1 GiB; algbw = size / time.
    const CollectiveCounts ag = collective_counts(CollectiveOp::AllGather, count, 8);
    CHECK(ag.param_count == count / 8);
    CHECK(ag.recv_count == count);
    CHECK(collective_size_bytes(ag, 4) == 1073741824.0);
    const CollectiveRates r = collective_rates(CollectiveOp::AllGather, ag, 4, 8, 0.01);
    CHECK(r.algbw_GBps == Approx(107.3741824));
    CHECK(r.busbw_GBps == Approx(107.3741824 * 7 / 8));
    // all_reduce: param = count; algbw = size / time; busbw 2(n-1)/n of it.
    const CollectiveCounts ar = collective_counts(CollectiveOp::AllReduce, count, 8);
    const CollectiveRates rr = collective_rates(CollectiveOp::AllReduce, ar, 4, 8, 0.01);
    CHECK(rr.algbw_GBps == Approx(107.3741824));
    CHECK(rr.busbw_GBps == Approx(107.3741824 * 1.75));
    // reduce_scatter and all_to_all round the count down to a multiple of the ranks.
    const CollectiveCounts rs = collective_counts(CollectiveOp::ReduceScatter, 100, 3);
    CHECK(rs.send_count == 99u);
    CHECK(rs.recv_count == 33u);
    CHECK(collective_size_bytes(rs, 4) == 396.0);
    CHECK(collective_rates(CollectiveOp::ReduceScatter, rs, 4, 3, 1e-6).algbw_GBps == Approx(0.396));
    const CollectiveCounts a2a = collective_counts(CollectiveOp::AllToAll, 100, 3);
    CHECK(a2a.param_count == 33u);
    CHECK(a2a.recv_count == 99u);
    // send_recv: algbw = size / time, busbw the same.
    const CollectiveCounts sr = collective_counts(CollectiveOp::SendRecv, 256, 2);
    const CollectiveRates rsr = collective_rates(CollectiveOp::SendRecv, sr, 4, 2, 1e-6);
    CHECK(rsr.algbw_GBps == Approx(1.024));
    CHECK(rsr.busbw_GBps == Approx(1.024));
}

TEST_CASE("collective_expected is what each collective delivers", "[kernels]") {
    for (const CollectiveOp op : all_collectives())
        for (int n : {1, 2, 3, 8}) {
            INFO(collective_name(op) << " on " << n << " ranks");
            const CollectiveCounts c = collective_counts(op, 8 * 29, n);
            std::vector<std::vector<float>> send(static_cast<std::size_t>(n));
            for (int r = 0; r < n; ++r)
                for (std::size_t i = 0; i < c.send_count; ++i) send[static_cast<std::size_t>(r)].push_back(collective_send_value(r, i));
            const auto recv = collective_reference(op, send, c);
            std::size_t wrong = 0;
            for (int r = 0; r < n; ++r)
                for (std::size_t i = 0; i < c.recv_count; ++i)
                    wrong += recv[static_cast<std::size_t>(r)][i] != collective_expected(op, r, i, n, c);
            CHECK(wrong == 0u);
        }
    // The values differ between ranks and indices, so a misrouted chunk is seen.
    CHECK(collective_send_value(0, 0) != collective_send_value(1, 0));
    CHECK(collective_send_value(0, 0) != collective_send_value(0, 1));
    const CollectiveCounts c = collective_counts(CollectiveOp::AllToAll, 64, 4);
    CHECK(collective_expected(CollectiveOp::AllToAll, 1, 0, 4, c) != collective_expected(CollectiveOp::AllToAll, 2, 0, 4, c));
}
