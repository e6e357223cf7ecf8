// The NCCL sweep. One process drives every GPU (ncclCommInitAll, one stream each); each
// collective is launched on all ranks inside ncclGroupStart/End, as nccl-tests does with -g.
// Timing follows nccl-tests: a host clock around a batch of iterations, then every stream
// synchronised; the batch's time per iteration is one repetition, and the measurement is the
// median over SuitePlan::repetitions batches.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "moesim/kernels/cuda_check.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/error_check.h"
#include "moesim/kernels/nccl_api.h"
#include "moesim/kernels/nccl_bench.h"
#include "moesim/kernels/nccl_cuda.h"

#define MOESIM_NCCL_CHECK(expr)                                                                       \
    do {                                                                                              \
        const ncclResult_t moesim_nccl_status_ = (expr);                                              \
        if (moesim_nccl_status_ != ncclSuccess)                                                       \
            throw ::moesim::kernels::NcclError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                               ": " #expr " failed: " + ::moesim::kernels::nccl().ncclGetErrorString(moesim_nccl_status_)); \
    } while (0)

namespace moesim::kernels {
namespace {

constexpr std::size_t kElementBytes = sizeof(float);

// One rank: its device, communicator, stream and buffers.
struct Rank {
    int device = 0;
    ncclComm_t comm = nullptr;
    cudaStream_t stream = nullptr;
    DeviceBuffer<float> send, recv;
    DeviceBuffer<unsigned long long> wrong;
};

class Ranks {
public:
    explicit Ranks(std::size_t max_elements) {
        int count = 0;
        MOESIM_CUDA_CHECK(cudaGetDeviceCount(&count));
        std::vector<int> devices(static_cast<std::size_t>(count));
        for (int d = 0; d < count; ++d) devices[static_cast<std::size_t>(d)] = d;
        std::vector<ncclComm_t> comms(static_cast<std::size_t>(count));
        MOESIM_NCCL_CHECK(nccl().ncclCommInitAll(comms.data(), count, devices.data()));
        ranks_.resize(static_cast<std::size_t>(count));
        for (int d = 0; d < count; ++d) {
            Rank& r = ranks_[static_cast<std::size_t>(d)];
            r.device = d;
            r.comm = comms[static_cast<std::size_t>(d)];
        }
        for (Rank& r : ranks_) {
            MOESIM_CUDA_CHECK(cudaSetDevice(r.device));
            MOESIM_CUDA_CHECK(cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking));
            r.send = DeviceBuffer<float>(max_elements);
            r.recv = DeviceBuffer<float>(max_elements);
            r.wrong = DeviceBuffer<unsigned long long>(1);
        }
        MOESIM_CUDA_CHECK(cudaSetDevice(0));
    }
    ~Ranks() {
        for (Rank& r : ranks_) {
            cudaSetDevice(r.device);
            r.send = {};
            r.recv = {};
            r.wrong = {};
            if (r.stream) cudaStreamDestroy(r.stream);
            if (r.comm) nccl().ncclCommDestroy(r.comm);
        }
        cudaSetDevice(0);
    }
    Ranks(const Ranks&) = delete;
    Ranks& operator=(const Ranks&) = delete;

    int size() const { return static_cast<int>(ranks_.size()); }
    std::vector<Rank>& all() { return ranks_; }

    void synchronize() {
        for (Rank& r : ranks_) {
            MOESIM_CUDA_CHECK(cudaSetDevice(r.device));
            MOESIM_CUDA_CHECK(cudaStreamSynchronize(r.stream));
        }
    }

private:
    std::vector<Rank> ranks_;
};

void launch(CollectiveOp op, const CollectiveCounts& c, Ranks& ranks) {
    const int n = ranks.size();
    MOESIM_NCCL_CHECK(nccl().ncclGroupStart());
    for (int rank = 0; rank < n; ++rank) {
        Rank& r = ranks.all()[static_cast<std::size_t>(rank)];
        const float* send = r.send.get();
        float* recv = r.recv.get();
        switch (op) {
            case CollectiveOp::AllReduce:
                MOESIM_NCCL_CHECK(nccl().ncclAllReduce(send, recv, c.param_count, ncclFloat32, ncclSum, r.comm, r.stream));
                break;
            case CollectiveOp::AllGather:
                MOESIM_NCCL_CHECK(nccl().ncclAllGather(send, recv, c.param_count, ncclFloat32, r.comm, r.stream));
                break;
            case CollectiveOp::ReduceScatter:
                MOESIM_NCCL_CHECK(nccl().ncclReduceScatter(send, recv, c.param_count, ncclFloat32, ncclSum, r.comm, r.stream));
                break;
            case CollectiveOp::AllToAll:
                // nccl-tests' all-to-all: a send and a receive of param_count elements per peer.
                for (int peer = 0; peer < n; ++peer) {
                    const std::size_t offset = static_cast<std::size_t>(peer) * c.param_count;
                    MOESIM_NCCL_CHECK(nccl().ncclSend(send + offset, c.param_count, ncclFloat32, peer, r.comm, r.stream));
                    MOESIM_NCCL_CHECK(nccl().ncclRecv(recv + offset, c.param_count, ncclFloat32, peer, r.comm, r.stream));
                }
                break;
            case CollectiveOp::SendRecv:
                MOESIM_NCCL_CHECK(nccl().ncclSend(send, c.param_count, ncclFloat32, (rank + 1) % n, r.comm, r.stream));
                MOESIM_NCCL_CHECK(nccl().ncclRecv(recv, c.param_count, ncclFloat32, (rank + n - 1) % n, r.comm, r.stream));
                break;
        }
    }
    MOESIM_NCCL_CHECK(nccl().ncclGroupEnd());
}

double batch_seconds(CollectiveOp op, const CollectiveCounts& c, Ranks& ranks, int iterations) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) launch(op, c, ranks);
    ranks.synchronize();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iterations;
}

void bench_one(CollectiveOp op, double size_bytes, const SuitePlan& plan, Ranks& ranks, const MeasurementSink& sink) {
    const int n = ranks.size();
    const auto count = static_cast<std::size_t>(size_bytes) / kElementBytes;
    const CollectiveCounts c = collective_counts(op, count, n);
    if (c.param_count == 0) return;  // fewer elements than ranks: nothing to send

    for (Rank& r : ranks.all()) {
        MOESIM_CUDA_CHECK(cudaSetDevice(r.device));
        fill_collective_send(r.send.get(), c.send_count, r.device, r.stream);
        MOESIM_CUDA_CHECK(cudaMemsetAsync(r.recv.get(), 0, c.recv_count * kElementBytes, r.stream));
    }
    ranks.synchronize();
    for (int i = 0; i < plan.warmup; ++i) launch(op, c, ranks);
    ranks.synchronize();
    // Batches of at least ~1 ms (nccl-tests runs 20 iterations by default), so that the host
    // clock and launch overhead stay small against the collectives they time.
    const double one = batch_seconds(op, c, ranks, 1);
    const int iterations = std::clamp(static_cast<int>(std::ceil(1e-3 / std::max(one, 1e-7))), 1, 50);
    std::vector<double> times_s;
    for (int rep = 0; rep < plan.repetitions; ++rep) times_s.push_back(batch_seconds(op, c, ranks, iterations));

    Measurement m;
    m.kind = "collective";
    m.impl = "nccl";
    m.op = collective_name(op);
    m.shape = {{"size_bytes", collective_size_bytes(c, kElementBytes)}, {"ranks", n}};
    m.bytes = collective_size_bytes(c, kElementBytes);
    set_rates(m, times_s);
    const CollectiveRates rates = collective_rates(op, c, kElementBytes, n, m.time_s);
    m.algbw_GBps = rates.algbw_GBps;
    m.busbw_GBps = rates.busbw_GBps;

    // Every received element of every rank against collective_expected (FP32, exact).
    unsigned long long wrong_total = 0;
    for (Rank& r : ranks.all()) {
        MOESIM_CUDA_CHECK(cudaSetDevice(r.device));
        MOESIM_CUDA_CHECK(cudaMemsetAsync(r.wrong.get(), 0, sizeof(unsigned long long), r.stream));
        count_collective_wrong(r.recv.get(), op, r.device, n, c, r.wrong.get(), r.stream);
    }
    ranks.synchronize();
    for (Rank& r : ranks.all()) {
        MOESIM_CUDA_CHECK(cudaSetDevice(r.device));
        wrong_total += r.wrong.download()[0];
    }
    MOESIM_CUDA_CHECK(cudaSetDevice(0));
    ErrorCheck check("every received FP32 element of all " + std::to_string(n) +
                     " ranks against the expected integer values (exact); max_error = elements that differ");
    check.add(static_cast<double>(wrong_total), 0.0, 0.0, 0);
    check.apply(m);
    sink(std::move(m));
}

}  // namespace

void bench_collectives(std::span<const double> sizes_bytes, const SuitePlan& plan, const MeasurementSink& sink) {
    if (sizes_bytes.empty()) return;
    const double largest = *std::max_element(sizes_bytes.begin(), sizes_bytes.end());
    Ranks ranks(static_cast<std::size_t>(largest) / kElementBytes);
    for (const CollectiveOp op : all_collectives())
        for (double size : sizes_bytes) bench_one(op, size, plan, ranks, sink);
}

}  // namespace moesim::kernels
