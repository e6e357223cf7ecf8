#pragma once
// The SQLite results store (DESIGN.md §4): one schema, versioned by migrations; one
// transaction per run. Opening a path never damages what is there: a file that is not a
// SQLite database, a SQLite database that is not ours, or one from a newer moesim is
// refused with a DatabaseError and left as it was.
//
// A ResultsDb is one connection: use it from one thread at a time. Several processes may
// share a database file; writers wait up to the busy timeout for each other (WAL mode
// lets readers go on meanwhile).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "moesim/reports/run_record.h"
#include "moesim/reports/sqlite.h"

namespace moesim::report {

// One line of `moesim runs`, newest first.
struct RunSummary {
    std::int64_t id = 0;
    std::string created_utc;
    std::string name;
    std::string mode;
    std::string model;
    std::string gpu;
    std::int64_t gpus = 0;
    std::string fidelity;
    // Headline of a training run.
    std::optional<double> gpu_hours, cost_usd, mfu, step_time_s;
    // Headline of a serving run.
    std::optional<double> usd_per_million_output_tokens;
    // What sets the run apart (schema 3; nullopt for runs recorded before it).
    std::string label;                    // the name, tagged with its overrides (run_label.h)
    std::vector<std::string> overrides;   // "/json/pointer=value"
    std::optional<double> memory_headroom_GB;
    std::optional<bool> over_memory;
    std::optional<double> requests_per_s;
    std::optional<std::int64_t> requests_measured, requests_unfinished, requests_rejected;
    std::optional<bool> slo_met;
    std::string slo_missed;
};

// A row of `prices` (seeded from PUBLISHED.md §G).
struct PriceEntry {
    std::string product;  // the API's model name, e.g. "deepseek-chat"
    std::string model;    // the model behind it, e.g. "deepseek-v3"
    std::string item;     // "input_cache_hit" | "input_cache_miss" | "output"
    double usd_per_million_tokens = 0;
    std::string conditions;  // "" or e.g. "off-peak, UTC 16:30–00:30"
    std::optional<std::string> valid_from, valid_until;
    std::string source;
    std::string tag;    // PUBLISHED.md's: "V", "D", "U", "V (secondary)"
    std::string as_of;  // date of the source the price was read from
};

struct CalibrationRecord {
    std::string name;
    std::string gpu;
    std::string profile_json;
    std::string provenance;  // "published", "measured on HOST at DATE", …
};

struct CalibrationPoint {
    std::string kind;  // "gemm", "attention", "memory", "collective", …
    std::string key;   // the shape, e.g. "M=4096 N=7168 K=2048 dtype=fp8"
    double value = 0;
    std::string unit;
    std::string source;
};

struct ResultsDbOptions {
    int busy_timeout_ms = 10'000;
};

struct PendingRun {
    RunRecord record;
    RunResult result;
};

class ResultsDb {
public:
    // Opens the database at `path`, creating it if absent, and brings its schema up to
    // date. Throws DatabaseError if the directory does not exist, the file cannot be
    // written, is not a SQLite database or not a moesim one, or has a newer schema.
    explicit ResultsDb(const std::filesystem::path& path, ResultsDbOptions options = {});

    static int latest_schema_version();
    int schema_version();

    // Each writes one run — its `runs` row, result row, breakdown and assumptions — in one
    // transaction, and returns the run's id. If anything fails, nothing of the run stays.
    std::int64_t record_training_run(const RunRecord& record, const training::TrainingResult& result);
    std::int64_t record_inference_run(const RunRecord& record, const inference::InferenceResult& result);
    std::int64_t record_run(const RunRecord& record, const RunResult& result);

    // The runs of one `moesim run a.json b.json …`, one transaction each (DESIGN.md §4), in
    // order. If run k fails, runs before it stay written and the DatabaseError names run k
    // and the ids already written.
    std::vector<std::int64_t> write_many(std::span<const PendingRun> runs);

    // A batch of runs in ONE transaction (a sweep's): all written, or none.
    std::vector<std::int64_t> write_batch(std::span<const PendingRun> runs);

    // The `sweeps` row for this sweep document (`name`, `sweep_json` as read), created if
    // absent; the same document run again gets the same id, so its finished points can be
    // skipped.
    std::int64_t record_sweep(const std::string& name, const std::string& sweep_json, std::int64_t points);
    // overrides_json of every run of the sweep with this name and document already in the
    // database (none if it was never run).
    std::vector<std::string> sweep_points_done(const std::string& name, const std::string& sweep_json);

    // Newest first. `limit` 0 means all. `name_pattern` is a shell-style glob (`*`, `?`,
    // `[…]`); a name without wildcards matches only itself.
    std::vector<RunSummary> list_runs(std::size_t limit = 0,
                                      const std::optional<std::string>& name_pattern = std::nullopt);

    // The run with this id, as it was recorded; nullopt if there is none.
    std::optional<StoredRun> load_run(std::int64_t id);

    std::vector<PriceEntry> prices();

    // Stores a calibration profile and its raw points in one transaction and returns its
    // id. A profile already stored (same profile_json bytes) is not stored twice: its id
    // is returned and `points` are ignored.
    std::int64_t record_calibration(const CalibrationRecord& calibration,
                                    std::span<const CalibrationPoint> points = {});

    const std::string& path() const { return db_.path(); }
    // For tools and tests that need SQL the API does not offer.
    Connection& connection() { return db_; }

private:
    std::int64_t insert_run_row(const RunRecord& record, const std::string& mode, const std::string& fidelity);
    void insert_assumptions(std::int64_t run_id, const std::vector<std::string>& assumptions);
    void migrate();

    Connection db_;
};

}  // namespace moesim::report
