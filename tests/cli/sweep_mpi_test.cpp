// `mpirun -np N moesim sweep` (issue 14 item 3): rank 0 writes the database, the points are
// handed out as ranks ask; the rows are those of a single-process sweep whatever N; a sweep
// cut short and run again under MPI fills in only what is missing; a bad sweep document is
// exit 2, said once (by rank 0), with nothing written and no rank left waiting.
// Needs `mpirun` (openmpi-bin; scripts/install-deps.sh installs it); skipped, saying so, only
// when it is absent.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>

#include "cli_fixtures.h"

using namespace moesim::test;

namespace {

// True, saying so, when there is no mpirun to test `what` with.
bool mpirun_missing(const std::string& what) {
    if (std::system("command -v mpirun >/dev/null 2>&1") == 0) return false;
    WARN("mpirun not found: " << what << " not tested (scripts/install-deps.sh installs openmpi-bin)");
    return true;
}

// Runs as root (containers, CI) and oversubscribed (4 ranks on a 2-core machine); no single-copy
// shared memory (refused inside containers); `timeout` so that a hang fails instead of waiting.
// In the sanitizer build (make test SANITIZE=1) LeakSanitizer is off for the ranks only: Open
// MPI's own allocations (MCA components, ompi_op_base_op_select) are never freed by design, and
// their frames are in unloaded modules no suppression can name; every other test keeps it.
std::string mpirun(int ranks) {
    return "ASAN_OPTIONS=detect_leaks=0 OMPI_MCA_btl_vader_single_copy_mechanism=none timeout 120 mpirun "
           "--allow-run-as-root --oversubscribe "
           "--bind-to none -np " + std::to_string(ranks);
}

// Mixtral 8x7B over TP×DP pairs and micro-batch sizes and recompute policies: 4 × 2 × 3 = 24
// points, some over the H100's memory (skipped, so the skip path crosses ranks too).
std::string small_sweep(const TempDir& tmp) {
    const json sweep = {
        {"name", "mixtral-mpi"},
        {"scenario", source_path(kMixtralScenario)},
        {"axes",
         {{{"set", {"/parallelism/tp", "/parallelism/dp"}}, {"values", {{1, 64}, {2, 32}, {4, 16}, {8, 8}}}},
          {{"set", "/parallelism/micro_batch_size"}, {"values", {2, 4}}},
          {{"set", "/parallelism/recompute"}, {"values", {"none", "selective", "full"}}}}}};
    return write_json(tmp, "sweep.json", sweep);
}

json sweep_under(const TempDir& tmp, int ranks, const std::string& sweep, const std::filesystem::path& db) {
    const auto r = ranks == 0 ? run_moesim(tmp, "sweep", sweep, "--db", db.string(), "-j", "1", "--json", "--quiet")
                              : run_moesim_args(tmp, {"sweep", sweep, "--db", db.string(), "--json", "--quiet"},
                                                mpirun(ranks));
    INFO("ranks " << ranks << "\nstderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    return json::parse(r.out);
}

// Every row of every table, ids included, but not the clock: when a row was written and how
// long a simulation took.
std::map<std::string, std::vector<Row>> contents(const std::filesystem::path& db) {
    std::map<std::string, std::vector<Row>> out;
    for (const auto& t : query(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
        const std::string table = t.at("name");
        auto rows = query(db, "SELECT * FROM \"" + table + "\" ORDER BY rowid");
        for (auto& row : rows)
            std::erase_if(row, [](const auto& cell) {
                return cell.first == "sim_wall_s" || cell.first.ends_with("_utc");  // created_utc, applied_utc
            });
        out[table] = std::move(rows);
    }
    return out;
}

}  // namespace

#ifdef MOESIM_WITH_MPI

TEST_CASE("sweep under mpirun: 2 and 4 ranks write the rows of a single-process sweep", "[cli][mpi]") {
    if (mpirun_missing("MPI sweep")) return;
    TempDir tmp;
    const auto sweep = small_sweep(tmp);
    const json plain = sweep_under(tmp, 0, sweep, tmp / "plain.sqlite");
    REQUIRE(plain.at("runs").size() > 10);
    REQUIRE_FALSE(plain.at("skipped").empty());
    const auto expected = contents(tmp / "plain.sqlite");
    REQUIRE(expected.at("runs").size() == plain.at("runs").size());
    REQUIRE(expected.at("breakdown").size() > expected.at("runs").size());
    for (const int ranks : {2, 4}) {
        const auto db = tmp / ("np" + std::to_string(ranks) + ".sqlite");
        const json mpi = sweep_under(tmp, ranks, sweep, db);
        INFO("ranks " << ranks);
        CHECK(mpi == plain);  // ids, skips by reason, already_done
        const auto got = contents(db);
        for (const auto& [table, rows] : expected) {
            INFO("table " << table);
            CHECK(got.at(table) == rows);
        }
    }
}

TEST_CASE("sweep under mpirun: run again after a cut-short sweep it fills in only the missing points",
          "[cli][mpi]") {
    if (mpirun_missing("MPI sweep resume")) return;
    TempDir tmp;
    const auto sweep = small_sweep(tmp);
    const auto db = tmp / "s.sqlite";
    const json first = sweep_under(tmp, 2, sweep, db);
    const auto ran = first.at("runs").size();
    const auto full = contents(db);

    forget_last_runs(db, 5);  // as if killed before its last five runs were committed
    const json resumed = sweep_under(tmp, 4, sweep, db);
    CHECK(resumed.at("runs").size() == 5);
    CHECK(resumed.at("already_done") == ran - 5);
    CHECK(resumed.at("sweep").at("id") == first.at("sweep").at("id"));
    CHECK(count_runs(db) == static_cast<long long>(ran));
    // Each point once: the overrides of the runs are all different, and all there.
    const auto rows = query(db, "SELECT overrides_json FROM runs");
    std::set<std::string> points;
    for (const auto& r : rows) points.insert(r.at("overrides_json"));
    CHECK(points.size() == ran);
    auto before = full.at("runs"), after = contents(db).at("runs");
    for (auto* rs : {&before, &after})
        for (auto& r : *rs) r.erase("id");
    CHECK(after == before);  // the same runs, in the same order (new ids for the five)

    const json again = sweep_under(tmp, 2, sweep, db);
    CHECK(again.at("runs").empty());
    CHECK(again.at("already_done") == ran);
}

TEST_CASE("sweep under mpirun: a bad sweep document is exit 2, said once, nothing written, no rank left waiting",
          "[cli][mpi]") {
    if (mpirun_missing("MPI sweep errors")) return;
    TempDir tmp;
    const auto bad = write_json(tmp, "bad.json",
                                {{"name", "x"}, {"scenario", source_path(kMixtralScenario)}, {"axes", json::array()}});
    const auto db = tmp / "never.sqlite";
    const auto r = run_moesim_args(tmp, {"sweep", bad, "--db", db.string()}, mpirun(4));
    INFO("stderr: " << r.err);
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Matchers::Contains(at(bad, "/axes")));
    CHECK(r.err.find(at(bad, "/axes")) == r.err.rfind(at(bad, "/axes")));  // rank 0 alone says it
    CHECK_FALSE(std::filesystem::exists(db));

    // --help: rank 0 prints it, every rank ends with 0.
    const auto help = run_moesim_args(tmp, {"sweep", "--help"}, mpirun(2));
    CHECK(help.exit_status == 0);
    CHECK_THAT(help.out, Catch::Matchers::Contains("--db"));
}

#else

TEST_CASE("sweep under mpirun: a moesim built without MPI refuses, saying so", "[cli][mpi]") {
    if (mpirun_missing("MPI sweep")) return;
    TempDir tmp;
    const auto sweep = small_sweep(tmp);
    const auto db = tmp / "never.sqlite";
    const auto r = run_moesim_args(tmp, {"sweep", sweep, "--db", db.string()}, mpirun(2));
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Matchers::Contains("built without MPI"));
    CHECK_FALSE(std::filesystem::exists(db));
}

#endif
