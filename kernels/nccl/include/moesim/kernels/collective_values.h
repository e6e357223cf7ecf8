#pragma once
// The collectives of the NCCL sweep, their element counts as nccl-tests sets them, and the data
// every rank sends and must receive (small integers, so that FP32 sums are exact and a check
// can demand equality). C++17 and usable in device code: the GPU check kernel uses the same
// functions as the CPU reference and its tests.
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define MOESIM_HD __host__ __device__
#else
#define MOESIM_HD
#endif

namespace moesim::kernels {

enum class CollectiveOp { AllReduce, AllGather, ReduceScatter, AllToAll, SendRecv };

// nccl-tests' counts for a requested size of `count` elements on n ranks (its
// *GetCollByteCount): elements each rank sends and receives, and the count passed to NCCL.
//   all_reduce:      send = recv = param = count
//   all_gather:      send = param = count/n, recv = send·n
//   reduce_scatter:  send = (count/n)·n, recv = param = count/n
//   all_to_all:      send = recv = (count/n)·n, param = count/n (elements to each peer)
//   send_recv:       send = recv = param = count (rank r sends to r+1, receives from r−1)
struct CollectiveCounts {
    std::size_t send_count = 0, recv_count = 0, param_count = 0;
};

MOESIM_HD inline CollectiveCounts collective_counts(CollectiveOp op, std::size_t count, int ranks) {
    const std::size_t n = static_cast<std::size_t>(ranks), base = count / n;
    switch (op) {
        case CollectiveOp::AllGather: return {base, base * n, base};
        case CollectiveOp::ReduceScatter: return {base * n, base, base};
        case CollectiveOp::AllToAll: return {base * n, base * n, base};
        case CollectiveOp::AllReduce:
        case CollectiveOp::SendRecv:
        default: return {count, count, count};
    }
}

// Element i of rank r's send buffer: an integer in [−8, 8].
MOESIM_HD inline float collective_send_value(int rank, std::size_t i) {
    const std::uint64_t h = static_cast<std::uint64_t>(rank) * 7u + static_cast<std::uint64_t>(i) * 13u;
    return static_cast<float>(static_cast<int>(h % 17u) - 8);
}

// Element i of rank r's receive buffer after the collective (sum for the reductions).
MOESIM_HD inline float collective_expected(CollectiveOp op, int rank, std::size_t i, int ranks,
                                           const CollectiveCounts& c) {
    switch (op) {
        case CollectiveOp::AllReduce: {
            float sum = 0.0f;
            for (int s = 0; s < ranks; ++s) sum += collective_send_value(s, i);
            return sum;
        }
        case CollectiveOp::AllGather:
            return collective_send_value(static_cast<int>(i / c.send_count), i % c.send_count);
        case CollectiveOp::ReduceScatter: {
            float sum = 0.0f;
            for (int s = 0; s < ranks; ++s)
                sum += collective_send_value(s, static_cast<std::size_t>(rank) * c.recv_count + i);
            return sum;
        }
        case CollectiveOp::AllToAll:
            return collective_send_value(static_cast<int>(i / c.param_count),
                                         static_cast<std::size_t>(rank) * c.param_count + i % c.param_count);
        case CollectiveOp::SendRecv:
        default:
            return collective_send_value((rank + ranks - 1) % ranks, i);
    }
}

}  // namespace moesim::kernels
