// Every command of README.md's ```sh blocks runs as printed. The commands are read from the
// README, each looked up in the table below (a command the table does not know fails the
// test, so a new one gets classified), and the runnable ones run in README order through
// bash in a fresh directory holding copies of scenarios/ and calibrations/, so that
// `results.sqlite` and every file a command writes land there. Only `build/cli/moesim` is
// replaced, by the built binary. A command that cannot run here says why in the table.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixtures.h"
#include "moesim/calib/measurement_file.h"
#include "synthetic_suite.h"

using namespace moesim::test;
namespace fs = std::filesystem;

namespace {

// What a command needs in the working directory before it runs as printed.
enum class Fixture {
    None,
    PriceFile,    // my-prices.json: one valid price, the form `moesim report --help` gives
    H100Profile,  // calibrations/h100-measured.json: fitted from synthetic H100 measurements,
                  // what the README's preceding command measures on a GPU
};

struct KnownCommand {
    const char* command;          // as printed, comment dropped, whitespace runs as one space
    bool runnable;                // false: not run here, for the reason in `why`
    int expected_status;          // when run
    const char* env;              // shell assignments put before it ("" none)
    Fixture fixture;
    const char* why;              // why it is not run, or why its status is not 0
    const char* says = "";        // what stderr holds when the status is not 0
};

// No GPU where the test runs: the build may have CUDA, the test hides the devices.
constexpr const char* kNoGpu = "CUDA_VISIBLE_DEVICES=-1";

const std::vector<KnownCommand> kKnown = {
    {"make run", false, 0, "", Fixture::None,
     "installs packages and builds the whole project; its run is the first command below without --set"},
    {"make test", false, 0, "", Fixture::None, "runs this test suite itself"},
    {"make test SANITIZE=1", false, 0, "", Fixture::None,
     "rebuilds everything under ASan + UBSan in build-asan/ and runs this suite there (.ci/run does)"},
    {"build/cli/moesim run scenarios/deepseek-v3-pretrain.json --set /parallelism/comm_sms=24", true, 0, "",
     Fixture::None, ""},
    {"build/cli/moesim run scenarios/llama-3.1-405b-pretrain.json --json | jq '.runs[0].mfu'", true, 0, "",
     Fixture::None, ""},
    {"build/cli/moesim model deepseek-v3 --json", true, 0, "", Fixture::None, ""},
    {"build/cli/moesim run scenarios/deepseek-v3-pretrain.json --explain", true, 0, "", Fixture::None, ""},
    {"build/cli/moesim sweep scenarios/sweeps/deepseek-v3-layouts.json --db sweeps.sqlite", true, 0, "", Fixture::None, ""},
    {"mpirun -np 4 build/cli/moesim sweep scenarios/sweeps/deepseek-v3-layouts.json --db sweeps.sqlite", false, 0, "",
     Fixture::None, "needs mpirun; tests/cli/sweep_mpi_test.cpp runs sweeps under 2 and 4 ranks when it is there"},
    {"mpirun -np 64 --hostfile hosts.txt build/cli/moesim sweep S.json --db D.sqlite", false, 0, "", Fixture::None,
     "needs the machines of a hostfile"},
    {"build/cli/moesim report sweep deepseek-v3-layouts --db sweeps.sqlite", true, 0, "", Fixture::None, ""},
    {"build/cli/moesim report sweep --db sweeps.sqlite --format html --out sweep.html", true, 0, "", Fixture::None, ""},
    {"build/cli/moesim search scenarios/searches/deepseek-v3-training-2048xh800.json --db search.sqlite -j 2", false, 0,
     "", Fixture::None, "103,680 points: minutes on 2 cores; search_test runs the same code on 90-point spaces"},
    {"build/cli/moesim search scenarios/searches/deepseek-v3-serving-slo.json --db search.sqlite -j 2", false, 0, "",
     Fixture::None, "8 serving points of 10 simulated minutes each at 240 requests/s: minutes; search_test covers the verb"},
    {"sqlite3 -header -column results.sqlite \\ \"SELECT r.id, r.name, t.step_time_s, t.mfu, t.gpu_hours, "
     "t.usd_per_million_tokens FROM runs r JOIN training_results t ON t.run_id = r.id ORDER BY r.id DESC LIMIT 5;\"",
     true, 0, "", Fixture::None, ""},
    {"sqlite3 results.sqlite \"SELECT phase, category, seconds FROM breakdown WHERE run_id = 1 ORDER BY seconds DESC;\"",
     true, 0, "", Fixture::None, ""},
    {"build/cli/moesim run scenarios/llama-3.1-70b-serve-8xh100.json", true, 0, "", Fixture::None, ""},
    {"build/cli/moesim report compare", true, 0, "", Fixture::None, ""},
    {"build/cli/moesim report compare --name 'llama-*-serve-*' --against gpt-4o --format html --out compare.html", true,
     0, "", Fixture::None, ""},
    {"build/cli/moesim report training --format csv", true, 0, "", Fixture::None, ""},
    {"build/cli/moesim report prices --add my-prices.json", true, 0, "", Fixture::PriceFile, ""},
    {"build/cli/moesim calibrate --quick", true, 2, kNoGpu, Fixture::None, "measures a GPU: without one it exits 2",
     "no GPU to measure"},
    {"build/cli/moesim calibrate --out calibrations/h100-measured.json --save-measurements h100-raw.json", true, 2,
     kNoGpu, Fixture::None, "measures a GPU: without one it exits 2",
     "no GPU to measure"},
    {"build/cli/moesim calibrate --derive H800 --from calibrations/h100-measured.json --out "
     "calibrations/h800-derived.json",
     true, 0, "", Fixture::H100Profile, ""},
};

struct ReadmeCommand {
    std::string text;  // as printed, comments dropped, continuation lines kept
    std::string key;   // whitespace runs as one space, for the table
};

// A line's text without its shell comment ('#' starting a word outside quotes); `quote`
// carries an open quote from one line to the next.
std::string drop_comment(const std::string& line, char& quote) {
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])))) {
            return line.substr(0, i);
        }
    }
    return line;
}

std::string collapse_spaces(const std::string& s) {
    std::string out;
    for (char c : s) {
        const bool space = std::isspace(static_cast<unsigned char>(c));
        if (space && (out.empty() || out.back() == ' ')) continue;
        out += space ? ' ' : c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// The commands of the README's ```sh blocks: a command goes on while its line ends in a
// backslash or a quote is open.
std::vector<ReadmeCommand> readme_commands(const std::string& readme) {
    std::vector<ReadmeCommand> out;
    std::istringstream in(readme);
    std::string line, pending;
    bool in_sh = false;
    char quote = 0;
    while (std::getline(in, line)) {
        if (!in_sh) {
            in_sh = line == "```sh";
            continue;
        }
        if (line.rfind("```", 0) == 0) {
            INFO("unfinished command: " << pending);
            CHECK(pending.empty());
            in_sh = false;
            continue;
        }
        std::string text = drop_comment(line, quote);
        while (!text.empty() && text.back() == ' ') text.pop_back();
        if (pending.empty() && text.empty()) continue;
        pending += (pending.empty() ? "" : "\n") + text;
        if (quote || (!text.empty() && text.back() == '\\')) continue;
        out.push_back({pending, collapse_spaces(pending)});
        pending.clear();
    }
    return out;
}

const KnownCommand* known(const std::string& key) {
    const auto it = std::find_if(kKnown.begin(), kKnown.end(), [&](const KnownCommand& k) { return key == k.command; });
    return it == kKnown.end() ? nullptr : &*it;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

bool on_path(const std::string& tool) {
    return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

void make_fixture(Fixture f, const TempDir& tmp, const fs::path& work) {
    if (f == Fixture::PriceFile) {
        std::ofstream(work / "my-prices.json") << R"({"prices": [
  {"product": "example-api", "model": "llama-3.1-70b",
   "usd_per_million_tokens": {"input_cache_hit": 0.1, "input_cache_miss": 0.4, "output": 0.8},
   "source": "https://example.com/pricing", "as_of": "2025-06-01"}]}
)";
    } else if (f == Fixture::H100Profile) {
        moesim::calib::MeasurementFile m;
        m.created = "2025-07-01";
        m.tool_version = "moesim test";
        m.device = synthetic_h100_device();
        m.measurements = synthetic_suite(moesim::hw::load_gpu("H100", "", nullptr));
        const auto fitted = run_moesim(tmp, "calibrate", "--measurements", write_json(tmp, "h100-raw.json", moesim::calib::to_json(m)),
                                       "--out", (work / "calibrations/h100-measured.json").string(), "--db",
                                       (tmp / "fixture.sqlite").string());
        INFO("fitting the H100 fixture: " << fitted.err);
        REQUIRE(fitted.exit_status == 0);
    }
}

}  // namespace

TEST_CASE("README: every command of its sh blocks is classified, and the runnable ones run as printed", "[cli][readme]") {
    const auto commands = readme_commands(read_file(source_path("README.md")));
    REQUIRE(commands.size() >= 10);  // the extraction found the blocks

    TempDir tmp;
    const fs::path work = tmp / "work";
    fs::create_directories(work);
    for (const char* dir : {"scenarios", "calibrations"})
        fs::copy(source_path(dir), work / dir, fs::copy_options::recursive);

    for (const auto& c : commands) {
        const KnownCommand* k = known(c.key);
        INFO("README command: " << c.key);
        if (!k) {
            FAIL_CHECK("not in readme_commands_test.cpp's table: classify it (runnable here, or why not)");
            continue;
        }
        if (!k->runnable) continue;
        for (const char* tool : {"jq", "sqlite3"}) {
            if (c.key.find(std::string(tool) + " ") != std::string::npos && !on_path(tool)) {
                WARN("not run: " << tool << " is not installed");
                k = nullptr;
            }
        }
        if (!k) continue;
        make_fixture(k->fixture, tmp, work);
        const std::string text = replace_all(c.text, "build/cli/moesim", shell_quote(MOESIM_BINARY));
        const std::string shell = "cd " + shell_quote(work.string()) + " && " + k->env + (*k->env ? " " : "") +
                                  "bash -o pipefail -c " + shell_quote(text) + " >" +
                                  shell_quote((tmp / "out.txt").string()) + " 2>" +
                                  shell_quote((tmp / "err.txt").string()) + " </dev/null";
        const int raw = std::system(shell.c_str());
        const int status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        const std::string err = read_file(tmp / "err.txt");
        INFO("stderr: " << err);
        CHECK(status == k->expected_status);
        if (k->expected_status != 0) CHECK_THAT(err, Catch::Matchers::Contains(k->says));
    }
}
