// Output files (`report --out`, `run --trace`, `calibrate --out`) are written atomically through
// cli/output_file.h (issue 17, item 6): a symlink planted at the target is replaced by the new
// file, never written through — the file it pointed at is left byte for byte — and no temporary
// file is left beside the target, whether the write succeeds or is refused.
#include <set>

#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;
namespace fs = std::filesystem;

namespace {

const std::string kVictimText = "precious: must survive\n";

// `dir/name` as a symlink to a file outside `dir` holding kVictimText; returns the link.
fs::path plant_symlink(const TempDir& tmp, const std::string& name) {
    fs::create_directories(tmp / "out");
    fs::create_directories(tmp / "elsewhere");
    const auto victim = tmp / "elsewhere" / (name + ".victim");
    std::ofstream(victim) << kVictimText;
    const auto link = tmp / "out" / name;
    fs::create_symlink(victim, link);
    return link;
}

void check_replaced(const TempDir& tmp, const fs::path& link) {
    CHECK_FALSE(fs::is_symlink(link));
    CHECK(fs::is_regular_file(link));
    CHECK(fs::file_size(link) > 0);
    CHECK(read_file(tmp / "elsewhere" / (link.filename().string() + ".victim")) == kVictimText);
}

// Nothing in `dir` but `expected`.
void check_only(const fs::path& dir, std::set<std::string> expected) {
    std::set<std::string> got;
    for (const auto& e : fs::directory_iterator(dir)) got.insert(e.path().filename().string());
    CHECK(got == expected);
}

}  // namespace

TEST_CASE("report --out replaces a planted symlink and leaves its target alone", "[cli][output]") {
    TempDir tmp;
    const auto db = tmp / "r.sqlite";
    REQUIRE(run_moesim(tmp, "run", source_path(kV3Scenario), "--db", db.string()).exit_status == 0);
    const auto link = plant_symlink(tmp, "report.md");
    const auto r = run_moesim_args(tmp, {"report", "training", "--db", db.string(), "--out", link.string()}, "umask 022 &&");
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    check_replaced(tmp, link);
    CHECK(read_file(link) == run_moesim(tmp, "report", "training", "--db", db.string()).out);
    CHECK(fs::status(link).permissions() == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                             fs::perms::others_read));  // 0644 under the umask 022 set below
    check_only(tmp / "out", {"report.md"});

    // Refused (the target is a directory): exit 2, naming it, and no temporary file left.
    fs::create_directories(tmp / "out" / "dir.md");
    const auto refused = run_moesim(tmp, "report", "training", "--db", db.string(), "--out", (tmp / "out" / "dir.md").string());
    CHECK(refused.exit_status == 2);
    CHECK_THAT(refused.err, Catch::Matchers::Contains((tmp / "out" / "dir.md").string()));
    check_only(tmp / "out", {"report.md", "dir.md"});
}

TEST_CASE("run --trace replaces a planted symlink and leaves its target alone", "[cli][output]") {
    TempDir tmp;
    const auto link = plant_symlink(tmp, "trace.json");
    const auto r = run_moesim(tmp, "run", source_path(kV3Scenario), "--db", (tmp / "r.sqlite").string(), "--fidelity",
                              "event", "--set", "/cluster/nodes=4", "--set", "/parallelism/pp=4", "--set",
                              "/parallelism/dp=8", "--set", "/parallelism/ep=8", "--set", "/training/global_batch_size=64",
                              "--allow-memory-overflow", "--trace", link.string());
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    check_replaced(tmp, link);
    CHECK(json::parse(read_file(link)).contains("traceEvents"));
    check_only(tmp / "out", {"trace.json"});
}

TEST_CASE("calibrate --derive --out does not write through a planted symlink", "[cli][output]") {
    TempDir tmp;
    const auto link = plant_symlink(tmp, "h100.json");
    const auto r = run_moesim(tmp, "calibrate", "--derive", "H100", "--from", "h800-published", "--out", link.string());
    // A profile is never overwritten: the link counts as a file there, even a dangling one.
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Matchers::Contains("the file exists"));
    CHECK(read_file(tmp / "elsewhere" / "h100.json.victim") == kVictimText);
    fs::remove(tmp / "elsewhere" / "h100.json.victim");
    CHECK(run_moesim(tmp, "calibrate", "--derive", "H100", "--from", "h800-published", "--out", link.string())
              .exit_status == 2);
    CHECK_FALSE(fs::exists(tmp / "elsewhere" / "h100.json.victim"));

    const auto fresh = tmp / "out" / "fresh.json";
    const auto ok = run_moesim(tmp, "calibrate", "--derive", "H100", "--from", "h800-published", "--out", fresh.string());
    INFO(ok.err);
    REQUIRE(ok.exit_status == 0);
    CHECK(json::parse(read_file(fresh)).at("gpu") == "H100");
    check_only(tmp / "out", {"h100.json", "fresh.json"});
}
