#include "moesim/reports/run_selection.h"

#include <algorithm>
#include <charconv>

#include "moesim/common/error.h"

namespace moesim::report {

namespace {

const char* mode_name(RunMode mode) { return mode == RunMode::Training ? "training" : "inference"; }
// What the user calls them, and the report that shows them.
std::string runs_noun(RunMode mode, std::size_t count = 2) {
    return std::string(mode == RunMode::Training ? "training run" : "serving run") + (count == 1 ? "" : "s");
}
const char* report_verb(RunMode mode) {
    return mode == RunMode::Training ? "moesim report training" : "moesim report compare";
}
RunMode other(RunMode mode) { return mode == RunMode::Training ? RunMode::Inference : RunMode::Training; }

std::int64_t parse_id(const std::string& text, const std::string& whole) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id < 1)
        throw UserError("--runs " + whole + ": \"" + text + "\" is not a run id (ids are 1, 2, 3, …; e.g. --runs 1,4-6)");
    return id;
}

}  // namespace

ResultsDb open_existing_results_db(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw DatabaseError("results database " + path.string() +
                            ": no such file (moesim run writes one; --db names another)");
    return ResultsDb(path);
}

std::vector<std::int64_t> parse_run_ids(const std::string& text) {
    std::vector<std::int64_t> ids;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string part = text.substr(start, comma - start);
        const std::size_t dash = part.find('-');
        std::int64_t first = 0, last = 0;
        if (dash == std::string::npos) {
            first = last = parse_id(part, text);
        } else {
            first = parse_id(part.substr(0, dash), text);
            last = parse_id(part.substr(dash + 1), text);
            if (last < first) throw UserError("--runs " + text + ": range " + part + " runs backwards");
            if (last - first >= 100000) throw UserError("--runs " + text + ": range " + part + " is too long");
        }
        for (std::int64_t id = first; id <= last; ++id) {
            if (std::find(ids.begin(), ids.end(), id) != ids.end())
                throw UserError("--runs " + text + ": run " + std::to_string(id) + " is given twice");
            ids.push_back(id);
        }
        start = comma + 1;
    }
    return ids;
}

std::vector<StoredRun> select_runs(ResultsDb& db, const RunSelection& selection, RunMode mode) {
    if (!selection.ids.empty() && selection.name_pattern)
        throw UserError("give --runs or --name, not both");
    std::vector<StoredRun> runs;
    if (!selection.ids.empty()) {
        for (std::int64_t id : selection.ids) {
            std::optional<StoredRun> run = db.load_run(id);
            if (!run)
                throw UserError("--runs: run " + std::to_string(id) + " is not in " + db.path() +
                                " (moesim runs --db " + db.path() + " lists what it holds)");
            if (run->record.mode != mode_name(mode))
                throw UserError("--runs: run " + std::to_string(id) + " (\"" + run->record.name + "\") is one of the " +
                                runs_noun(other(mode)) + "; " + report_verb(other(mode)) + " shows those");
            runs.push_back(std::move(*run));
        }
        return runs;
    }

    std::vector<RunSummary> listed = db.list_runs(0, selection.name_pattern);
    std::reverse(listed.begin(), listed.end());  // oldest first: side by side in the order they were run
    std::size_t of_other_mode = 0;
    for (const RunSummary& summary : listed) {
        if (summary.mode != mode_name(mode)) {
            ++of_other_mode;
            continue;
        }
        std::optional<StoredRun> run = db.load_run(summary.id);
        MOESIM_CHECK(run.has_value(), "run " + std::to_string(summary.id) + " vanished");
        runs.push_back(std::move(*run));
    }
    if (runs.empty()) {
        const std::string which = selection.name_pattern ? " whose name matches \"" + *selection.name_pattern + "\"" : "";
        std::string message = db.path() + " holds no " + runs_noun(mode) + which;
        if (of_other_mode > 0)
            message += " (" + std::to_string(of_other_mode) + " " + runs_noun(other(mode), of_other_mode) + which + ": " +
                       report_verb(other(mode)) + " shows those)";
        else if (!selection.name_pattern)
            message += " (moesim run writes them)";
        throw UserError(message);
    }
    return runs;
}

}  // namespace moesim::report
