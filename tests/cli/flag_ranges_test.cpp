// Numeric command-line flags: every row of comm's flag-range table (cli/flag_ranges.cpp) is
// refused just outside its range with exit 2 naming the flag; the test walks the table.
// Also the flows budget, --size's bound and invalid UTF-8 in --set.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

#include "flag_ranges.h"
#include "run_moesim.h"

using moesim::test::run_moesim;
using moesim::test::run_moesim_args;
using moesim::test::TempDir;

namespace {

std::string text(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// The command a flag belongs to: dispatch's shape flags need dispatch and an --ep.
std::vector<std::string> comm_with(const std::string& flag, const std::string& value) {
    static const std::vector<std::string> deepep = {"--ep", "--tokens", "--hidden", "--top-k", "--max-nodes-per-token",
                                                    "--num-experts"};
    const bool dispatch = std::find(deepep.begin(), deepep.end(), flag) != deepep.end();
    std::vector<std::string> args = {"comm", dispatch ? "dispatch" : "all_reduce", flag, value};
    if (dispatch && flag != "--ep") args.insert(args.end(), {"--ep", "8"});
    return args;
}

}  // namespace

TEST_CASE("every comm flag range row refuses values outside it with exit 2 naming the flag", "[cli][ranges]") {
    TempDir tmp;
    for (const auto& row : moesim::cli::comm_flag_ranges()) {
        for (const double v : {row.max + 1, row.min - 1}) {
            const auto r = run_moesim_args(tmp, comm_with(row.path, text(v)));
            INFO(row.path << " " << text(v) << ": " << r.err);
            CHECK(r.exit_status == 2);
            CHECK_THAT(r.err, Catch::Contains(std::string(row.path) + ": must be in ["));
        }
    }
}

TEST_CASE("comm --nodes 0 and --group 0 are refused, not run", "[cli][ranges]") {
    TempDir tmp;
    for (const char* flag : {"--nodes", "--group"}) {
        const auto r = run_moesim(tmp, "comm", "all_reduce", flag, "0");
        INFO(r.err);
        CHECK(r.exit_status == 2);
        CHECK(r.out.empty());
    }
}

TEST_CASE("comm --model flows over the flow budget is refused with the estimate", "[cli][ranges]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "comm", "all_to_all", "--group", "4096", "--model", "flows");
    INFO(r.err);
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Contains("16773120 flows") && Catch::Contains("budget of 65536"));
    // The same group in closed form runs.
    CHECK(run_moesim(tmp, "comm", "all_to_all", "--group", "4096").exit_status == 0);
}

TEST_CASE("comm --model flows budgets PXN's aggregated flows on their own", "[cli][ranges]") {
    TempDir tmp;
    // 2,048 GPUs: 256·8·7 + 256·255·8 = 536,576 PXN flows, over the PXN budget.
    const auto r = run_moesim(tmp, "comm", "all_to_all", "--group", "2048", "--algorithm", "pxn", "--model", "flows");
    INFO(r.err);
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Contains("536576 flows") && Catch::Contains("budget of 150000"));
    // 512 GPUs pair by pair (261,632 flows) stays over the pairwise budget.
    const auto pairs = run_moesim(tmp, "comm", "all_to_all", "--group", "512", "--model", "flows");
    CHECK(pairs.exit_status == 2);
    CHECK_THAT(pairs.err, Catch::Contains("budget of 65536"));
}

TEST_CASE("comm --model flows: 1 us of completion slack allows 4 times the flows", "[cli][ranges]") {
    TempDir tmp;
    // 4,096 GPUs with PXN: 512·8·7 + 512·511·8 = 2,121,728 flows, over 4 × 150,000 still.
    const auto r = run_moesim(tmp, "comm", "all_to_all", "--group", "4096", "--algorithm", "pxn", "--model", "flows",
                              "--completion-slack-ns", "1000");
    INFO(r.err);
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Contains("2121728 flows") && Catch::Contains("budget of 600000"));
    // Out of its range.
    CHECK(run_moesim(tmp, "comm", "all_to_all", "--model", "flows", "--completion-slack-ns", "-1").exit_status == 2);
    // A small group runs with it.
    CHECK(run_moesim(tmp, "comm", "all_to_all", "--group", "16", "--size", "1M", "--model", "flows",
                     "--completion-slack-ns", "1000").exit_status == 0);
}

TEST_CASE("comm --size above 1e15 bytes is refused", "[cli][ranges]") {
    TempDir tmp;
    for (const char* size : {"1e308", "1e16", "1..1e308"}) {
        const auto r = run_moesim(tmp, "comm", "all_reduce", "--size", size);
        INFO(size << ": " << r.err);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Catch::Contains("--size: must be at most 1e15 bytes"));
    }
}

TEST_CASE("invalid UTF-8 in a --set value is a user error (exit 2), not a JSON type error", "[cli][ranges]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "run", moesim::test::source_path("scenarios/deepseek-v2-serve-8xh800.json"), "--db",
                              (tmp / "r.sqlite").string(), "--set", std::string("/name=ab\xff\xfe"));
    INFO(r.err);
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Contains("not valid UTF-8"));
    CHECK_FALSE(std::filesystem::exists(tmp / "r.sqlite"));
}

TEST_CASE("README.md lists every comm flag range", "[cli][ranges]") {
    const std::string readme = moesim::test::read_file(moesim::test::source_path("README.md"));
    for (const auto& r : moesim::cli::comm_flag_ranges()) {
        const std::string line = std::string("| `") + r.path + "` | [" + moesim::show_bound(r.min) + ", " +
                                 moesim::show_bound(r.max) + "] |";
        INFO(line);
        CHECK(readme.find(line) != std::string::npos);
    }
}

TEST_CASE("every sweep and search flag range row refuses values outside it with exit 2 naming the flag", "[cli][ranges]") {
    TempDir tmp;
    // The flags are checked before the document is read, so a missing file is never reached.
    for (const auto& [verb, table] : {std::pair{"sweep", moesim::cli::sweep_flag_ranges()},
                                      std::pair{"search", moesim::cli::search_flag_ranges()}}) {
        for (const auto& row : table) {
            for (const double v : {row.max + 1, row.min - 1}) {
                const auto r = run_moesim_args(tmp, {std::string(verb), "absent.json", std::string(row.path), text(v)});
                INFO(verb << " " << row.path << " " << text(v) << ": " << r.err);
                CHECK(r.exit_status == 2);
                CHECK_THAT(r.err, Catch::Contains(std::string(row.path) + ": must be in ["));
                CHECK_FALSE(std::filesystem::exists(tmp / "results.sqlite"));
            }
        }
    }
}
