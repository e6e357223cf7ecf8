#pragma once
// A sweep read back from the results store (`moesim report sweep`): its `sweeps` row, found
// by id or name, and the runs tagged with it.
#include <cstdint>
#include <string>
#include <vector>

#include "moesim/reports/results_db.h"

namespace moesim::report {

struct SweepRecord {
    std::int64_t id = 0;
    std::string name;
    std::string created_utc;
    std::string sweep_json;  // the sweep document, as read
    std::int64_t points = 0;  // points its axes span
};

// `which`: a sweep id ("3"), a sweep name, or "" for the newest sweep. Throws UserError (exit
// 2) when nothing matches, listing the sweeps the database holds, and when several sweep
// documents share the name, listing their ids.
SweepRecord find_sweep(ResultsDb& db, const std::string& which);

// The runs tagged with the sweep, in id order (the sweep's point order).
std::vector<StoredRun> sweep_runs(ResultsDb& db, std::int64_t sweep_id);

}  // namespace moesim::report
