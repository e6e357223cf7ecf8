#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "moesim/common/error.h"
#include "moesim/reports/sqlite.h"
#include "report_fixtures.h"

using namespace moesim::report;
using moesim::DatabaseError;
using moesim::InternalError;

namespace {

std::int64_t count_rows(Connection& db, const std::string& table) {
    Statement count(db, "SELECT count(*) FROM " + table);
    count.step();
    return count.column_int64(0);
}

}  // namespace

TEST_CASE("sqlite statements bind and read back each type", "[report]") {
    test::TempDir dir;
    Connection db((dir / "t.sqlite").string(), true);
    db.exec("CREATE TABLE t (i INTEGER, d REAL, s TEXT, n INTEGER)");
    Statement insert(db, "INSERT INTO t (i, d, s, n) VALUES (?, ?, ?, ?)");
    const std::string with_nul("a\0b", 3);
    insert.bind_all(std::numeric_limits<std::int64_t>::max(), 0.1, with_nul, std::optional<std::int64_t>{}).run();
    insert.bind_all(-7, -1e300, "é", std::optional<std::int64_t>{5}).run();  // reusable after run()

    Statement select(db, "SELECT i, d, s, n FROM t ORDER BY rowid");
    REQUIRE(select.column_count() == 4);
    CHECK(select.column_name(2) == "s");
    REQUIRE(select.step());
    CHECK(select.column_int64(0) == std::numeric_limits<std::int64_t>::max());
    CHECK(select.column_double(1) == 0.1);
    CHECK(select.column_text(2) == with_nul);
    CHECK(select.column_is_null(3));
    CHECK_FALSE(select.column_optional_int64(3).has_value());
    REQUIRE(select.step());
    CHECK(select.column_int64(0) == -7);
    CHECK(select.column_double(1) == -1e300);
    CHECK(select.column_text(2) == "é");
    CHECK(select.column_optional_int64(3) == 5);
    CHECK_FALSE(select.step());
}

TEST_CASE("a transaction rolls back unless committed", "[report]") {
    test::TempDir dir;
    Connection db((dir / "t.sqlite").string(), true);
    db.exec("CREATE TABLE t (x INTEGER)");
    {
        Transaction transaction(db);
        db.exec("INSERT INTO t VALUES (1)");
    }
    CHECK(count_rows(db, "t") == 0);
    {
        Transaction transaction(db);
        db.exec("INSERT INTO t VALUES (1)");
        transaction.commit();
    }
    CHECK(count_rows(db, "t") == 1);
    try {
        Transaction transaction(db);
        db.exec("INSERT INTO t VALUES (2)");
        throw std::runtime_error("midway");
    } catch (const std::runtime_error&) {
    }
    CHECK(count_rows(db, "t") == 1);
}

TEST_CASE("sqlite errors become DatabaseError naming the path and SQLite's message", "[report]") {
    test::TempDir dir;
    const std::string path = (dir / "t.sqlite").string();
    Connection db(path, true);
    db.exec("CREATE TABLE t (x INTEGER NOT NULL)");
    CHECK_THAT(test::database_error([&] { (void)Statement(db, "SELECT nope FROM t"); }),
               Catch::Matchers::Contains(path) && Catch::Matchers::Contains("no such column: nope"));
    Statement insert(db, "INSERT INTO t VALUES (?)");
    insert.bind(1, std::nullopt);
    CHECK_THAT(test::database_error([&] { (void)insert.run(); }),
               Catch::Matchers::Contains("NOT NULL constraint failed"));
    CHECK_THROWS_AS(db.exec("CREATE TABLE t (y)"), DatabaseError);
    CHECK_THAT(test::database_error([&] { (void)Connection((dir / "missing" / "x.sqlite").string(), true); }),
               Catch::Matchers::Contains("cannot open"));
}

TEST_CASE("binding NaN is a bug, not a NULL", "[report]") {
    test::TempDir dir;
    Connection db((dir / "t.sqlite").string(), true);
    db.exec("CREATE TABLE t (x REAL)");
    Statement insert(db, "INSERT INTO t VALUES (?)");
    CHECK_THROWS_AS(insert.bind(1, std::nan("")), InternalError);
    CHECK_THROWS_AS(Statement(db, "SELECT 1; SELECT 2"), InternalError);  // the second would be ignored
}
