#include "moesim/kernels/collectives.h"

#include <algorithm>

#include "moesim/common/collective_traits.h"
#include "moesim/common/error.h"

namespace moesim::kernels {

const char* collective_name(CollectiveOp op) {
    switch (op) {
        case CollectiveOp::AllReduce: return "all_reduce";
        case CollectiveOp::AllGather: return "all_gather";
        case CollectiveOp::ReduceScatter: return "reduce_scatter";
        case CollectiveOp::AllToAll: return "all_to_all";
        case CollectiveOp::SendRecv: return "send_recv";
    }
    return "?";
}

std::vector<CollectiveOp> all_collectives() {
    return {CollectiveOp::AllReduce, CollectiveOp::AllGather, CollectiveOp::ReduceScatter,
            CollectiveOp::AllToAll, CollectiveOp::SendRecv};
}

CollectiveOp collective_from_name(const std::string& name) {
    for (const CollectiveOp op : all_collectives())
        if (name == collective_name(op)) return op;
    MOESIM_CHECK(false, "unknown collective '" + name + "'");
    return CollectiveOp::AllReduce;
}

double busbw_factor(CollectiveOp op, int ranks) {
    MOESIM_CHECK(ranks > 0, "busbw_factor: no ranks");
    const CollectiveTraits* t = find_collective_traits(collective_name(op));
    MOESIM_CHECK(t != nullptr, "no traits for collective");
    return bus_factor(*t, ranks);
}

double collective_size_bytes(const CollectiveCounts& c, std::size_t element_bytes) {
    return static_cast<double>(std::max(c.send_count, c.recv_count) * element_bytes);
}

CollectiveRates collective_rates(CollectiveOp op, const CollectiveCounts& c, std::size_t element_bytes,
                                 int ranks, double time_s) {
    MOESIM_CHECK(time_s > 0 && ranks > 0, "collective_rates: time and ranks must be positive");
    // nccl-tests' *GetBw, from the count argument (param_count).
    const double per_rank = static_cast<double>(c.param_count * element_bytes);
    const bool scaled = op == CollectiveOp::AllGather || op == CollectiveOp::ReduceScatter ||
                        op == CollectiveOp::AllToAll;
    CollectiveRates r;
    r.algbw_GBps = (scaled ? per_rank * ranks : per_rank) / 1e9 / time_s;
    r.busbw_GBps = r.algbw_GBps * busbw_factor(op, ranks);
    return r;
}

std::vector<std::vector<float>> collective_reference(CollectiveOp op, const std::vector<std::vector<float>>& send,
                                                     const CollectiveCounts& c) {
    const int n = static_cast<int>(send.size());
    MOESIM_CHECK(n > 0, "collective_reference: no ranks");
    for (const auto& s : send) MOESIM_CHECK(s.size() == c.send_count, "collective_reference: send size");
    std::vector<std::vector<float>> recv(static_cast<std::size_t>(n), std::vector<float>(c.recv_count, 0.0f));
    for (int r = 0; r < n; ++r) {
        auto& out = recv[static_cast<std::size_t>(r)];
        switch (op) {
            case CollectiveOp::AllReduce:
                for (int s = 0; s < n; ++s)
                    for (std::size_t i = 0; i < c.recv_count; ++i) out[i] += send[static_cast<std::size_t>(s)][i];
                break;
            case CollectiveOp::AllGather:
                for (int s = 0; s < n; ++s)
                    std::copy(send[static_cast<std::size_t>(s)].begin(), send[static_cast<std::size_t>(s)].end(),
                              out.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(s) * c.send_count));
                break;
            case CollectiveOp::ReduceScatter:
                for (int s = 0; s < n; ++s)
                    for (std::size_t i = 0; i < c.recv_count; ++i)
                        out[i] += send[static_cast<std::size_t>(s)][static_cast<std::size_t>(r) * c.recv_count + i];
                break;
            case CollectiveOp::AllToAll:
                // nccl-tests' all-to-all: rank s sends its r-th chunk to rank r, which stores it
                // as its s-th chunk (grouped ncclSend/ncclRecv).
                for (int s = 0; s < n; ++s)
                    for (std::size_t j = 0; j < c.param_count; ++j)
                        out[static_cast<std::size_t>(s) * c.param_count + j] =
                            send[static_cast<std::size_t>(s)][static_cast<std::size_t>(r) * c.param_count + j];
                break;
            case CollectiveOp::SendRecv:
                out = send[static_cast<std::size_t>((r + n - 1) % n)];
                break;
        }
    }
    return recv;
}

}  // namespace moesim::kernels
