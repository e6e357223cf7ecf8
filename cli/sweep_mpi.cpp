#include "sweep_mpi.h"

#include <cstdlib>
#include <exception>
#include <string>

#include "moesim/common/error.h"

#ifdef MOESIM_WITH_MPI
#include <mpi.h>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#endif

namespace moesim::cli {

namespace {

// The ranks mpirun started, from the environment its launcher sets (Open MPI, then the PMI
// of MPICH and others); 1 when not started by one.
int launched_ranks() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
        if (const char* v = std::getenv(name)) return std::max(1, std::atoi(v));
    return 1;
}

}  // namespace

#ifndef MOESIM_WITH_MPI

SweepMpi::SweepMpi() {
    if (launched_ranks() > 1)
        throw UserError("this moesim was built without MPI (libopenmpi-dev was absent when it was configured), so "
                        "under mpirun every rank would run the whole sweep: run it without mpirun (-j for the cores "
                        "of one machine), or install libopenmpi-dev and build again");
}
SweepMpi::~SweepMpi() = default;
// Never called: without MPI there is one rank, and it is not active().
int SweepMpi::wait_for_rank0() { throw InternalError("SweepMpi::wait_for_rank0 without MPI"); }
void SweepMpi::start() {}
int SweepMpi::serve(const Compute&) { throw InternalError("SweepMpi::serve without MPI"); }
std::vector<nlohmann::json> SweepMpi::map(const std::vector<std::int64_t>&, const Compute&,
                                          const std::function<void()>&) {
    throw InternalError("SweepMpi::map without MPI");
}
void SweepMpi::stop_workers(int) {}

#else

namespace {

constexpr int kResultTag = 1;  // worker → rank 0: JSON text, {} (ready), {"k", "outcome"} or {"error"}
constexpr int kWorkTag = 2;    // rank 0 → worker: {k, point}, or {-1, exit status} to stop

// Waits for a nonblocking operation without spinning a core: Open MPI's blocking calls poll
// the network flat out, and a sweep's ranks share the cores with that polling.
void wait(MPI_Request& request, MPI_Status* status = MPI_STATUS_IGNORE) {
    for (int flag = 0;;) {
        MPI_Test(&request, &flag, status);
        if (flag) return;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
}

void send_text(const std::string& text, int to) {
    MPI_Request request;
    MPI_Isend(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, kResultTag, MPI_COMM_WORLD, &request);
    wait(request);
}

void send_work(std::int64_t k, std::int64_t point, int to) {
    const std::array<std::int64_t, 2> message{k, point};
    MPI_Send(message.data(), 2, MPI_INT64_T, to, kWorkTag, MPI_COMM_WORLD);
}

// The next message from `from` (MPI_ANY_SOURCE: anyone); nullopt if none yet and `block` is false.
std::optional<std::pair<int, nlohmann::json>> receive(int from, bool block) {
    MPI_Status status;
    for (int flag = 0;;) {
        MPI_Iprobe(from, kResultTag, MPI_COMM_WORLD, &flag, &status);
        if (flag) break;
        if (!block) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    std::string text(static_cast<std::size_t>(count), '\0');
    MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, kResultTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return std::pair{status.MPI_SOURCE, nlohmann::json::parse(text)};
}

// Whether every rank read the sweep: -1, or the highest rank that could not.
int agree(int failed_rank) {
    int highest = -1;
    MPI_Request request;
    MPI_Iallreduce(&failed_rank, &highest, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &request);
    wait(request);
    return highest;
}

int broadcast_go(int go) {
    MPI_Request request;
    MPI_Ibcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD, &request);
    wait(request);
    return go;
}

constexpr int kGo = -1;

}  // namespace

SweepMpi::SweepMpi() {
    if (launched_ranks() <= 1) return;
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MOESIM_CHECK(provided >= MPI_THREAD_FUNNELED, "MPI does not allow threads beside the one calling it");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

// The workers end with 0 even when rank 0 fails: as soon as one rank ends non-zero, mpirun
// kills the others, and rank 0 would be cut off before it has printed why (its error is
// printed by main(), after this destructor). mpirun exits with rank 0's status.
SweepMpi::~SweepMpi() {
    if (!active()) return;
    if (!worker() && !go_sent_) broadcast_go(0);
    if (!worker() && ready_) stop_workers(0);
    if (worker() && go_sent_ && !ready_) agree(rank_);  // this worker could not read the sweep
    MPI_Finalize();
}

int SweepMpi::wait_for_rank0() {
    const int go = broadcast_go(0);
    go_sent_ = go == kGo;
    return go_sent_ ? -1 : go;
}

void SweepMpi::start() {
    if (!active()) return;
    broadcast_go(kGo);
    go_sent_ = true;
    if (const int failed = agree(-1); failed >= 0)
        throw UserError("rank " + std::to_string(failed) +
                        " of the sweep could not read it (its error is above); nothing was run");
    ready_ = true;
    for (int w = 1; w < size_; ++w) busy_.insert(w);  // each says it is ready by asking for a point
}

int SweepMpi::serve(const Compute& compute) {
    if (agree(-1) >= 0) return 0;  // another worker could not read the sweep: it says why, rank 0 exits 2
    ready_ = true;
    std::string message = "{}";
    for (;;) {
        send_text(message, 0);
        std::array<std::int64_t, 2> work{};
        MPI_Request request;
        MPI_Irecv(work.data(), 2, MPI_INT64_T, 0, kWorkTag, MPI_COMM_WORLD, &request);
        wait(request);
        if (work[0] < 0) return static_cast<int>(work[1]);
        try {
            message = nlohmann::json{{"k", work[0]}, {"outcome", compute(work[1])}}.dump();
        } catch (const std::exception& e) {
            send_text(nlohmann::json{{"error", e.what()}}.dump(), 0);
            throw;
        }
    }
}

std::vector<nlohmann::json> SweepMpi::map(const std::vector<std::int64_t>& points, const Compute& compute,
                                          const std::function<void()>& done) {
    const std::size_t n = points.size();
    std::vector<nlohmann::json> out(n);
    std::mutex mutex;
    std::size_t next = 0;
    const auto take = [&]() -> std::optional<std::size_t> {
        std::lock_guard lock(mutex);
        if (next < n) return next++;
        return std::nullopt;
    };
    const auto hand_out = [&](int w) {
        if (const auto k = take()) {
            send_work(static_cast<std::int64_t>(*k), points[*k], w);
            busy_.insert(w);
        } else {
            idle_.insert(w);
        }
    };
    for (const int w : std::set<int>(std::exchange(idle_, {}))) hand_out(w);

    // This rank computes too, on a thread of its own; only this one calls MPI.
    std::atomic<std::size_t> arrived{0};
    std::atomic<bool> stop{false};
    std::exception_ptr local_error;
    std::thread local([&] {
        try {
            while (!stop) {
                const auto k = take();
                if (!k) return;
                out[*k] = compute(points[*k]);
                ++arrived;
                done();
            }
        } catch (...) {
            local_error = std::current_exception();
            stop = true;
        }
    });
    const auto join = [&] {
        stop = true;
        local.join();
    };
    try {
        while (arrived < n && !stop) {
            auto message = receive(MPI_ANY_SOURCE, false);
            if (!message) {
                std::this_thread::sleep_for(std::chrono::microseconds(100));
                continue;
            }
            auto& [from, body] = *message;
            busy_.erase(from);
            if (body.contains("error"))
                throw InternalError("sweep rank " + std::to_string(from) + ": " + body.at("error").get<std::string>());
            if (body.contains("k")) {
                out.at(body.at("k").get<std::size_t>()) = std::move(body.at("outcome"));
                ++arrived;
                done();
            }
            hand_out(from);
        }
    } catch (...) {
        join();
        throw;
    }
    join();
    if (local_error) std::rethrow_exception(local_error);
    return out;
}

// Rank 0: waits for the workers still computing, then tells every worker to end with
// `exit_status`.
void SweepMpi::stop_workers(int exit_status) {
    for (const int w : std::set<int>(busy_)) {
        const auto message = receive(w, true);
        busy_.erase(w);
        if (!message->second.contains("error")) idle_.insert(w);  // a failed worker has ended
    }
    for (const int w : idle_) send_work(-1, exit_status, w);
    idle_.clear();
}

#endif

}  // namespace moesim::cli
