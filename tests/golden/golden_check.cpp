// golden_check SCENARIO FIDELITY GOLDEN [--update]: runs the built `moesim run SCENARIO
// --fidelity FIDELITY --json` from the source tree (results database in a temp dir) and
// compares the run's summary with the golden file GOLDEN, naming every field that
// differs; exit 1 if any does. With --update (the `update_golden` target only) it writes
// GOLDEN instead, keys sorted and indented, so that `git diff tests/golden` is the review.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "run_moesim.h"
#include "summary_diff.h"

namespace {

using nlohmann::json;
using namespace moesim::test;

int usage() {
    std::cerr << "usage: golden_check SCENARIO FIDELITY GOLDEN [--update]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 && !(argc == 5 && std::string(argv[4]) == "--update")) return usage();
    const std::string scenario = argv[1];
    const std::string fidelity = argv[2];
    const std::filesystem::path golden_path = argv[3];
    const bool update = argc == 5;

    TempDir tmp;
    const CommandResult r =
        run_moesim_args(tmp, {"run", scenario, "--fidelity", fidelity, "--json", "--db", (tmp / "golden.sqlite").string()},
                        "cd " + shell_quote(MOESIM_SOURCE_DIR) + " &&");
    if (r.exit_status != 0) {
        std::cerr << "moesim run " << scenario << " --fidelity " << fidelity << " exited " << r.exit_status << ":\n"
                  << r.err;
        return 1;
    }
    const json runs = json::parse(r.out).at("runs");
    if (runs.size() != 1) {
        std::cerr << "expected one run in the output, got " << runs.size() << "\n";
        return 1;
    }
    const json got = golden_fields(runs[0]);

    if (update) {
        std::ofstream(golden_path) << got.dump(2) << "\n";
        std::cout << "wrote " << golden_path.string() << "\n";
        return 0;
    }
    std::ifstream in(golden_path);
    if (!in) {
        std::cerr << golden_path.string() << " does not exist: run `make golden` and review the new file\n";
        return 1;
    }
    const auto differences = summary_differences(json::parse(in), got);
    for (const auto& d : differences) std::cerr << d << "\n";
    if (differences.empty()) {
        std::cout << scenario << " (" << fidelity << ") matches " << golden_path.filename().string() << "\n";
        return 0;
    }
    std::cerr << differences.size() << " field(s) of " << scenario << " (" << fidelity << ") differ from "
              << golden_path.string() << ".\nIf the change is intended, run `make golden` and explain the "
              << "git diff of tests/golden in the commit.\n";
    return 1;
}
