// Every file moesim reads goes through one reader (common/input_file.h; issue 17, item 2): a
// FIFO, /dev/zero, a directory, a symlink loop, a missing file, an unreadable file and one over
// the size limit, given as each kind of input — the scenario, its model config, GPU spec,
// calibration profile, expert trace and request trace, a validation case file, a prices file —
// exit 2 at once (each command runs under `timeout`) with the path in the one-line message, and
// nothing is written.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cli_fixtures.h"
#include "moesim/common/input_file.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

namespace {

// The bad paths, made in `tmp`: name -> path. The oversize ones are sparse.
std::map<std::string, std::string> bad_paths(const TempDir& tmp) {
    std::map<std::string, std::string> bad;
    const auto fifo = (tmp / "fifo.json").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    bad["a FIFO"] = fifo;
    bad["/dev/zero"] = "/dev/zero";
    bad["/dev/urandom"] = "/dev/urandom";
    std::filesystem::create_directories(tmp / "dir.json");
    bad["a directory"] = (tmp / "dir.json").string();
    std::filesystem::create_symlink(tmp / "loop-b.json", tmp / "loop-a.json");
    std::filesystem::create_symlink(tmp / "loop-a.json", tmp / "loop-b.json");
    bad["a symlink loop"] = (tmp / "loop-a.json").string();
    bad["a missing file"] = (tmp / "missing" / "x.json").string();
    if (::geteuid() != 0) {  // root reads it: the last test below runs moesim as nobody
        const auto secret = write_text(tmp, "secret.json", "{}");
        std::filesystem::permissions(secret, std::filesystem::perms::none);
        bad["an unreadable file"] = secret;
    }
    return bad;
}

std::string oversize(const TempDir& tmp, const std::string& name, std::uint64_t limit) {
    const auto p = write_text(tmp, name, "");
    std::filesystem::resize_file(p, limit + 1);
    return p;
}

// `moesim ARGS...` under a 20 s timeout: exit 2, one line on stderr holding `path` (and `also`).
void expect_refused_quickly(const TempDir& tmp, const std::vector<std::string>& args, const std::string& path,
                            const std::string& also = "") {
    const auto r = run_moesim_args(tmp, args, "timeout -s KILL 20");
    INFO(args.front() << " with " << path << "; stderr: " << r.err);
    CHECK(r.exit_status == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, Contains(path));
    if (!also.empty()) CHECK_THAT(r.err, Contains(also));
}

}  // namespace

TEST_CASE("bad paths as any input file exit 2 at once, naming the path", "[cli][input]") {
    TempDir tmp;
    auto bad = bad_paths(tmp);
    const auto db = tmp / "never.sqlite";
    const auto run = [&](const std::string& scenario) {
        return std::vector<std::string>{"run", scenario, "--db", db.string()};
    };
    const auto training = [&](const std::string& name, const std::function<void(json&)>& edit) {
        return scenario_variant(tmp, name, kV3Scenario, edit);
    };

    for (const auto& [what, path] : bad) {
        DYNAMIC_SECTION("the scenario is " << what) {
            expect_refused_quickly(tmp, run(path), path, "cannot read the scenario file");
            expect_refused_quickly(tmp, {"validate", "--file", path}, path, "cannot read the validation case file");
        }
        DYNAMIC_SECTION("the model config is " << what) {
            const auto s = training("m.json", [&](json& j) { j["model"] = path; });
            expect_refused_quickly(tmp, run(s), path, s + ": /model: ");
        }
        DYNAMIC_SECTION("the GPU spec is " << what) {
            const auto s = training("g.json", [&](json& j) { j["cluster"]["gpu"] = path; });
            expect_refused_quickly(tmp, run(s), path, s + ": /cluster/gpu: ");
        }
        DYNAMIC_SECTION("the calibration profile is " << what) {
            const auto s = training("c.json", [&](json& j) { j["cluster"]["calibration"] = path; });
            expect_refused_quickly(tmp, run(s), path, s + ": /cluster/calibration: ");
        }
        DYNAMIC_SECTION("the expert trace is " << what) {
            const auto s = training("e.json", [&](json& j) {
                j["training"]["moe"]["expert_load"] = {{"kind", "trace"}, {"file", path}};
            });
            expect_refused_quickly(tmp, run(s), path, s + ": /training/moe/expert_load/file: ");
        }
        DYNAMIC_SECTION("the request trace is " << what) {
            const auto s = scenario_variant(tmp, "r.json", kServeScenario, [&](json& j) {
                j["inference"]["traffic"] = {{"arrival", "trace"}, {"trace_file", path}};
            });
            expect_refused_quickly(tmp, run(s), path, s + ": /inference/traffic/trace_file: ");
        }
    }
    CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("input files over their kind's size limit are refused unread", "[cli][input]") {
    TempDir tmp;
    const auto db = tmp / "never.sqlite";
    const auto doc = oversize(tmp, "big.json", moesim::kMaxDocumentBytes);
    const std::string limit = "over the limit of " + std::to_string(moesim::kMaxDocumentBytes) + " bytes";
    expect_refused_quickly(tmp, {"run", doc, "--db", db.string()}, doc, limit);
    const auto s = scenario_variant(tmp, "g.json", kV3Scenario, [&](json& j) { j["cluster"]["gpu"] = doc; });
    expect_refused_quickly(tmp, {"run", s, "--db", db.string()}, doc, limit);
    const auto trace = oversize(tmp, "big.csv", moesim::kMaxTraceBytes);
    const auto serve = scenario_variant(tmp, "r.json", kServeScenario, [&](json& j) {
        j["inference"]["traffic"] = {{"arrival", "trace"}, {"trace_file", trace}};
    });
    expect_refused_quickly(tmp, {"run", serve, "--db", db.string()}, trace,
                           "over the limit of " + std::to_string(moesim::kMaxTraceBytes) + " bytes");
    CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("a bad prices file for report prices --add exits 2 naming it, the database unchanged", "[cli][input]") {
    TempDir tmp;
    const auto db = tmp / "r.sqlite";
    REQUIRE(run_moesim(tmp, "run", source_path(kV3Scenario), "--db", db.string()).exit_status == 0);
    const auto prices_before = query(db, "SELECT count(*) AS n FROM prices").at(0).at("n");
    auto bad = bad_paths(tmp);
    bad["an oversize file"] = oversize(tmp, "big-prices.json", moesim::kMaxDocumentBytes);
    for (const auto& [what, path] : bad) {
        DYNAMIC_SECTION("the prices file is " << what) {
            expect_refused_quickly(tmp, {"report", "prices", "--db", db.string(), "--add", path}, path,
                                   "cannot read the prices file");
        }
    }
    CHECK(query(db, "SELECT count(*) AS n FROM prices").at(0).at("n") == prices_before);
}

TEST_CASE("a results database path that is no regular file exits 2 naming it, and nothing blocks", "[cli][input]") {
    TempDir tmp;
    auto bad = bad_paths(tmp);
    bad.erase("a missing file");  // a new database is created there
    bad.erase("an unreadable file");
    for (const auto& [what, path] : bad) {
        DYNAMIC_SECTION("--db is " << what) {
            expect_refused_quickly(tmp, {"run", source_path(kV3Scenario), "--db", path}, path, "results database");
            expect_refused_quickly(tmp, {"runs", "--db", path}, path);
        }
    }
}

TEST_CASE("an unreadable input file exits 2 with the operating system's reason", "[cli][input]") {
    TempDir tmp;
    // Root reads a mode-000 file; then moesim runs as nobody (setpriv), where that is possible.
    std::string as_user;
    if (::geteuid() == 0) {
        if (std::system("command -v setpriv >/dev/null 2>&1") != 0) {
            WARN("running as root without setpriv: the unreadable-file case is not exercised");
            return;
        }
        as_user = "setpriv --reuid=65534 --regid=65534 --clear-groups";
    }
    const auto secret = write_text(tmp, "secret.json", "{}");
    std::filesystem::permissions(secret, std::filesystem::perms::none);
    const auto db = tmp / "never.sqlite";
    const auto gpu = scenario_variant(tmp, "g.json", kV3Scenario, [&](json& j) { j["cluster"]["gpu"] = secret; });
    for (const auto& args : std::vector<std::vector<std::string>>{{"run", secret, "--db", db.string()},
                                                                  {"run", gpu, "--db", db.string()},
                                                                  {"validate", "--file", secret}}) {
        const auto r = run_moesim_args(tmp, args, as_user + (as_user.empty() ? "" : " ") + "timeout -s KILL 20");
        INFO(args.at(1) << ": " << r.err);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(secret + ": Permission denied") || Contains("file: Permission denied"));
        CHECK_THAT(r.err, Contains(secret));
    }
    CHECK_FALSE(std::filesystem::exists(db));
}
