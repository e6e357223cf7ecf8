#pragma once
// `mpirun -np N moesim sweep SWEEP.json --db D` (issue 14 item 3): one sweep over N ranks,
// on one machine or many. Rank 0 reads the sweep, skips the points the database holds and
// hands out the rest one point at a time to whichever rank asks; it also computes points on a
// thread of its own. Workers return each outcome in its wire form (sweep_point.h) and never
// open the database: rank 0 alone writes it, block by block in point order as a
// single-process sweep does, so the rows are the same whatever N.
//
// Started by anything but mpirun with more than one rank (OMPI_COMM_WORLD_SIZE, PMI_SIZE),
// none of this runs and MPI is never initialised. A moesim built without MPI refuses to run
// a sweep under mpirun with several ranks (each rank would run the whole sweep).
//
// Errors: rank 0 reads the sweep first; if it cannot, it alone prints why, exits 2, and so
// does mpirun; the workers end quietly, with 0, because mpirun kills every rank as soon as one
// ends non-zero and rank 0 would be cut off before printing. A worker that cannot read the
// sweep (another machine, another file system) prints why and exits 2, as does rank 0. Rank 0
// failing later (the database) stops the workers the same way; a worker's internal error
// reaches rank 0, which exits 1. No rank is left waiting.
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moesim::cli {

class SweepMpi {
public:
    using Compute = std::function<nlohmann::json(std::int64_t point)>;

    SweepMpi();   // MPI_Init when launched by mpirun with several ranks
    ~SweepMpi();  // stops the workers (rank 0), MPI_Finalize
    SweepMpi(const SweepMpi&) = delete;
    SweepMpi& operator=(const SweepMpi&) = delete;

    bool active() const { return size_ > 1; }
    bool worker() const { return rank_ > 0; }
    int ranks() const { return size_; }

    // Worker, first thing: waits for rank 0 to have read the sweep. Returns the exit status
    // to end with when rank 0 stopped before (--help, an error), else -1.
    int wait_for_rank0();
    // Rank 0, the sweep read and the database open: lets the workers read it, and waits for
    // them to have. Throws UserError when one could not (its error is on its stderr).
    void start();
    // Worker, the sweep read: tells rank 0, then computes the points it is handed until
    // told to stop; returns the exit status to end with.
    int serve(const Compute& compute);
    // Rank 0: the outcomes of `points`, in their order, computed by whichever rank asked
    // first (this one included); `done` is called, on this thread, as each arrives.
    std::vector<nlohmann::json> map(const std::vector<std::int64_t>& points, const Compute& compute,
                                    const std::function<void()>& done);

private:
    void stop_workers(int exit_status);

    int rank_ = 0, size_ = 1;
    bool go_sent_ = false;    // rank 0: the workers were told whether to go on
    bool ready_ = false;      // every rank read the sweep; workers are serving
    std::set<int> idle_;      // rank 0: workers waiting for a point
    std::set<int> busy_;      // rank 0: workers computing a point
};

}  // namespace moesim::cli
