#include "moesim/reports/sweep_store.h"

#include <algorithm>
#include <charconv>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"

namespace moesim::report {

namespace {

std::vector<SweepRecord> all_sweeps(ResultsDb& db) {
    Statement q(db.connection(), "SELECT id, name, created_utc, sweep_json, points FROM sweeps ORDER BY id");
    std::vector<SweepRecord> out;
    while (q.step())
        out.push_back({q.column_int64(0), q.column_text(1), q.column_text(2), q.column_text(3), q.column_int64(4)});
    return out;
}

std::string listing(const std::vector<SweepRecord>& sweeps) {
    std::string out;
    for (const SweepRecord& s : sweeps) out += (out.empty() ? "" : ", ") + s.name + " (id " + std::to_string(s.id) + ")";
    return out;
}

bool is_id(const std::string& text, std::int64_t& id) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

SweepRecord find_sweep(ResultsDb& db, const std::string& which) {
    const std::vector<SweepRecord> sweeps = all_sweeps(db);
    if (sweeps.empty())
        throw UserError(db.path() + " holds no sweep (moesim sweep SWEEP.json --db " + db.path() + " runs one)");
    if (which.empty()) return sweeps.back();
    std::int64_t id = 0;
    if (is_id(which, id)) {
        for (const SweepRecord& s : sweeps)
            if (s.id == id) return s;
        throw UserError("sweep " + which + ": no sweep with that id in " + db.path() + "; it holds " + listing(sweeps));
    }
    std::vector<SweepRecord> named;
    std::vector<std::string> names;
    for (const SweepRecord& s : sweeps) {
        if (s.name == which) named.push_back(s);
        names.push_back(s.name);
    }
    if (named.size() == 1) return named.front();
    if (named.empty())
        throw UserError("sweep \"" + which + "\": not in " + db.path() + did_you_mean(which, names) + "; it holds " +
                        listing(sweeps));
    throw UserError("sweep \"" + which + "\": " + std::to_string(named.size()) +
                    " sweep documents of that name are in " + db.path() + ": " + listing(named) +
                    "; name one by its id");
}

std::vector<StoredRun> sweep_runs(ResultsDb& db, std::int64_t sweep_id) {
    Statement q(db.connection(), "SELECT id FROM runs WHERE sweep_id = ? ORDER BY id");
    q.bind_all(sweep_id);
    std::vector<std::int64_t> ids;
    while (q.step()) ids.push_back(q.column_int64(0));
    std::vector<StoredRun> runs;
    for (std::int64_t id : ids) {
        std::optional<StoredRun> run = db.load_run(id);
        MOESIM_CHECK(run.has_value(), "run " + std::to_string(id) + " vanished");
        runs.push_back(std::move(*run));
    }
    return runs;
}

}  // namespace moesim::report
