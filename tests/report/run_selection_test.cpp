// Which runs a report shows, and the errors when the ones asked for are not there.
#include <catch2/catch.hpp>

#include "moesim/common/error.h"
#include "moesim/reports/run_selection.h"
#include "report_db_fixtures.h"

using namespace moesim::report;
using Catch::Matchers::Contains;

TEST_CASE("run id lists: single ids, ranges, and what is refused", "[report]") {
    CHECK(parse_run_ids("3") == std::vector<std::int64_t>{3});
    CHECK(parse_run_ids("4,1") == std::vector<std::int64_t>{4, 1});
    CHECK(parse_run_ids("1,3-5") == std::vector<std::int64_t>{1, 3, 4, 5});
    for (const char* bad : {"", "x", "1,,2", "0", "-1", "1-", "2.5", "1 2", "9999999999999999999999"})
        CHECK_THROWS_WITH(parse_run_ids(bad), Contains("is not a run id"));
    CHECK_THROWS_WITH(parse_run_ids("5-3"), Contains("runs backwards"));
    CHECK_THROWS_WITH(parse_run_ids("1,2,1-3"), Contains("run 1 is given twice"));
}

TEST_CASE("a report selects runs of its own kind, oldest first or in --runs order", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    db.record_inference_run(test::serving_record("serve-a", "deepseek-v3"), test::serving_result(0.01, 0.1, 1));  // 1
    db.record_training_run(test::training_record("train-a"), test::sample_training());                           // 2
    db.record_inference_run(test::serving_record("serve-b", "deepseek-v3"), test::serving_result(0.01, 0.1, 1));  // 3

    auto ids = [](const std::vector<StoredRun>& runs) {
        std::vector<std::int64_t> out;
        for (const auto& r : runs) out.push_back(r.id);
        return out;
    };
    CHECK(ids(select_runs(db, {}, RunMode::Inference)) == std::vector<std::int64_t>{1, 3});
    CHECK(ids(select_runs(db, {}, RunMode::Training)) == std::vector<std::int64_t>{2});
    CHECK(ids(select_runs(db, {{3, 1}, std::nullopt}, RunMode::Inference)) == std::vector<std::int64_t>{3, 1});
    CHECK(ids(select_runs(db, {{}, std::string("*-b")}, RunMode::Inference)) == std::vector<std::int64_t>{3});

    CHECK_THROWS_WITH(select_runs(db, {{7}, std::nullopt}, RunMode::Inference), Contains("run 7 is not in"));
    CHECK_THROWS_WITH(select_runs(db, {{2}, std::nullopt}, RunMode::Inference),
                      Contains("run 2 (\"train-a\") is one of the training runs") &&
                          Contains("moesim report training shows those"));
    CHECK_THROWS_WITH(select_runs(db, {{}, std::string("train-*")}, RunMode::Inference),
                      Contains("holds no serving runs whose name matches \"train-*\"") &&
                          Contains("1 training run whose name matches"));
    CHECK_THROWS_WITH(select_runs(db, {{}, std::string("nothing")}, RunMode::Training),
                      Contains("holds no training runs whose name matches \"nothing\""));
    CHECK_THROWS_WITH(select_runs(db, {{1}, std::string("x")}, RunMode::Inference), Contains("not both"));
}

TEST_CASE("a report never creates a results database", "[report]") {
    test::TempDir dir;
    const auto path = dir / "absent.sqlite";
    CHECK_THROWS_AS(open_existing_results_db(path), moesim::DatabaseError);
    CHECK_THROWS_WITH(open_existing_results_db(path), Contains("absent.sqlite: no such file"));
    CHECK_FALSE(std::filesystem::exists(path));
}
