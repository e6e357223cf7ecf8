// The command line as a user meets it: help, unknown commands, exit statuses (DESIGN §6).
#include <catch2/catch.hpp>

#include "run_moesim.h"

using moesim::test::run_moesim;
using moesim::test::TempDir;

TEST_CASE("moesim --help lists the commands and exits 0", "[cli]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "--help");
    CHECK(r.exit_status == 0);
    for (const char* verb : {"run", "model", "models", "gpus", "runs"}) CHECK(r.out.find(std::string("  ") + verb + " ") != std::string::npos);
}

TEST_CASE("no command prints the usage on stderr and exits 2", "[cli]") {
    TempDir tmp;
    const auto r = run_moesim(tmp);
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("usage: moesim") != std::string::npos);
}

TEST_CASE("an unknown command exits 2 with a suggestion", "[cli]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "rnu");
    CHECK(r.exit_status == 2);
    CHECK(r.err.find("unknown command 'rnu'") != std::string::npos);
    CHECK(r.err.find("did you mean \"run\"") != std::string::npos);
}


