// `moesim sweep` (issue 14 item 1): every point of the axes run and recorded, tagged with
// the sweep; the rows independent of -j; a sweep run again skips what the database holds;
// points the checks refuse counted by reason; a bad sweep document exit 2, nothing written.
#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;

namespace {

// Mixtral 8x7B over TP×DP pairs (zipped), micro-batch sizes (a geometric range) and the
// recompute policies: 4 × 3 × 3 = 36 points, some over the H100's memory.
std::string mixtral_sweep(const TempDir& tmp) {
    const json sweep = {
        {"name", "mixtral-layouts"},
        {"scenario", source_path(kMixtralScenario)},
        {"axes",
         {{{"set", {"/parallelism/tp", "/parallelism/dp"}}, {"values", {{1, 64}, {2, 32}, {4, 16}, {8, 8}}}},
          {{"set", "/parallelism/micro_batch_size"}, {"range", {{"from", 1}, {"to", 4}, {"factor", 2}}}},
          {{"set", "/parallelism/recompute"}, {"values", {"none", "selective", "full"}}}}}};
    return write_json(tmp, "sweep.json", sweep);
}

json sweep_json(const TempDir& tmp, const std::string& sweep, const std::string& db, const std::string& jobs) {
    const auto r = run_moesim(tmp, "sweep", sweep, "--db", db, "-j", jobs, "--json");
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    return json::parse(r.out);
}

// The sweep's runs as stored, in id order: label and the headline figures.
std::vector<Row> stored(const std::filesystem::path& db) {
    return query(db, "SELECT r.label, r.overrides_json, t.step_time_s, t.gpu_hours, t.peak_memory_GB, s.name AS sweep "
                     "FROM runs AS r JOIN training_results AS t ON t.run_id = r.id JOIN sweeps AS s ON s.id = r.sweep_id "
                     "ORDER BY r.id");
}

}  // namespace

TEST_CASE("sweep: every point runs or is skipped with its reason and the rows do not depend on -j", "[cli]") {
    TempDir tmp;
    const auto sweep = mixtral_sweep(tmp);
    const json one = sweep_json(tmp, sweep, (tmp / "j1.sqlite").string(), "1");
    const json two = sweep_json(tmp, sweep, (tmp / "j2.sqlite").string(), "2");
    CHECK(one.at("sweep").at("points") == 36);
    const auto ran = one.at("runs").size();
    long long skipped = 0;
    for (const auto& [reason, n] : one.at("skipped").items()) skipped += n.get<long long>();
    CHECK(static_cast<long long>(ran) + skipped == 36);
    CHECK(one.at("skipped").contains("does not fit in GPU memory"));  // micro-batch 4 without recompute
    CHECK(ran > 10);
    CHECK(two.at("skipped") == one.at("skipped"));

    const auto rows1 = stored(tmp / "j1.sqlite");
    const auto rows2 = stored(tmp / "j2.sqlite");
    REQUIRE(rows1.size() == ran);
    CHECK(rows1 == rows2);  // same points, same order, same figures to the last digit
    for (const auto& row : rows1) {
        CHECK(row.at("sweep") == "mixtral-layouts");
        CHECK_THAT(row.at("label"), Catch::Matchers::StartsWith("mixtral-8x7b-pretrain [tp="));
        CHECK(std::stod(row.at("peak_memory_GB")) <= 84.95);  // refused points are not stored
    }
    // A point's figures are those of `moesim run` with the same overrides.
    const auto sets = json::parse(rows1.front().at("overrides_json")).get<std::vector<std::string>>();
    std::vector<std::string> args = {source_path(kMixtralScenario), "--db", (tmp / "run.sqlite").string()};
    for (const auto& s : sets) args.insert(args.end(), {"--set", s});
    const json run = run_json(tmp, args);
    CHECK(run.at("runs").at(0).at("step_time_s").get<double>() == std::stod(rows1.front().at("step_time_s")));
}

TEST_CASE("sweep: run again it skips the points already recorded and finishes an interrupted one", "[cli]") {
    TempDir tmp;
    const auto sweep = mixtral_sweep(tmp);
    const auto db = tmp / "s.sqlite";
    const json first = sweep_json(tmp, sweep, db.string(), "2");
    const auto ran = first.at("runs").size();
    const json again = sweep_json(tmp, sweep, db.string(), "2");
    CHECK(again.at("runs").empty());
    CHECK(again.at("already_done") == ran);
    CHECK(again.at("sweep").at("id") == first.at("sweep").at("id"));
    CHECK(count_runs(db) == static_cast<long long>(ran));

    forget_last_runs(db, 3);  // as if it had been killed before its last three runs were written
    const json resumed = sweep_json(tmp, sweep, db.string(), "2");
    CHECK(resumed.at("runs").size() == 3);
    CHECK(count_runs(db) == static_cast<long long>(ran));
}

TEST_CASE("sweep: a bad sweep document is exit 2 naming the file and the JSON path with nothing written", "[cli]") {
    TempDir tmp;
    const std::string scenario = source_path(kMixtralScenario);
    const auto db = tmp / "never.sqlite";
    struct Case {
        json doc;
        std::string path, says;
    };
    for (const Case& c : std::vector<Case>{
             {{{"name", "x"}, {"scenario", scenario}, {"axes", json::array()}}, "/axes", "non-empty"},
             {{{"name", "x"}, {"scenario", scenario}, {"axis", json::array()}}, "/axis", "unknown key"},
             {{{"name", "x"}, {"scenario", scenario}, {"axes", {{{"set", "parallelism/pp"}, {"values", {1}}}}}},
              "/axes/0/set", "JSON pointer"},
             {{{"name", "x"},
               {"scenario", scenario},
               {"axes", {{{"set", "/parallelism/pp"}, {"range", {{"from", 1}, {"to", 4}, {"step", 1}, {"factor", 2}}}}}}},
              "/axes/0/range", "exactly one"},
             {{{"name", "x"}, {"scenario", scenario}, {"axes", {{{"set", {"/a", "/b"}}, {"values", {{1, 2}, {3}}}}}}},
              "/axes/0/values/1", "list of 2"},
             {{{"name", "x"}, {"scenario", scenario}, {"fidelity", "exact"}, {"axes", {{{"set", "/seed"}, {"values", {1}}}}}},
              "/fidelity", "expected"}}) {
        const auto f = write_json(tmp, "bad.json", c.doc);
        const auto r = run_moesim(tmp, "sweep", f, "--db", db.string());
        INFO(c.doc.dump() << "\nstderr: " << r.err);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Catch::Matchers::Contains(at(f, c.path)) && Catch::Matchers::Contains(c.says));
        CHECK_FALSE(std::filesystem::exists(db));
    }
}
