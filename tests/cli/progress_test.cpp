// Progress on stderr for long runs (issue 14 item 4): the line's figures; drawn for a
// --fidelity full step and a --find-max-load search when stderr is a terminal (a pty made by
// script(1)); never when stderr is a file or a pipe, and never with --quiet.
// MOESIM_PROGRESS_AFTER_S=0 takes away the 2 s wait so that short runs show it.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "cli_fixtures.h"
#include "progress.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

namespace {

// The command's stdout and stderr as a terminal shows them: run under script(1), whose pty
// is the command's stdout and stderr. Empty optional where script(1) is missing.
std::optional<std::string> on_a_terminal(const TempDir& tmp, const std::vector<std::string>& args) {
    if (std::system("command -v script >/dev/null 2>&1") != 0) return std::nullopt;
    std::string cmd = "MOESIM_PROGRESS_AFTER_S=0 " + shell_quote(MOESIM_BINARY);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    const auto out = tmp / "pty.txt";
    const std::string wrapped = "script -qec " + shell_quote(cmd) + " /dev/null >" + shell_quote(out.string()) +
                                " 2>&1 </dev/null";
    const int status = std::system(wrapped.c_str());
    REQUIRE(status == 0);
    return read_file(out);
}

void check_progress(const TempDir& tmp, std::vector<std::string> args, const std::string& unit) {
    // stderr a file: no progress, however early it may start.
    const auto piped = run_moesim_args(tmp, args, "MOESIM_PROGRESS_AFTER_S=0");
    INFO(piped.err);
    REQUIRE(piped.exit_status == 0);
    CHECK(piped.err.find(unit) == std::string::npos);
    CHECK(piped.err.find('\r') == std::string::npos);

    const auto shown = on_a_terminal(tmp, args);
    if (!shown) {
        WARN("script(1) not found: the terminal half of this test is skipped");
        return;
    }
    INFO(*shown);
    CHECK_THAT(*shown, Contains(" " + unit + ", "));  // "123/456 GPU operations, 7.0/s"
    CHECK_THAT(*shown, Contains("\033[K"));           // drawn in place, and cleared at the end

    args.push_back("--quiet");
    const auto quiet = on_a_terminal(tmp, args);
    CHECK(quiet->find(unit) == std::string::npos);
}

}  // namespace

TEST_CASE("progress line: done/total, rate and ETA", "[cli][progress]") {
    CHECK(moesim::cli::Progress::line("points", 12, 40, 4.0) == "12/40 points, 3.0/s, ETA 10 s");
    CHECK(moesim::cli::Progress::line("points", 40, 40, 4.0) == "40/40 points, 10.0/s");
    CHECK(moesim::cli::Progress::line("points", 0, 40, 0.0) == "0/40 points, 0.0/s");
}

TEST_CASE("progress: a --fidelity full step on a terminal only, not with --quiet", "[cli][progress]") {
    TempDir tmp;
    check_progress(tmp, {"run", source_path(kMixtralScenario), "--fidelity", "full", "--db", (tmp / "r.sqlite").string()},
                   "GPU operations");
}

TEST_CASE("progress: a --find-max-load search on a terminal only, not with --quiet", "[cli][progress]") {
    TempDir tmp;
    check_progress(tmp, {"run", source_path("scenarios/llama-3.1-70b-serve-8xh100.json"), "--find-max-load", "--db",
                         (tmp / "r.sqlite").string()},
                   "rates probed");
}
