// `moesim calibrate` as a user meets it, on a machine without a GPU: refused with exit 2
// and nothing written; fitting from a saved measurement file (profile + one raw point per
// measurement in SQLite); deriving an H800 profile; bad profile files, given to --from or
// named by a scenario.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "synthetic_suite.h"
#include "cli_fixtures.h"
#include "moesim/calib/measurement_file.h"
#include "moesim/hw/calibration_profile.h"
#include "run_moesim.h"

using namespace moesim::test;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

// The binary run in `cwd` with `env` (e.g. "CUDA_VISIBLE_DEVICES=-1") before it.
CommandResult run_in(const TempDir& tmp, const fs::path& cwd, const std::string& env, const std::vector<std::string>& args) {
    return run_moesim_args(tmp, args, "cd " + shell_quote(cwd.string()) + " && " + env);
}

// No GPU: the build has no CUDA here, and CUDA_VISIBLE_DEVICES=-1 hides any GPU where it has.
const std::string kNoGpu = "CUDA_VISIBLE_DEVICES=-1";

moesim::calib::MeasurementFile synthetic_run() {
    moesim::calib::MeasurementFile f;
    f.created = "2025-07-01";
    f.tool_version = "moesim test";
    f.device = synthetic_h100_device();
    f.measurements = synthetic_suite(moesim::hw::load_gpu("H100", "", nullptr));
    return f;
}

std::string write_run(const TempDir& tmp, const std::string& name, const moesim::calib::MeasurementFile& f) {
    return write_json(tmp, name, moesim::calib::to_json(f));
}

std::vector<fs::path> entries(const fs::path& dir) {
    std::vector<fs::path> all;
    for (const auto& e : fs::recursive_directory_iterator(dir)) all.push_back(e.path());
    return all;
}

std::int64_t count_rows(const fs::path& db, const std::string& sql) {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open_v2(db.string().c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const std::int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(handle);
    return n;
}

}  // namespace

TEST_CASE("calibrate without a GPU exits 2 with the reason and writes nothing", "[cli]") {
    TempDir tmp;
    SECTION("default paths, in an empty directory") {
        const fs::path work = tmp / "work";
        fs::create_directories(work);
        const auto r = run_in(tmp, work, kNoGpu, {"calibrate", "--quick"});
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains("no GPU to measure: "));
        CHECK_THAT(r.err, Contains("Nothing was written"));
        CHECK(entries(work).empty());  // no calibrations/, no results.sqlite
    }
    SECTION("an existing results database is left untouched") {
        const fs::path db = tmp / "results.sqlite";
        const fs::path profile = tmp / "p.json";
        REQUIRE(run_moesim(tmp, "calibrate", "--measurements", write_run(tmp, "m.json", synthetic_run()), "--out",
                           (tmp / "fitted.json").string(), "--db", db.string())
                    .exit_status == 0);
        const std::string before = read_file(db);
        const auto mtime = fs::last_write_time(db);
        const auto r = run_in(tmp, tmp.path(), kNoGpu, {"calibrate", "--out", profile.string(), "--db", db.string()});
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains("no GPU to measure"));
        CHECK_FALSE(fs::exists(profile));
        CHECK(read_file(db) == before);
        CHECK(fs::last_write_time(db) == mtime);
    }
}

TEST_CASE("calibrate --measurements: a failed reference check exits 2 naming the kernel — nothing written", "[cli]") {
    TempDir tmp;
    auto run = synthetic_run();
    run.measurements[1].reference_ok = false;
    run.measurements[1].max_error = 0.37;
    const auto r = run_moesim(tmp, "calibrate", "--measurements", write_run(tmp, "m.json", run), "--out",
                              (tmp / "p.json").string(), "--db", (tmp / "r.sqlite").string());
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Contains("gemm moesim_fp8_block fp8 m=64 n=7168 k=2048: result disagrees with its CPU reference (max error 0.37"));
    CHECK_FALSE(fs::exists(tmp / "p.json"));
    CHECK_FALSE(fs::exists(tmp / "r.sqlite"));
}

TEST_CASE("calibrate --measurements writes a profile that loads and one raw point per measurement", "[cli]") {
    TempDir tmp;
    const auto run = synthetic_run();
    const fs::path db = tmp / "r.sqlite", profile = tmp / "h100.json";
    const auto r = run_moesim(tmp, "calibrate", "--measurements", write_run(tmp, "m.json", run), "--out",
                              profile.string(), "--db", db.string());
    REQUIRE(r.exit_status == 0);
    CHECK_THAT(r.out, Contains("written: " + profile.string()));
    const auto p = moesim::hw::load_profile(profile.string(), "");
    CHECK(p.kind() == "measured");
    CHECK(p.name() == "h100-measured-2025-07-01");
    CHECK(count_rows(db, "SELECT count(*) FROM calibrations") == 1);
    CHECK(count_rows(db, "SELECT count(*) FROM calibration_points WHERE calibration_id = (SELECT id FROM calibrations)") ==
          static_cast<std::int64_t>(run.measurements.size()));
    CHECK(count_rows(db, "SELECT count(*) FROM calibrations WHERE gpu = 'H100' AND provenance LIKE "
                         "'measured on 8 x NVIDIA H100 80GB HBM3 (2025-07-01)%'") == 1);

    SECTION("a scenario that names the profile records the same calibration row") {
        const auto run_result = run_moesim(tmp, "run", source_path(kV3Scenario), "--set",
                                           "/cluster/calibration=" + profile.string(), "--db", db.string());
        REQUIRE(run_result.exit_status == 0);
        CHECK(count_rows(db, "SELECT count(*) FROM calibrations") == 1);
        CHECK(count_rows(db, "SELECT calibration_id FROM runs") == count_rows(db, "SELECT id FROM calibrations"));
    }
    SECTION("an existing profile is not overwritten") {
        const std::string before = read_file(profile);
        const auto again = run_moesim(tmp, "calibrate", "--measurements", (tmp / "m.json").string(), "--out",
                                      profile.string(), "--db", db.string());
        CHECK(again.exit_status == 2);
        CHECK_THAT(again.err, Contains("the file exists"));
        CHECK(read_file(profile) == before);
    }
    SECTION("the default path is calibrations/<gpu>-measured-<date>.json") {
        const fs::path work = tmp / "work";
        fs::create_directories(work);
        const auto d = run_in(tmp, work, "", {"calibrate", "--measurements", (tmp / "m.json").string()});
        REQUIRE(d.exit_status == 0);
        CHECK(fs::exists(work / "calibrations" / "h100-measured-2025-07-01.json"));
        CHECK(fs::exists(work / "results.sqlite"));
    }
}

TEST_CASE("calibrate --derive H800 --from an H100 profile", "[cli]") {
    TempDir tmp;
    const fs::path h100 = tmp / "h100.json", h800 = tmp / "h800.json";
    REQUIRE(run_moesim(tmp, "calibrate", "--measurements", write_run(tmp, "m.json", synthetic_run()), "--out",
                       h100.string(), "--db", (tmp / "r.sqlite").string())
                .exit_status == 0);
    const auto r = run_moesim(tmp, "calibrate", "--derive", "H800", "--from", h100.string(), "--out", h800.string());
    REQUIRE(r.exit_status == 0);
    const auto from = moesim::hw::load_profile(h100.string(), "");
    const auto to = moesim::hw::load_profile(h800.string(), "");
    CHECK(to.gpu() == "H800");
    CHECK(to.reference().nvlink_GBps == 200);
    CHECK(to.gemm_efficiency({4096, 7168, 2048}, moesim::hw::Dtype::FP8) ==
          from.gemm_efficiency({4096, 7168, 2048}, moesim::hw::Dtype::FP8));
    CHECK_THAT(to.source(), Contains("Derived for H800"));
    // H200 has other HBM: not the same chip.
    const auto h200 = run_moesim(tmp, "calibrate", "--derive", "H200", "--from", h100.string(), "--out",
                                 (tmp / "h200.json").string());
    CHECK(h200.exit_status == 2);
    CHECK_THAT(h200.err, Contains("not the same chip"));
    CHECK_FALSE(fs::exists(tmp / "h200.json"));
}

TEST_CASE("a corrupt or newer profile: exit 2 naming the file and the JSON path, nothing written", "[cli]") {
    TempDir tmp;
    const std::string corrupt = write_text(tmp, "corrupt.json", "{\n  \"format\": 1,\n  \"name\": \n");
    json newer = load_json(source_path("calibrations/h800-published.json"));
    newer["format"] = 2;
    const std::string newer_file = write_json(tmp, "newer.json", newer);
    const fs::path out = tmp / "out.json";

    SECTION("given to --from") {
        auto r = run_moesim(tmp, "calibrate", "--derive", "H800", "--from", corrupt, "--out", out.string());
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(corrupt + ": line "));
        CHECK_THAT(r.err, Contains("malformed JSON"));
        r = run_moesim(tmp, "calibrate", "--derive", "H800", "--from", newer_file, "--out", out.string());
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(newer_file + ": /format: format 2 was written by a newer moesim"));
        CHECK_FALSE(fs::exists(out));
    }
    SECTION("given to --base") {
        const std::string m = write_run(tmp, "m.json", synthetic_run());
        for (const auto& [bad, what] : {std::pair{corrupt, corrupt + ": line "}, std::pair{newer_file, newer_file + ": /format"}}) {
            const auto r = run_moesim(tmp, "calibrate", "--measurements", m, "--base", bad, "--out", out.string(), "--db",
                                      (tmp / "r.sqlite").string());
            CHECK(r.exit_status == 2);
            CHECK_THAT(r.err, Contains(what));
            CHECK_FALSE(fs::exists(out));
            CHECK_FALSE(fs::exists(tmp / "r.sqlite"));
        }
    }
    SECTION("given to moesim comm --calibration") {
        for (const auto& [bad, what] : {std::pair{corrupt, corrupt + ": line "}, std::pair{newer_file, newer_file + ": /format"}}) {
            const auto r = run_moesim(tmp, "comm", "all_reduce", "--size", "1M", "--calibration", bad);
            CHECK(r.exit_status == 2);
            CHECK_THAT(r.err, Contains(what));
        }
    }
    SECTION("named by a scenario") {
        for (const auto& bad : {corrupt, newer_file}) {
            const auto r = run_moesim(tmp, "run", source_path(kV3Scenario), "--set", "/cluster/calibration=" + bad,
                                      "--db", (tmp / "r.sqlite").string());
            CHECK(r.exit_status == 2);
            CHECK_THAT(r.err, Contains("/cluster/calibration: " + bad + ": "));
            CHECK_FALSE(fs::exists(tmp / "r.sqlite"));
        }
    }
    SECTION("a measurement file of a newer format") {
        json m = moesim::calib::to_json(synthetic_run());
        m["format"] = 2;
        const auto r = run_moesim(tmp, "calibrate", "--measurements", write_json(tmp, "m.json", m), "--out",
                                  out.string(), "--db", (tmp / "r.sqlite").string());
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains("m.json: /format: format 2 was written by a newer moesim"));
        CHECK_FALSE(fs::exists(out));
        CHECK_FALSE(fs::exists(tmp / "r.sqlite"));
    }
    SECTION("a corrupt measurement file") {
        json m = moesim::calib::to_json(synthetic_run());
        m["measurements"][2]["time_s"] = -1;
        const auto r = run_moesim(tmp, "calibrate", "--measurements", write_json(tmp, "m.json", m), "--out",
                                  out.string(), "--db", (tmp / "r.sqlite").string());
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains("m.json: /measurements/2/time_s: must be a finite number >= 0"));
        CHECK_FALSE(fs::exists(out));
    }
}
