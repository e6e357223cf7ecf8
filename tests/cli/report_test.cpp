// `moesim report compare|training|prices` as a user meets it: exit statuses, what is refused
// (exit 2, one line, nothing written), and that each format comes out.
#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

namespace {

void exec_sql(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &error);
    INFO((error ? error : ""));
    sqlite3_free(error);
    sqlite3_close(h);
    REQUIRE(rc == SQLITE_OK);
}

// A results database with run 1 a real training run (the bundled V3 scenario) and run 2 a
// serving run of the bundled V3 deployment whose result row is written by hand — its costs
// are the test's input: $0.017 / $0.21 / $0.87 per 1M input (hit, miss) and output tokens, at
// 1,800 requests/s, all 1,000 measured requests finished, SLO met.
// Built once per test binary (a simulation is the slow part); each test gets a copy.
std::filesystem::path build_template_db(const TempDir& tmp) {
    const auto db = tmp / "template.sqlite";
    const auto r = run_moesim(tmp, "run", source_path(kV3Scenario), "--db", db.string());
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    std::string scenario = load_json(source_path(kServeScenario)).dump();
    std::string quoted;
    for (char c : scenario) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    exec_sql(db, "INSERT INTO runs (name, mode, model, gpu, gpus, scenario_json, scenario_sha256, tool_version, "
                 "git_revision, seed, sim_wall_s, fidelity) VALUES ('v3-serve', 'inference', 'deepseek-v3', 'H800', 352, '" +
                     quoted + "', '" + std::string(64, '0') +
                     "', 'test', 'test', 1, 0.5, 'event');"
                     "INSERT INTO inference_results VALUES (2, 73700, 14800, 310, 820, 1930, 20, 31, 47, 1000, 0.8, "
                     "0.21, 0.017, 0.87, 1800, 1000, 0, 0, 41000000, 1, '', NULL);");  // decode_holds (schema 5) last
    exec_sql(db, "PRAGMA wal_checkpoint(TRUNCATE);");  // everything in the main file, so a copy of it is whole
    return db;
}

std::filesystem::path make_db(const TempDir& tmp) {
    static const TempDir template_dir;
    static const std::filesystem::path template_db = build_template_db(template_dir);
    const auto db = tmp / "results.sqlite";
    std::filesystem::copy_file(template_db, db);
    return db;
}

long long count(const std::filesystem::path& db, const std::string& table) {
    return std::stoll(query(db, "SELECT count(*) AS n FROM " + table).at(0).at("n"));
}

// Exit 2, one line on stderr that starts "moesim report: error: " and holds each of `says`,
// nothing on stdout.
void expect_refused(const CommandResult& r, std::initializer_list<std::string> says) {
    INFO("stderr: " << r.err);
    CHECK(r.exit_status == 2);
    CHECK(r.err.rfind("moesim report: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    for (const auto& s : says) CHECK_THAT(r.err, Contains(s));
    CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("moesim report --help lists the reports and defines the margin", "[cli][report]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "report", "--help");
    CHECK(r.exit_status == 0);
    for (const char* report : {"  compare ", "  training ", "  prices "}) CHECK_THAT(r.out, Contains(report));
    CHECK_THAT(r.out, Contains("gross margin = (price - simulated cost) / price"));
    CHECK_THAT(r.out, Contains("--prices FILE"));
    CHECK_THAT(run_moesim(tmp, "--help").out, Contains("  report "));

    const auto bare = run_moesim(tmp, "report");
    CHECK(bare.exit_status == 2);
    CHECK_THAT(bare.err, Contains("usage: moesim report"));
    expect_refused(run_moesim(tmp, "report", "comapre"), {"unknown report 'comapre'", "did you mean \"compare\""});
}

TEST_CASE("a report needs an existing database and never creates one", "[cli][report]") {
    TempDir tmp;
    const auto absent = tmp / "absent.sqlite";
    expect_refused(run_moesim(tmp, "report", "compare", "--db", absent.string()), {absent.string(), "no such file"});
    CHECK_FALSE(std::filesystem::exists(absent));
    // Not even to add prices to it.
    const std::string prices = write_json(tmp, "prices.json", {{"prices", {{{"product", "p"}, {"model", "m"},
                                                                             {"usd_per_million_tokens", {{"output", 1}}},
                                                                             {"source", "s"}, {"as_of", "2025-01"}}}}});
    expect_refused(run_moesim(tmp, "report", "prices", "--db", absent.string(), "--add", prices), {"no such file"});
    CHECK_FALSE(std::filesystem::exists(absent));
}

TEST_CASE("moesim report refuses bad flags and runs it cannot show", "[cli][report]") {
    TempDir tmp;
    const auto db = make_db(tmp);
    const std::string d = db.string();
    expect_refused(run_moesim(tmp, "report", "compare", "--db", d, "--format", "xml"),
                   {"--format xml: expected md, csv or html"});
    expect_refused(run_moesim(tmp, "report", "compare", "--db", d, "--runs", "9"), {"run 9 is not in"});
    expect_refused(run_moesim(tmp, "report", "compare", "--db", d, "--runs", "1"),
                   {"run 1 (\"deepseek-v3-pretrain\") is one of the training runs", "moesim report training"});
    expect_refused(run_moesim(tmp, "report", "compare", "--db", d, "--against", "gpt4o"),
                   {"--against gpt4o", "did you mean \"gpt-4o\""});
    const auto out = tmp / "missing-dir" / "report.md";
    expect_refused(run_moesim(tmp, "report", "compare", "--db", d, "--out", out.string()), {"does not exist"});
    CHECK_FALSE(std::filesystem::exists(out.parent_path()));
    expect_refused(run_moesim(tmp, "report", "prices", "--db", d, "--add", "x.json", "--format", "csv"),
                   {"--add prints no report"});
}

TEST_CASE("moesim report compare prints the margin in each format", "[cli][report]") {
    TempDir tmp;
    const auto db = make_db(tmp);
    const long long runs_before = count(db, "runs");
    const auto md = run_moesim(tmp, "report", "compare", "--db", db.string());
    INFO(md.err);
    REQUIRE(md.exit_status == 0);
    // $0.87 against deepseek-chat's $1.10 per 1M output tokens: (1.10 - 0.87) / 1.10 = 20.9%.
    CHECK_THAT(md.out, Contains("| 2 | v3-serve | output | $0.8700 | deepseek-chat [1] | $1.1000 | 20.9% | 26.4% |"));

    const auto csv_path = tmp / "compare.csv";
    REQUIRE(run_moesim(tmp, "report", "compare", "--db", db.string(), "--format", "csv", "--out", csv_path.string())
                .exit_status == 0);
    const std::string csv = read_file(csv_path);
    CHECK(csv.rfind("run_id,name,model,", 0) == 0);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 7);  // header + 2 offers x 3 items
    for (const auto& e : std::filesystem::directory_iterator(tmp.path()))  // no temporary file left beside it
        CHECK_FALSE(e.path().extension() == ".tmp");

    const auto html = run_moesim(tmp, "report", "compare", "--db", db.string(), "--format", "html");
    REQUIRE(html.exit_status == 0);
    CHECK_THAT(html.out, Contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    CHECK(count(db, "runs") == runs_before);
}

TEST_CASE("moesim report training shows the layout of a real run", "[cli][report]") {
    TempDir tmp;
    const auto db = make_db(tmp);
    const auto r = run_moesim(tmp, "report", "training", "--db", db.string());
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    CHECK_THAT(r.out, Contains("| 1 | deepseek-v3-pretrain | deepseek-v3 | 2048 x H800 | TP1 PP16 DP128 EP64, dualpipe, ZeRO-1 |"));
    // GPU-hours per 1T tokens as the run recorded them, divided by the scenario's 14.8T tokens.
    const double gpu_hours = std::stod(query(db, "SELECT gpu_hours FROM training_results").at(0).at("gpu_hours"));
    char expected[64];
    std::snprintf(expected, sizeof expected, "%.0f", gpu_hours / 14.8);
    std::string grouped = expected;
    for (int i = static_cast<int>(grouped.size()) - 3; i > 0; i -= 3) grouped.insert(static_cast<std::size_t>(i), ",");
    CHECK_THAT(r.out, Contains("| " + grouped + " | 14.80T |"));
}

TEST_CASE("prices from a file: for one report, or added for good, all or nothing", "[cli][report]") {
    TempDir tmp;
    const auto db = make_db(tmp);
    const std::string d = db.string();
    const long long prices_before = count(db, "prices");
    const json entry = {{"product", "my-api"},
                        {"model", "deepseek-v3"},
                        {"usd_per_million_tokens", {{"output", 2.0}}},
                        {"source", "https://example.com/pricing"},
                        {"as_of", "2025-06-01"}};
    const std::string good = write_json(tmp, "good.json", {{"prices", {entry}}});
    json bad_entry = entry;
    bad_entry.erase("as_of");
    const std::string bad = write_json(tmp, "bad.json", {{"prices", {entry, bad_entry}}});

    // For one report: compared, not stored. (2.0 - 0.87) / 2.0 = 56.5%.
    const auto once = run_moesim(tmp, "report", "compare", "--db", d, "--prices", good);
    INFO(once.err);
    REQUIRE(once.exit_status == 0);
    CHECK_THAT(once.out, Contains("| my-api [3] | $2.0000 | 56.5% |"));
    CHECK(count(db, "prices") == prices_before);

    // For good: a bad file adds nothing; a good one adds its price once.
    expect_refused(run_moesim(tmp, "report", "prices", "--db", d, "--add", bad), {bad + ": /prices/1/as_of: missing"});
    CHECK(count(db, "prices") == prices_before);
    const auto added = run_moesim(tmp, "report", "prices", "--db", d, "--add", good);
    CHECK(added.exit_status == 0);
    CHECK_THAT(added.out, Contains("added 1 price from " + good));
    CHECK(count(db, "prices") == prices_before + 1);
    expect_refused(run_moesim(tmp, "report", "prices", "--db", d, "--add", good), {"is already in the prices table"});
    CHECK(count(db, "prices") == prices_before + 1);

    const auto listed = run_moesim(tmp, "report", "prices", "--db", d, "--format", "csv");
    REQUIRE(listed.exit_status == 0);
    CHECK_THAT(listed.out, Contains("my-api,deepseek-v3,output,2,,,,https://example.com/pricing,user,2025-06-01"));
}
