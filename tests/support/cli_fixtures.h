#pragma once
// What the CLI tests share: scenario variants written into a TempDir (the bundled JSON,
// loaded, edited and dumped, so no test depends on line positions), the results database
// read back with the sqlite3 C API, and the check that a rejected run wrote nothing.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "run_moesim.h"

namespace moesim::test {

using nlohmann::json;

inline const std::string kV3Scenario = "scenarios/deepseek-v3-pretrain.json";
inline const std::string kMixtralScenario = "scenarios/mixtral-8x7b-pretrain.json";
inline const std::string kLlamaScenario = "scenarios/llama-3.1-405b-pretrain.json";
inline const std::string kServeScenario = "scenarios/deepseek-v3-serve.json";

inline json load_json(const std::filesystem::path& p) {
    std::ifstream in(p);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return json::parse(in);
}

inline std::string write_text(const TempDir& tmp, const std::string& name, const std::string& text) {
    const auto p = tmp / name;
    std::ofstream(p) << text;
    return p.string();
}

inline std::string write_json(const TempDir& tmp, const std::string& name, const json& j) {
    return write_text(tmp, name, j.dump(2) + "\n");
}

// The bundled scenario `bundled` (relative to the source tree), edited by `edit`, written
// into `tmp` as `name`; returns its path.
inline std::string scenario_variant(const TempDir& tmp, const std::string& name, const std::string& bundled,
                                    const std::function<void(json&)>& edit) {
    json j = load_json(source_path(bundled));
    edit(j);
    return write_json(tmp, name, j);
}

// "FILE: /json/pointer: " — how every scenario error starts (scenarios/README.md).
inline std::string at(const std::string& file, const std::string& pointer) { return file + ": " + pointer + ": "; }

// The `moesim run --json` output parsed, after checking the command succeeded.
inline json run_json(const TempDir& tmp, std::vector<std::string> args) {
    args.insert(args.begin(), "run");
    args.push_back("--json");
    const auto r = run_moesim_args(tmp, args);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    return json::parse(r.out);
}

// One entry of `moesim gpus --json`.
inline json gpu_spec(const TempDir& tmp, const std::string& name) {
    const auto r = run_moesim(tmp, "gpus", "--json");
    REQUIRE(r.exit_status == 0);
    for (const auto& g : json::parse(r.out))
        if (g.at("name") == name) return g;
    FAIL("moesim gpus --json has no " << name);
    return {};
}

// ---- the results database, read-only -------------------------------------------------

using Row = std::map<std::string, std::string>;  // column -> text (NULL reads as ""; REAL with 17 digits)

inline std::vector<Row> query(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(h);
        throw std::runtime_error("cannot open " + db.string());
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        const std::string msg = sqlite3_errmsg(h);
        sqlite3_close(h);
        throw std::runtime_error(sql + ": " + msg);
    }
    std::vector<Row> rows;
    while (sqlite3_step(st) == SQLITE_ROW) {
        Row row;
        for (int c = 0; c < sqlite3_column_count(st); ++c) {
            if (sqlite3_column_type(st, c) == SQLITE_FLOAT) {  // every digit, so std::stod gives the stored double back
                char buf[32];
                std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(st, c));
                row[sqlite3_column_name(st, c)] = buf;
                continue;
            }
            const auto* text = sqlite3_column_text(st, c);
            row[sqlite3_column_name(st, c)] = text ? reinterpret_cast<const char*>(text) : "";
        }
        rows.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return rows;
}

// Deletes the last `n` runs with their rows, as if the command writing them had been killed
// before it committed them.
inline void forget_last_runs(const std::filesystem::path& db, int n) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    const std::string last = "(SELECT id FROM runs ORDER BY id DESC LIMIT " + std::to_string(n) + ")";
    std::string sql;
    for (const char* table : {"training_results", "inference_results", "breakdown", "assumptions"})
        sql += std::string("DELETE FROM ") + table + " WHERE run_id IN " + last + ";";
    sql += "DELETE FROM runs WHERE id IN " + last + ";";
    char* err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(h);
    REQUIRE(rc == SQLITE_OK);
}

// Rows in `runs`, or -1 when there is no file at `db`.
inline long long count_runs(const std::filesystem::path& db) {
    if (!std::filesystem::exists(db)) return -1;
    return std::stoll(query(db, "SELECT count(*) AS n FROM runs").at(0).at("n"));
}

// ---- rejected runs ---------------------------------------------------------------------

// `moesim run ARGS... --db DB` must be refused: exit status 2, one line on stderr holding
// each of `says`, nothing on stdout, and nothing written — once against a database path that
// does not exist (it must not be created) and once against a database that already holds a
// run of the V3 scenario (its `runs` count must not change). Returns the first result.
inline CommandResult expect_rejected(const TempDir& tmp, const std::vector<std::string>& args,
                                     std::initializer_list<std::string> says) {
    const auto fresh = tmp / "never-created.sqlite";
    const auto seeded = tmp / "seeded.sqlite";
    if (!std::filesystem::exists(seeded)) {
        const auto ok = run_moesim(tmp, "run", source_path(kV3Scenario), "--db", seeded.string());
        INFO("seeding run, stderr: " << ok.err);
        REQUIRE(ok.exit_status == 0);
    }
    const long long before = count_runs(seeded);
    REQUIRE(before >= 1);

    std::vector<std::string> to_fresh = {"run"};
    to_fresh.insert(to_fresh.end(), args.begin(), args.end());
    std::vector<std::string> to_seeded = to_fresh;
    to_fresh.insert(to_fresh.end(), {"--db", fresh.string()});
    to_seeded.insert(to_seeded.end(), {"--db", seeded.string()});

    const auto r = run_moesim_args(tmp, to_fresh);
    INFO("stderr: " << r.err);
    CHECK(r.exit_status == 2);
    CHECK(r.err.rfind("moesim run: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    for (const auto& s : says) CHECK_THAT(r.err, Catch::Matchers::Contains(s));
    CHECK(r.out.empty());
    CHECK_FALSE(std::filesystem::exists(fresh));

    const auto again = run_moesim_args(tmp, to_seeded);
    CHECK(again.exit_status == 2);
    CHECK(again.err == r.err);
    CHECK(count_runs(seeded) == before);
    return r;
}

}  // namespace moesim::test
