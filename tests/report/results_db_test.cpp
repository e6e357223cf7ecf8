#include <catch2/catch.hpp>

#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

#include <unistd.h>

#include <regex>
#include <set>
#include <thread>

#include "moesim/common/error.h"
#include "moesim/reports/migrations.h"
#include "moesim/reports/results_db.h"
#include "moesim/reports/sha256.h"
#include "report_fixtures.h"
#include "same_run.h"

using namespace moesim::report;
namespace training = moesim::training;
namespace inference = moesim::inference;
using moesim::DatabaseError;
using Catch::Matchers::Contains;
using moesim::report::test::check_same;

namespace {

std::int64_t scalar(Connection& db, const std::string& sql) {
    Statement query(db, sql);
    REQUIRE(query.step());
    return query.column_int64(0);
}

std::string text_scalar(Connection& db, const std::string& sql) {
    Statement query(db, sql);
    REQUIRE(query.step());
    return query.column_text(0);
}

// Rows in every table that holds runs, so that a test can see that nothing changed.
std::vector<std::int64_t> run_table_counts(Connection& db) {
    std::vector<std::int64_t> counts;
    for (const char* table : {"runs", "training_results", "inference_results", "breakdown", "assumptions"})
        counts.push_back(scalar(db, std::string("SELECT count(*) FROM ") + table));
    return counts;
}

// Loads run `id` back and checks it against what was recorded, and that its result row in
// `table` has `columns` columns (run_id and one per scalar), none of them NULL.
template <class Result>
StoredRun check_round_trip(ResultsDb& db, std::int64_t id, const RunRecord& record, const Result& result,
                           const std::string& table, int columns) {
    std::optional<StoredRun> stored = db.load_run(id);
    REQUIRE(stored);
    CHECK(stored->id == id);
    check_same(stored->record, record);
    REQUIRE(std::holds_alternative<Result>(stored->result));
    check_same(std::get<Result>(stored->result), result);

    Statement row(db.connection(), "SELECT * FROM " + table + " WHERE run_id = ?");
    row.bind(1, id);
    REQUIRE(row.step());
    CHECK(row.column_count() == columns);
    for (int c = 0; c < row.column_count(); ++c) {
        INFO(table << "." << row.column_name(c));
        CHECK_FALSE(row.column_is_null(c));
    }
    return *stored;
}

}  // namespace

TEST_CASE("a fresh database gets the whole schema at the current version", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    CHECK(db.schema_version() == ResultsDb::latest_schema_version());
    CHECK(ResultsDb::latest_schema_version() == static_cast<int>(migrations().size()));
    CHECK(scalar(db.connection(), "SELECT count(*) FROM schema_version") == ResultsDb::latest_schema_version());

    std::set<std::string> tables;
    Statement query(db.connection(), "SELECT name FROM sqlite_master WHERE type = 'table'");
    while (query.step()) tables.insert(query.column_text(0));
    for (const char* table : {"schema_version", "runs", "training_results", "inference_results", "breakdown",
                              "assumptions", "calibrations", "calibration_points", "prices"})
        CHECK(tables.count(table) == 1);

    CHECK(text_scalar(db.connection(), "PRAGMA journal_mode") == "wal");
    CHECK(scalar(db.connection(), "PRAGMA foreign_keys") == 1);
    CHECK(scalar(db.connection(), "SELECT count(*) FROM calibrations") == 0);
    CHECK(scalar(db.connection(), "SELECT count(*) FROM calibration_points") == 0);
}

TEST_CASE("reopening a database changes nothing", "[report]") {
    test::TempDir dir;
    std::int64_t id = 0;
    {
        ResultsDb db(dir / "results.sqlite");
        id = db.record_training_run(test::sample_record("a", "training"), test::sample_training());
    }
    for (int i = 0; i < 2; ++i) {
        ResultsDb db(dir / "results.sqlite");
        CHECK(db.schema_version() == ResultsDb::latest_schema_version());
        CHECK(scalar(db.connection(), "SELECT count(*) FROM schema_version") == ResultsDb::latest_schema_version());
        CHECK(scalar(db.connection(), "SELECT count(*) FROM prices") == 23);
        CHECK(run_table_counts(db.connection()) == std::vector<std::int64_t>{1, 1, 0, 3, 2});
        CHECK(db.load_run(id).has_value());
    }
}

TEST_CASE("an empty file is taken as a new database", "[report]") {
    test::TempDir dir;
    test::write_bytes(dir / "empty.sqlite", "");
    ResultsDb db(dir / "empty.sqlite");
    CHECK(db.schema_version() == ResultsDb::latest_schema_version());
}

TEST_CASE("a training run round-trips, every column", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    RunRecord record = test::sample_record("deepseek-v3-pretrain", "training");
    const training::TrainingResult result = test::sample_training();
    const std::int64_t id = db.record_training_run(record, result);

    const StoredRun stored = check_round_trip(db, id, record, result, "training_results", 20);
    CHECK(stored.record.fidelity == "analytic");
    CHECK(stored.scenario_sha256 == sha256_hex(record.scenario_json));
    CHECK(std::regex_match(stored.created_utc, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    CHECK(scalar(db.connection(), "SELECT count(*) FROM runs WHERE calibration_id IS NULL") == 1);
    CHECK_FALSE(db.load_run(id + 1).has_value());
}

TEST_CASE("an inference run round-trips, every column", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    RunRecord record = test::sample_record("v3-serving", "inference");
    const CalibrationRecord profile{"h800-published", "H800", R"({"gpu": "H800"})", "published"};
    const std::vector<CalibrationPoint> points{{"gemm", "M=4096", 0.7, "fraction", "V3TR"}};
    record.calibration_id = db.record_calibration(profile, points);
    const inference::InferenceResult result = test::sample_inference();
    const std::int64_t id = db.record_inference_run(record, result);

    check_round_trip(db, id, record, result, "inference_results", 22);
    CHECK(scalar(db.connection(), "SELECT count(*) FROM runs WHERE calibration_id IS NOT NULL") == 1);
    CHECK(scalar(db.connection(), "SELECT count(*) FROM breakdown") == 0);
}

TEST_CASE("calibrations are stored once and runs may only name stored ones", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    const CalibrationRecord profile{"h800", "H800", R"({"gemm": []})", "published"};
    const std::vector<CalibrationPoint> points{{"gemm", "M=1 N=2 K=3 dtype=fp8", 0.61, "fraction", "V3TR"},
                                               {"collective", "all_to_all 8MB g=64", 40.5, "GBps", "measured"}};
    const std::int64_t id = db.record_calibration(profile, points);
    CHECK(db.record_calibration(profile) == id);
    CHECK(scalar(db.connection(), "SELECT count(*) FROM calibrations") == 1);
    CHECK(scalar(db.connection(), "SELECT count(*) FROM calibration_points") == 2);

    RunRecord record = test::sample_record("a", "training");
    record.calibration_id = id + 100;  // a foreign-key violation
    CHECK_THAT(test::database_error([&] { (void)db.record_training_run(record, test::sample_training()); }),
               Contains("FOREIGN KEY"));
    CHECK(run_table_counts(db.connection()) == std::vector<std::int64_t>{0, 0, 0, 0, 0});
}

TEST_CASE("a run that fails midway leaves nothing of itself and earlier runs intact", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    const training::TrainingResult good = test::sample_training();
    const std::int64_t first = db.record_training_run(test::sample_record("first", "training"), good);
    const auto before = run_table_counts(db.connection());
    const RunRecord second = test::sample_record("second", "training");

    SECTION("refused at the last row it writes (a test trigger on assumptions)") {
        // A TEMP trigger lives in this connection only: the database file is unchanged.
        db.connection().exec(R"sql(
            CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON main.assumptions WHEN NEW.text = 'boom'
            BEGIN SELECT RAISE(ABORT, 'test hook refused the row'); END)sql");
        training::TrainingResult bad = good;
        bad.assumptions.push_back("boom");
        CHECK_THAT(test::database_error([&] { (void)db.record_training_run(second, bad); }),
                   Contains("test hook refused the row"));
        inference::InferenceResult bad_inference = test::sample_inference();
        bad_inference.assumptions = {"boom"};
        CHECK_THROWS_AS(db.record_inference_run(test::sample_record("third", "inference"), bad_inference),
                        DatabaseError);
    }
    SECTION("refused by a constraint in the breakdown") {
        training::TrainingResult bad = good;
        bad.breakdown.push_back(bad.breakdown.front());  // (phase, category) twice
        CHECK_THAT(test::database_error([&] { (void)db.record_training_run(second, bad); }),
                   Contains("UNIQUE constraint failed"));
    }
    CHECK(run_table_counts(db.connection()) == before);
    CHECK(db.list_runs().size() == 1);
    const auto stored = db.load_run(first);
    REQUIRE(stored);
    check_same(std::get<training::TrainingResult>(stored->result), good);
    // The connection is usable again: the failed transaction was rolled back.
    const std::int64_t next = db.record_training_run(test::sample_record("next", "training"), good);
    CHECK(next > first);
}

TEST_CASE("write_many writes one transaction per run", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    training::TrainingResult bad = test::sample_training();
    bad.breakdown.push_back(bad.breakdown.front());
    const std::vector<PendingRun> runs{{test::sample_record("a", "training"), test::sample_training()},
                                       {test::sample_record("b", "inference"), test::sample_inference()},
                                       {test::sample_record("c", "training"), bad},
                                       {test::sample_record("d", "training"), test::sample_training()}};

    const auto ids = db.write_many(std::span(runs).first(2));
    REQUIRE(ids.size() == 2);
    CHECK(ids[1] > ids[0]);
    CHECK_THAT(test::database_error([&] { (void)db.write_many(runs); }),
               Contains("run \"c\" (3 of 4) was not written") && Contains("runs written: "));
    // a, b, then a and b again; neither c nor d (writing stops at the first failure).
    const auto listed = db.list_runs();
    REQUIRE(listed.size() == 4);
    CHECK(listed[0].name == "b");
    CHECK(listed[1].name == "a");
}

TEST_CASE("list_runs: newest first, limited, filtered by name, with the headline", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    const std::int64_t t1 = db.record_training_run(test::sample_record("v3-pretrain-pp16", "training"),
                                                   test::sample_training());
    const std::int64_t i1 = db.record_inference_run(test::sample_record("v3-serving", "inference"),
                                                    test::sample_inference());
    const std::int64_t t2 = db.record_training_run(test::sample_record("v3-pretrain-pp8", "training"),
                                                   test::sample_training());

    const auto all = db.list_runs();
    REQUIRE(all.size() == 3);
    CHECK(all[0].id == t2);
    CHECK(all[1].id == i1);
    CHECK(all[2].id == t1);

    const RunSummary& training_run = all[0];
    CHECK(training_run.mode == "training");
    CHECK(training_run.model == "deepseek-v3");
    CHECK(training_run.gpu == "H800");
    CHECK(training_run.gpus == 2048);
    CHECK(training_run.fidelity == "analytic");
    CHECK(training_run.gpu_hours == 2664000.0);
    CHECK(training_run.cost_usd == 5328000.0);
    CHECK(training_run.mfu == 0.391);
    CHECK(training_run.step_time_s == 1.5);
    CHECK_FALSE(training_run.usd_per_million_output_tokens.has_value());

    const RunSummary& serving_run = all[1];
    CHECK(serving_run.usd_per_million_output_tokens == 0.87);
    CHECK_FALSE(serving_run.gpu_hours.has_value());
    CHECK_FALSE(serving_run.mfu.has_value());

    CHECK(db.list_runs(2).size() == 2);
    CHECK(db.list_runs(2)[0].id == t2);
    CHECK(db.list_runs(0, "v3-pretrain-*").size() == 2);
    CHECK(db.list_runs(0, "v3-serving").size() == 1);
    CHECK(db.list_runs(0, "v3-serv").empty());  // no wildcard: the exact name only
    CHECK(db.list_runs(1, "v3-pretrain-*")[0].id == t2);
}

TEST_CASE("a text file given as the database is refused and left byte for byte", "[report]") {
    test::TempDir dir;
    const auto path = dir / "notes.txt";
    const std::string content = "these are my notes, not a database\n";
    test::write_bytes(path, content);
    CHECK_THAT(test::database_error([&] { (void)ResultsDb(path); }),
               Contains(path.string()) && Contains("not a SQLite database"));
    CHECK(test::read_bytes(path) == content);
    // Nothing else appeared beside it (no -wal, -shm or -journal).
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("a corrupt SQLite file is refused and left as it was", "[report]") {
    test::TempDir dir;
    const auto path = dir / "broken.sqlite";
    // SQLite's header followed by rubbish.
    std::string bytes("SQLite format 3\0", 16);
    bytes += std::string(4080, '\x5a');
    test::write_bytes(path, bytes);
    CHECK_THROWS_AS(ResultsDb(path), DatabaseError);
    CHECK(test::read_bytes(path) == bytes);
}

TEST_CASE("another program's SQLite database is refused and left as it was", "[report]") {
    test::TempDir dir;
    const auto path = dir / "other.sqlite";
    {
        Connection other(path.string(), true);
        other.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada')");
    }
    const std::string bytes = test::read_bytes(path);
    CHECK_THAT(test::database_error([&] { (void)ResultsDb(path); }),
               Contains("not a moesim results database"));
    CHECK(test::read_bytes(path) == bytes);
}

TEST_CASE("a path in a missing directory is a DatabaseError", "[report]") {
    test::TempDir dir;
    CHECK_THAT(test::database_error([&] { (void)ResultsDb(dir / "no-such-dir" / "results.sqlite"); }),
               Contains("does not exist"));
    CHECK_FALSE(std::filesystem::exists(dir / "no-such-dir"));
    test::write_bytes(dir / "file", "x");
    CHECK_THAT(test::database_error([&] { (void)ResultsDb(dir / "file" / "results.sqlite"); }),
               Contains("not a directory"));
    CHECK_THAT(test::database_error([&] { (void)ResultsDb(dir.path()); }),
               Contains("is a directory"));
}

TEST_CASE("a path in a read-only directory is a DatabaseError", "[report]") {
    test::TempDir dir;
    const auto locked = dir / "locked";
    std::filesystem::create_directory(locked);
    {
        ResultsDb db(locked / "existing.sqlite");
        db.record_training_run(test::sample_record("a", "training"), test::sample_training());
    }
    const std::string existing_bytes = test::read_bytes(locked / "existing.sqlite");
    std::filesystem::permissions(locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);

    if (access(locked.c_str(), W_OK) != 0) {
        CHECK_THAT(test::database_error([&] { (void)ResultsDb(locked / "results.sqlite"); }),
                   Contains("cannot create it") && Contains("is not writable"));
        CHECK_FALSE(std::filesystem::exists(locked / "results.sqlite"));
        CHECK_THAT(test::database_error([&] { (void)ResultsDb(locked / "existing.sqlite"); }),
                   Contains("existing.sqlite") && Contains("is not writable"));
        CHECK(test::read_bytes(locked / "existing.sqlite") == existing_bytes);
    } else {
        // Root ignores permission bits: use a file system nobody can create files on.
        const std::filesystem::path path = "/proc/moesim-report-test.sqlite";
        CHECK_THAT(test::database_error([&] { (void)ResultsDb(path); }),
                   Contains(path.string()) && Contains("cannot open"));
        CHECK_FALSE(std::filesystem::exists(path));
    }
}

TEST_CASE("a read-only database file is a DatabaseError and stays as it was", "[report]") {
    test::TempDir dir;
    const auto path = dir / "results.sqlite";
    { ResultsDb db(path); }
    const std::string bytes = test::read_bytes(path);
    using std::filesystem::perms;
    std::filesystem::permissions(path, perms::owner_read | perms::group_read | perms::others_read);
    if (access(path.c_str(), W_OK) == 0) {
        // Root writes read-only files: open it as user nobody, in a child process, instead
        // (the directory is made traversable for it; the file stays read-only to everyone).
        std::filesystem::permissions(dir.path(), perms::owner_all | perms::group_read | perms::group_exec |
                                                     perms::others_read | perms::others_exec);
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
            try {
                ResultsDb db(path);
                _exit(1);  // opened a read-only file for writing
            } catch (const moesim::DatabaseError& e) {
                const bool right = std::string(e.what()).find("is read-only") != std::string::npos;
                if (!right) std::fprintf(stderr, "as nobody: %s\n", e.what());
                _exit(right ? 0 : 2);
            } catch (...) {
                _exit(4);
            }
        }
        int status = 0;
        REQUIRE(waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);  // 1: opened; 2: wrong message; 3: could not drop root
    } else {
        CHECK_THAT(test::database_error([&] { (void)ResultsDb(path); }), Contains("is read-only"));
    }
    CHECK(test::read_bytes(path) == bytes);
}

TEST_CASE("a database with a newer schema is refused", "[report]") {
    test::TempDir dir;
    const auto path = dir / "results.sqlite";
    const int newer = ResultsDb::latest_schema_version() + 1;
    {
        ResultsDb db(path);
        db.connection().exec("INSERT INTO schema_version (version, description) VALUES (" + std::to_string(newer) +
                             ", 'from the future')");
    }
    CHECK_THAT(test::database_error([&] { (void)ResultsDb(path); }),
               Contains("schema version " + std::to_string(newer)) && Contains("newer"));
}

TEST_CASE("a writer locked out beyond the busy timeout gets a DatabaseError", "[report]") {
    test::TempDir dir;
    const auto path = dir / "results.sqlite";
    ResultsDb holder(path);
    ResultsDb waiter(path, ResultsDbOptions{.busy_timeout_ms = 50});
    {
        Transaction hold(holder.connection());
        const auto record = test::sample_record("a", "training");
        CHECK_THAT(test::database_error([&] { (void)waiter.record_training_run(record, test::sample_training()); }),
                   Contains("locked"));
        CHECK(waiter.list_runs().empty());  // readers are not blocked in WAL mode
    }
    CHECK(waiter.record_training_run(test::sample_record("a", "training"), test::sample_training()) > 0);
}

TEST_CASE("writers in parallel on one file each get their runs in", "[report]") {
    test::TempDir dir;
    const auto path = dir / "results.sqlite";
    constexpr int kWriters = 4, kRunsEach = 15;
    std::vector<std::string> failures(kWriters);
    std::vector<std::thread> writers;
    // Each opens the fresh file itself: the migration must run once, whoever comes first.
    for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([&, w] {
            try {
                ResultsDb db(path);
                for (int r = 0; r < kRunsEach; ++r)
                    db.record_training_run(test::sample_record("w" + std::to_string(w), "training"),
                                           test::sample_training());
            } catch (const std::exception& error) {
                failures[w] = error.what();
            }
        });
    for (std::thread& writer : writers) writer.join();
    for (const std::string& failure : failures) CHECK(failure == "");  // shows the error text
    ResultsDb db(path);
    CHECK(scalar(db.connection(), "SELECT count(*) FROM schema_version") == ResultsDb::latest_schema_version());
    CHECK(scalar(db.connection(), "SELECT count(*) FROM prices") == 23);
    CHECK(run_table_counts(db.connection()) ==
          std::vector<std::int64_t>{kWriters * kRunsEach, kWriters * kRunsEach, 0, 3 * kWriters * kRunsEach,
                                    2 * kWriters * kRunsEach});
    CHECK(db.list_runs(0, "w0").size() == kRunsEach);
}

TEST_CASE("the published prices are seeded", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    const auto prices = db.prices();
    CHECK(prices.size() == 23);
    auto price = [&](const std::string& product, const std::string& model, const std::string& item,
                     const std::string& conditions = "") -> const PriceEntry* {
        for (const PriceEntry& p : prices)
            if (p.product == product && p.model == model && p.item == item && p.conditions == conditions) return &p;
        return nullptr;
    };
    struct Expected {
        const char *product, *model, *item;
        double usd;
    };
    for (const Expected& e : {Expected{"deepseek-chat", "deepseek-v3", "input_cache_hit", 0.07},
                              Expected{"deepseek-chat", "deepseek-v3", "input_cache_miss", 0.27},
                              Expected{"deepseek-chat", "deepseek-v3", "output", 1.10},
                              Expected{"deepseek-reasoner", "deepseek-r1", "input_cache_hit", 0.14},
                              Expected{"deepseek-reasoner", "deepseek-r1", "input_cache_miss", 0.55},
                              Expected{"deepseek-reasoner", "deepseek-r1", "output", 2.19},
                              Expected{"deepseek-chat", "deepseek-v3.1", "input_cache_hit", 0.07},
                              Expected{"deepseek-chat", "deepseek-v3.1", "input_cache_miss", 0.56},
                              Expected{"deepseek-reasoner", "deepseek-v3.1", "output", 1.68},
                              Expected{"gpt-4o", "gpt-4o-2024-08-06", "input_cache_hit", 1.25},
                              Expected{"gpt-4o", "gpt-4o-2024-08-06", "input_cache_miss", 2.50},
                              Expected{"gpt-4o", "gpt-4o-2024-08-06", "output", 10.00},
                              Expected{"gpt-4o-2024-05-13", "gpt-4o-2024-05-13", "input_cache_miss", 5.00},
                              Expected{"gpt-4o-2024-05-13", "gpt-4o-2024-05-13", "output", 15.00}}) {
        INFO(e.product << " " << e.model << " " << e.item);
        const PriceEntry* p = price(e.product, e.model, e.item);
        REQUIRE(p != nullptr);
        CHECK(p->usd_per_million_tokens == Approx(e.usd).epsilon(1e-12));
        CHECK_FALSE(p->source.empty());
        CHECK_FALSE(p->as_of.empty());
    }
    const PriceEntry* off_peak = price("deepseek-reasoner", "deepseek-r1", "output", "off-peak, UTC 16:30–00:30");
    REQUIRE(off_peak != nullptr);
    CHECK(off_peak->usd_per_million_tokens == Approx(0.55));
    CHECK(off_peak->valid_until == "2025-09-05");
    CHECK(off_peak->source == "api-docs.deepseek.com/quick_start/pricing, stored 2025-09 version");
    CHECK(off_peak->tag == "V");
    CHECK(price("deepseek-chat", "deepseek-v3.1", "output")->valid_from == "2025-09-05T16:00Z");
    CHECK(price("gpt-4o", "gpt-4o-2024-08-06", "output")->tag == "V (secondary)");
    CHECK(price("gpt-4o-2024-05-13", "gpt-4o-2024-05-13", "input_cache_hit") == nullptr);
}
