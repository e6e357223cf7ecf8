#pragma once
// Which runs a report shows: `--runs 1,4-6` or `--name GLOB`, or every run of the report's
// mode. A report reads; it never creates a results database.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "moesim/reports/results_db.h"

namespace moesim::report {

// Opens the database at `path` for a report; DatabaseError if there is no file there
// (a report must not leave an empty database behind).
ResultsDb open_existing_results_db(const std::filesystem::path& path);

struct RunSelection {
    std::vector<std::int64_t> ids;            // from --runs; empty when not given
    std::optional<std::string> name_pattern;  // from --name, a glob as `moesim runs --name`
};

// "3", "1,4,7", "2-5", "1,3-4": the ids in the order given. Throws UserError for anything
// else, a descending range or an id given twice.
std::vector<std::int64_t> parse_run_ids(const std::string& text);

enum class RunMode { Training, Inference };

// The selected runs of `mode`: in --runs order, otherwise oldest first. Throws UserError when
// an id names no run or a run of the other mode, or when nothing is selected — naming the
// other report when the runs asked for are of its mode.
std::vector<StoredRun> select_runs(ResultsDb& db, const RunSelection& selection, RunMode mode);

}  // namespace moesim::report
