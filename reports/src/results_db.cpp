#include "moesim/reports/results_db.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <thread>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "moesim/common/error.h"
#include "moesim/reports/migrations.h"
#include "moesim/reports/sha256.h"
#include "result_columns.h"

namespace moesim::report {

namespace {

namespace fs = std::filesystem;

// "INSERT INTO table (run_id, a, b) VALUES (?, ?, ?)" from a column visitor.
template <class Result, class VisitColumns>
std::string insert_sql(const char* table, VisitColumns visit_columns) {
    std::string columns = "run_id", values = "?";
    Result probe{};
    visit_columns(probe, [&](const char* column, auto&) {
        columns += std::string(", ") + column;
        values += ", ?";
    });
    return std::string("INSERT INTO ") + table + " (" + columns + ") VALUES (" + values + ")";
}

// "SELECT a, b FROM table WHERE run_id = ?" from a column visitor.
template <class Result, class VisitColumns>
std::string select_sql(const char* table, VisitColumns visit_columns) {
    std::string columns;
    Result probe{};
    visit_columns(probe, [&](const char* column, auto&) {
        columns += (columns.empty() ? "" : ", ") + std::string(column);
    });
    return "SELECT " + columns + " FROM " + table + " WHERE run_id = ?";
}

// One result field into its column: integers and booleans as INTEGER, text as TEXT, other
// numbers as REAL (never NaN).
template <class T>
void bind_value(Statement& insert, int index, const T& value, const char* table, const char* column) {
    if constexpr (std::is_same_v<T, std::string>) {
        insert.bind(index, value);
    } else if constexpr (std::is_integral_v<T>) {
        insert.bind(index, static_cast<std::int64_t>(value));
    } else {
        MOESIM_CHECK(!std::isnan(value), std::string(table) + "." + column + " is NaN");
        insert.bind(index, value);
    }
}

template <class T>
T read_value(const Statement& select, int column) {
    if constexpr (std::is_same_v<T, std::string>)
        return select.column_text(column);
    else if constexpr (std::is_same_v<T, bool>)
        return select.column_int64(column) != 0;
    else if constexpr (std::is_integral_v<T>)
        return static_cast<T>(select.column_int64(column));
    else
        return select.column_double(column);
}

template <class Result, class VisitColumns>
void insert_result_row(Connection& db, const char* table, VisitColumns visit_columns, std::int64_t run_id,
                       const Result& result) {
    static const std::string sql = insert_sql<Result>(table, visit_columns);
    Statement insert(db, sql);
    insert.bind(1, run_id);
    int index = 1;
    visit_columns(result, [&](const char* column, const auto& value) {
        ++index;
        using T = std::remove_cvref_t<decltype(value)>;
        if constexpr (is_optional<T>::value) {
            if (value)
                bind_value(insert, index, *value, table, column);
            else
                insert.bind(index, std::nullopt);
        } else {
            bind_value(insert, index, value, table, column);
        }
    });
    insert.run();
}

template <class Result, class VisitColumns>
Result load_result_row(Connection& db, const char* table, VisitColumns visit_columns, std::int64_t run_id) {
    static const std::string sql = select_sql<Result>(table, visit_columns);
    Statement select(db, sql);
    select.bind(1, run_id);
    if (!select.step()) db.fail("run " + std::to_string(run_id) + " has no row in " + table, "");
    Result result{};
    int column = 0;
    visit_columns(result, [&](const char*, auto& value) {
        using T = std::remove_cvref_t<decltype(value)>;
        if constexpr (is_optional<T>::value) {
            if (select.column_is_null(column))
                value.reset();
            else
                value = read_value<typename T::value_type>(select, column);
        } else {
            value = read_value<T>(select, column);
        }
        ++column;
    });
    return result;
}

// ------------------------------------------------------------ opening

constexpr std::string_view kSqliteHeader{"SQLite format 3\0", 16};

// Refuses, before SQLite touches it, a path that cannot hold our database. A file that
// exists, is not empty and does not start with SQLite's header is not opened at all, so
// nothing can happen to it.
void check_path(const fs::path& path) {
    const std::string shown = path.string();
    if (shown.empty()) throw DatabaseError("results database: the path is empty");
    auto refuse = [&](const std::string& why) { throw DatabaseError("results database " + shown + ": " + why); };
    auto os_reason = [] { return " (" + std::string(std::strerror(errno)) + ")"; };
    std::error_code ec;
    const fs::path directory = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    if (!fs::is_directory(directory, ec))
        refuse("cannot create it: directory " + directory.string() +
               (fs::exists(directory, ec) ? " is not a directory" : " does not exist"));
    const auto status = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) refuse("cannot look at it (" + ec.message() + ")");
    if (fs::is_directory(status)) refuse("is a directory");
    const bool exists = fs::exists(status);
    // A FIFO or a device would block the header read below, or never end.
    if (exists && !fs::is_regular_file(status)) refuse("is not a regular file");
    if (exists) {
        std::ifstream in(path, std::ios::binary);
        if (!in) refuse("cannot read it" + os_reason());
        std::array<char, kSqliteHeader.size()> header{};
        in.read(header.data(), header.size());
        const auto got = static_cast<std::size_t>(in.gcount());
        // An empty file is an empty database to SQLite too.
        if (got > 0 && (got < header.size() || std::string_view(header.data(), header.size()) != kSqliteHeader))
            refuse("is not a SQLite database (it does not start with SQLite's header); left untouched — "
                   "pass another path with --db");
        if (access(path.c_str(), W_OK) != 0) refuse("is read-only" + os_reason());
    }
    // Creating the file, and in WAL mode its -wal and -shm companions, needs the directory.
    if (access(directory.c_str(), W_OK | X_OK) != 0)
        refuse(std::string(exists ? "cannot write beside it (WAL mode keeps -wal and -shm files there): "
                                  : "cannot create it: ") +
               "directory " + directory.string() + " is not writable" + os_reason());
}

Connection open_connection(const fs::path& path, const ResultsDbOptions& options) {
    check_path(path);
    Connection db(path.string(), /*create=*/true);
    db.set_busy_timeout_ms(options.busy_timeout_ms);
    if (db.read_only())
        db.fail("is read-only (check the permissions of the file and of its directory)", "");
    return db;
}

bool table_exists(Connection& db, std::string_view table) {
    Statement query(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    query.bind(1, table);
    return query.step();
}

// 0 for a database with no schema_version table.
int read_schema_version(Connection& db) {
    if (!table_exists(db, "schema_version")) return 0;
    Statement query(db, "SELECT coalesce(max(version), 0) FROM schema_version");
    query.step();
    return static_cast<int>(query.column_int64(0));
}

void refuse_if_newer(Connection& db, int version) {
    if (version > latest_schema_version())
        db.fail("has schema version " + std::to_string(version) + ", newer than the " +
                    std::to_string(latest_schema_version()) +
                    " this moesim knows; use a newer moesim, or another database with --db",
                "");
}

std::int64_t count_objects(Connection& db) {
    Statement query(db, "SELECT count(*) FROM sqlite_master");
    query.step();  // the first read: a corrupt file fails here, before anything is written
    return query.column_int64(0);
}

std::string journal_mode(Connection& db, const char* sql) {
    Statement pragma(db, sql);
    pragma.step();
    return pragma.column_text(0);
}

// Switching to WAL takes an exclusive lock and SQLite answers "database is locked" at once,
// without its busy handler, when another connection holds the file — as when several
// processes open a new results file together. The mode persists in the file, so whoever
// comes second usually finds it set; otherwise retry within the busy timeout.
void switch_to_wal(Connection& db, int busy_timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
    for (int attempt = 0;; ++attempt) {
        std::string mode = journal_mode(db, "PRAGMA journal_mode");
        if (mode == "wal") return;
        try {
            mode = journal_mode(db, "PRAGMA journal_mode = WAL");
        } catch (const DatabaseError&) {
            if (std::chrono::steady_clock::now() >= deadline) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt % 10));
            continue;
        }
        // An in-memory database reports "memory"; a file that cannot take WAL is refused.
        if (mode != "wal" && mode != "memory") db.fail("cannot switch to WAL mode (journal mode " + mode + ")", "");
        return;
    }
}

}  // namespace

// ------------------------------------------------------------ ResultsDb

ResultsDb::ResultsDb(const std::filesystem::path& path, ResultsDbOptions options)
    : db_(open_connection(path, options)) {
    const std::int64_t objects = count_objects(db_);
    const int version = read_schema_version(db_);
    if (version == 0 && objects > 0)
        db_.fail("is a SQLite database but not a moesim results database (it has no schema_version table); "
                 "left untouched — pass another path with --db",
                 "");
    refuse_if_newer(db_, version);

    // Neither pragma can change inside a transaction.
    db_.exec("PRAGMA foreign_keys = ON");
    switch_to_wal(db_, options.busy_timeout_ms);
    if (version < latest_schema_version()) migrate();
}

int ResultsDb::latest_schema_version() { return report::latest_schema_version(); }

int ResultsDb::schema_version() { return read_schema_version(db_); }

void ResultsDb::migrate() {
    Transaction transaction(db_);
    db_.exec(R"sql(
        CREATE TABLE IF NOT EXISTS schema_version (
            version     INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_utc TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        ))sql");
    // Read again under the write lock: another process may have migrated meanwhile.
    const int version = read_schema_version(db_);
    refuse_if_newer(db_, version);
    Statement record(db_, "INSERT INTO schema_version (version, description) VALUES (?, ?)");
    for (const Migration& migration : migrations()) {
        if (migration.version <= version) continue;
        db_.exec(migration.sql);
        record.bind_all(migration.version, migration.description).run();
    }
    transaction.commit();
}

std::int64_t ResultsDb::insert_run_row(const RunRecord& record, const std::string& mode,
                                       const std::string& fidelity) {
    MOESIM_CHECK(record.mode == mode,
                 "run \"" + record.name + "\" has mode \"" + record.mode + "\", stored as " + mode);
    MOESIM_CHECK(record.fidelity.empty() || fidelity.empty() || record.fidelity == fidelity,
                 "run \"" + record.name + "\": fidelity \"" + record.fidelity + "\" vs result's \"" + fidelity + "\"");
    const std::string& stored_fidelity = fidelity.empty() ? record.fidelity : fidelity;
    MOESIM_CHECK(!stored_fidelity.empty(), "run \"" + record.name + "\" has no fidelity");
    Statement insert(db_, R"sql(
        INSERT INTO runs (name, mode, model, gpu, gpus, scenario_json, scenario_sha256, tool_version,
                          git_revision, calibration_id, seed, sim_wall_s, fidelity, label, overrides_json, sweep_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
    insert.bind_all(record.name, record.mode, record.model, record.gpu, record.gpus, record.scenario_json,
                    sha256_hex(record.scenario_json), record.tool_version, record.git_revision,
                    record.calibration_id, record.seed, record.sim_wall_s, stored_fidelity,
                    record.label.empty() ? record.name : record.label, nlohmann::json(record.overrides).dump(),
                    record.sweep_id);
    insert.run();
    return db_.last_insert_rowid();
}

void ResultsDb::insert_assumptions(std::int64_t run_id, const std::vector<std::string>& assumptions) {
    Statement insert(db_, "INSERT INTO assumptions (run_id, ordinal, text) VALUES (?, ?, ?)");
    for (std::size_t i = 0; i < assumptions.size(); ++i)
        insert.bind_all(run_id, static_cast<std::int64_t>(i), assumptions[i]).run();
}

std::int64_t ResultsDb::record_training_run(const RunRecord& record, const training::TrainingResult& result) {
    Transaction transaction(db_);
    const std::int64_t run_id = insert_run_row(record, "training", result.fidelity);
    insert_result_row(db_, "training_results", [](auto& r, auto&& v) { visit_training_columns(r, v); }, run_id,
                      result);
    Statement breakdown(db_,
                        "INSERT INTO breakdown (run_id, ordinal, phase, category, seconds) VALUES (?, ?, ?, ?, ?)");
    for (std::size_t i = 0; i < result.breakdown.size(); ++i) {
        const training::BreakdownEntry& entry = result.breakdown[i];
        MOESIM_CHECK(!std::isnan(entry.seconds), "breakdown " + entry.phase + "/" + entry.category + " is NaN");
        breakdown.bind_all(run_id, static_cast<std::int64_t>(i), entry.phase, entry.category, entry.seconds).run();
    }
    insert_assumptions(run_id, result.assumptions);
    Statement traffic(db_,
                      "INSERT INTO traffic_classes (run_id, ordinal, class, instances, ideal_s, achieved_s, worst_slowdown, "
                      "slowed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (std::size_t i = 0; i < result.traffic.size(); ++i) {
        const training::TrafficClassFigures& c = result.traffic[i];
        traffic.bind_all(run_id, static_cast<std::int64_t>(i), c.name, c.instances, c.ideal_s, c.achieved_s, c.worst_slowdown,
                         c.slowed)
            .run();
    }
    transaction.commit();
    return run_id;
}

std::int64_t ResultsDb::record_inference_run(const RunRecord& record, const inference::InferenceResult& result) {
    Transaction transaction(db_);
    const std::int64_t run_id = insert_run_row(record, "inference", result.fidelity);
    insert_result_row(db_, "inference_results", [](auto& r, auto&& v) { visit_inference_columns(r, v); }, run_id,
                      result);
    insert_assumptions(run_id, result.assumptions);
    transaction.commit();
    return run_id;
}

std::int64_t ResultsDb::record_run(const RunRecord& record, const RunResult& result) {
    if (const auto* training = std::get_if<training::TrainingResult>(&result))
        return record_training_run(record, *training);
    return record_inference_run(record, std::get<inference::InferenceResult>(result));
}

std::vector<std::int64_t> ResultsDb::write_many(std::span<const PendingRun> runs) {
    std::vector<std::int64_t> ids;
    ids.reserve(runs.size());
    for (std::size_t k = 0; k < runs.size(); ++k) {
        try {
            ids.push_back(record_run(runs[k].record, runs[k].result));
        } catch (const DatabaseError& error) {
            std::string written;
            for (std::int64_t id : ids) written += (written.empty() ? "" : ", ") + std::to_string(id);
            throw DatabaseError(std::string(error.what()) + " — run \"" + runs[k].record.name + "\" (" +
                                std::to_string(k + 1) + " of " + std::to_string(runs.size()) +
                                ") was not written" +
                                (ids.empty() ? std::string(", nor any other") : "; runs written: " + written));
        }
    }
    return ids;
}

std::vector<std::int64_t> ResultsDb::write_batch(std::span<const PendingRun> runs) {
    Transaction batch(db_);
    std::vector<std::int64_t> ids;
    ids.reserve(runs.size());
    for (const PendingRun& run : runs) ids.push_back(record_run(run.record, run.result));
    batch.commit();
    return ids;
}

std::int64_t ResultsDb::record_sweep(const std::string& name, const std::string& sweep_json, std::int64_t points) {
    Transaction transaction(db_);
    const std::string sha = sha256_hex(sweep_json);
    Statement find(db_, "SELECT id FROM sweeps WHERE name = ? AND sweep_sha256 = ?");
    find.bind_all(name, sha);
    std::int64_t id = 0;
    if (find.step()) {
        id = find.column_int64(0);
    } else {
        Statement insert(db_, "INSERT INTO sweeps (name, sweep_json, sweep_sha256, points) VALUES (?, ?, ?, ?)");
        insert.bind_all(name, sweep_json, sha, points).run();
        id = db_.last_insert_rowid();
    }
    transaction.commit();
    return id;
}

std::vector<std::string> ResultsDb::sweep_points_done(const std::string& name, const std::string& sweep_json) {
    Statement q(db_, R"sql(SELECT r.overrides_json FROM runs AS r JOIN sweeps AS s ON r.sweep_id = s.id
                          WHERE s.name = ? AND s.sweep_sha256 = ? ORDER BY r.id)sql");
    q.bind_all(name, sha256_hex(sweep_json));
    std::vector<std::string> out;
    while (q.step()) out.push_back(q.column_text(0));
    return out;
}

namespace {

std::vector<std::string> parse_overrides(const std::string& text) {
    const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    std::vector<std::string> out;
    if (doc.is_array())
        for (const auto& o : doc)
            if (o.is_string()) out.push_back(o.get<std::string>());
    return out;
}

std::optional<bool> optional_bool(const Statement& query, int column) {
    const auto value = query.column_optional_int64(column);
    return value ? std::optional<bool>(*value != 0) : std::nullopt;
}

}  // namespace

std::vector<RunSummary> ResultsDb::list_runs(std::size_t limit, const std::optional<std::string>& name_pattern) {
    Statement query(db_, R"sql(
        SELECT r.id, r.created_utc, r.name, r.mode, r.model, r.gpu, r.gpus, r.fidelity,
               t.gpu_hours, t.cost_usd, t.mfu, t.step_time_s, i.usd_per_million_output_tokens,
               r.label, r.overrides_json, t.memory_headroom_GB, t.over_memory, i.requests_per_s,
               i.requests_measured, i.requests_unfinished, i.requests_rejected, i.slo_met, i.slo_missed
        FROM runs AS r
        LEFT JOIN training_results AS t ON t.run_id = r.id
        LEFT JOIN inference_results AS i ON i.run_id = r.id
        WHERE ?1 IS NULL OR r.name GLOB ?1
        ORDER BY r.id DESC
        LIMIT ?2)sql");
    query.bind(1, name_pattern).bind(2, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
    std::vector<RunSummary> runs;
    while (query.step()) {
        RunSummary& run = runs.emplace_back();
        run.id = query.column_int64(0);
        run.created_utc = query.column_text(1);
        run.name = query.column_text(2);
        run.mode = query.column_text(3);
        run.model = query.column_text(4);
        run.gpu = query.column_text(5);
        run.gpus = query.column_int64(6);
        run.fidelity = query.column_text(7);
        run.gpu_hours = query.column_optional_double(8);
        run.cost_usd = query.column_optional_double(9);
        run.mfu = query.column_optional_double(10);
        run.step_time_s = query.column_optional_double(11);
        run.usd_per_million_output_tokens = query.column_optional_double(12);
        run.label = query.column_text(13);
        run.overrides = parse_overrides(query.column_text(14));
        run.memory_headroom_GB = query.column_optional_double(15);
        run.over_memory = optional_bool(query, 16);
        run.requests_per_s = query.column_optional_double(17);
        run.requests_measured = query.column_optional_int64(18);
        run.requests_unfinished = query.column_optional_int64(19);
        run.requests_rejected = query.column_optional_int64(20);
        run.slo_met = optional_bool(query, 21);
        if (!query.column_is_null(22)) run.slo_missed = query.column_text(22);
    }
    return runs;
}

namespace {

std::vector<std::string> load_assumptions(Connection& db, std::int64_t run_id) {
    Statement query(db, "SELECT text FROM assumptions WHERE run_id = ? ORDER BY ordinal");
    query.bind(1, run_id);
    std::vector<std::string> assumptions;
    while (query.step()) assumptions.push_back(query.column_text(0));
    return assumptions;
}

std::vector<training::TrafficClassFigures> load_traffic(Connection& db, std::int64_t run_id) {
    Statement query(db,
                    "SELECT class, instances, ideal_s, achieved_s, worst_slowdown, slowed FROM traffic_classes "
                    "WHERE run_id = ? ORDER BY ordinal");
    query.bind(1, run_id);
    std::vector<training::TrafficClassFigures> out;
    while (query.step())
        out.push_back({query.column_text(0), query.column_int64(1), query.column_double(2), query.column_double(3),
                       query.column_double(4), query.column_int64(5)});
    return out;
}

std::vector<training::BreakdownEntry> load_breakdown(Connection& db, std::int64_t run_id) {
    Statement query(db, "SELECT phase, category, seconds FROM breakdown WHERE run_id = ? ORDER BY ordinal");
    query.bind(1, run_id);
    std::vector<training::BreakdownEntry> breakdown;
    while (query.step()) breakdown.push_back({query.column_text(0), query.column_text(1), query.column_double(2)});
    return breakdown;
}

}  // namespace

std::optional<StoredRun> ResultsDb::load_run(std::int64_t id) {
    // One read transaction, so the run's rows are read from one snapshot.
    Transaction snapshot(db_, Transaction::Kind::Deferred);
    Statement query(db_, R"sql(
        SELECT created_utc, scenario_sha256, name, mode, model, gpu, gpus, seed, sim_wall_s, scenario_json,
               tool_version, git_revision, calibration_id, fidelity, label, overrides_json
        FROM runs WHERE id = ?)sql");
    query.bind(1, id);
    if (!query.step()) return std::nullopt;
    StoredRun run;
    run.id = id;
    run.created_utc = query.column_text(0);
    run.scenario_sha256 = query.column_text(1);
    RunRecord& record = run.record;
    record.name = query.column_text(2);
    record.mode = query.column_text(3);
    record.model = query.column_text(4);
    record.gpu = query.column_text(5);
    record.gpus = query.column_int64(6);
    record.seed = query.column_int64(7);
    record.sim_wall_s = query.column_double(8);
    record.scenario_json = query.column_text(9);
    record.tool_version = query.column_text(10);
    record.git_revision = query.column_text(11);
    record.calibration_id = query.column_optional_int64(12);
    record.fidelity = query.column_text(13);
    record.label = query.column_text(14);
    record.overrides = parse_overrides(query.column_text(15));

    if (record.mode == "training") {
        auto result = load_result_row<training::TrainingResult>(
            db_, "training_results", [](auto& r, auto&& v) { visit_training_columns(r, v); }, id);
        result.breakdown = load_breakdown(db_, id);
        result.traffic = load_traffic(db_, id);
        result.fidelity = record.fidelity;
        result.assumptions = load_assumptions(db_, id);
        run.result = std::move(result);
    } else {
        auto result = load_result_row<inference::InferenceResult>(
            db_, "inference_results", [](auto& r, auto&& v) { visit_inference_columns(r, v); }, id);
        result.fidelity = record.fidelity;
        result.assumptions = load_assumptions(db_, id);
        run.result = std::move(result);
    }
    snapshot.commit();
    return run;
}

std::vector<PriceEntry> ResultsDb::prices() {
    Statement query(db_, R"sql(
        SELECT product, model, item, usd_per_million_tokens, conditions, valid_from, valid_until, source, tag, as_of
        FROM prices ORDER BY id)sql");
    std::vector<PriceEntry> prices;
    while (query.step()) {
        PriceEntry& price = prices.emplace_back();
        price.product = query.column_text(0);
        price.model = query.column_text(1);
        price.item = query.column_text(2);
        price.usd_per_million_tokens = query.column_double(3);
        price.conditions = query.column_text(4);
        if (!query.column_is_null(5)) price.valid_from = query.column_text(5);
        if (!query.column_is_null(6)) price.valid_until = query.column_text(6);
        price.source = query.column_text(7);
        price.tag = query.column_text(8);
        price.as_of = query.column_text(9);
    }
    return prices;
}

std::int64_t ResultsDb::record_calibration(const CalibrationRecord& calibration,
                                           std::span<const CalibrationPoint> points) {
    Transaction transaction(db_);
    const std::string sha = sha256_hex(calibration.profile_json);
    Statement existing(db_, "SELECT id FROM calibrations WHERE profile_sha256 = ?");
    existing.bind(1, sha);
    if (existing.step()) return existing.column_int64(0);  // rolls back nothing: nothing was written

    Statement insert(db_, R"sql(
        INSERT INTO calibrations (name, gpu, profile_json, profile_sha256, provenance) VALUES (?, ?, ?, ?, ?))sql");
    insert.bind_all(calibration.name, calibration.gpu, calibration.profile_json, sha, calibration.provenance).run();
    const std::int64_t id = db_.last_insert_rowid();
    Statement insert_point(db_, R"sql(
        INSERT INTO calibration_points (calibration_id, ordinal, kind, key, value, unit, source)
        VALUES (?, ?, ?, ?, ?, ?, ?))sql");
    for (std::size_t i = 0; i < points.size(); ++i) {
        const CalibrationPoint& point = points[i];
        insert_point.bind_all(id, static_cast<std::int64_t>(i), point.kind, point.key, point.value, point.unit,
                              point.source)
            .run();
    }
    transaction.commit();
    return id;
}

}  // namespace moesim::report
