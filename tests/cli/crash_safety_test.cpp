// Crash safety of the results database (issue 17, item 5). `moesim run` is killed with SIGKILL
// at seeded random moments — a training scenario, and a serving scenario with --find-max-load —
// and afterwards the database must pass PRAGMA integrity_check and hold only whole runs (every
// run row with its result row; a training run with its breakdown). Then eight writers started
// at once against one new database must all succeed and all eight runs must be there.
//
// Kill moments (seeded, 30 kills in all): each call (three scenarios, so three transactions) is
// timed uninterrupted first (T); half the kills fall uniformly in [0.3 T, 1.1 T], the other half
// wait until the call first writes the database's WAL and then fall within 10 ms — inside its
// transactions. The test requires that some kills left part of a call's runs unwritten.
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "cli_fixtures.h"

extern char** environ;

using namespace moesim::test;

namespace {

using Clock = std::chrono::steady_clock;

// Starts `moesim ARGS...` with stdin, stdout and stderr on /dev/null.
pid_t spawn_moesim(const std::vector<std::string>& args) {
    std::vector<std::string> words = {MOESIM_BINARY};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, MOESIM_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    return pid;
}

// The exit status, or 128 + the signal that ended it.
int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) FAIL("waitpid failed");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string scalar(const std::filesystem::path& db, const std::string& sql) {
    const auto rows = query(db, sql);
    REQUIRE(rows.size() == 1);
    return rows.front().begin()->second;
}

// integrity_check passes, and no run lacks its results.
void check_whole(const std::filesystem::path& db) {
    CHECK(scalar(db, "PRAGMA integrity_check") == "ok");
    CHECK(query(db, "PRAGMA foreign_key_check").empty());
    CHECK(scalar(db, R"sql(SELECT count(*) FROM runs r WHERE
        (r.mode = 'training' AND (NOT EXISTS (SELECT 1 FROM training_results t WHERE t.run_id = r.id)
                                  OR NOT EXISTS (SELECT 1 FROM breakdown b WHERE b.run_id = r.id)))
        OR (r.mode = 'inference' AND NOT EXISTS (SELECT 1 FROM inference_results i WHERE i.run_id = r.id))
        OR r.mode NOT IN ('training', 'inference'))sql") == "0");
}

long long runs_in(const std::filesystem::path& db) {
    return std::filesystem::exists(db) ? std::stoll(scalar(db, "SELECT count(*) FROM runs")) : 0;
}

// What the write-ahead log looks like now (size and modification time; -1 when absent): it
// changes as soon as a writer touches the database.
std::pair<long long, long long> wal_state(const std::filesystem::path& db) {
    struct stat st {};
    if (::stat((db.string() + "-wal").c_str(), &st) != 0) return {-1, -1};
    return {st.st_size, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec};
}

// Whether `pid` has ended; its status in `status` if so.
bool ended(pid_t pid, int& status) {
    int raw = 0;
    if (waitpid(pid, &raw, WNOHANG) != pid) return false;
    status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return true;
}

// Kills `kills` runs of `args` (each writes `runs_per_call` runs), then checks the database
// after each. Even kills fall uniformly in [0.3 T, 1.1 T] of an uninterrupted run's time T;
// odd ones wait until the run first writes the database, then fall in the next 0–10 ms —
// within its transactions. Returns how many kills left some of the call's runs unwritten
// after it had started writing (a kill mid-write).
int kill_repeatedly(const std::filesystem::path& db, const std::vector<std::string>& args, int runs_per_call,
                    int kills, std::mt19937_64& rng) {
    const auto start = Clock::now();
    REQUIRE(wait_for(spawn_moesim(args)) == 0);  // also leaves whole runs in the database
    const double full_s = std::chrono::duration<double>(Clock::now() - start).count();
    std::uniform_real_distribution<double> anywhere(0.3 * full_s, 1.1 * full_s), in_write(0.0, 0.010);
    int killed = 0, finished = 0, mid_write = 0;
    for (int k = 0; k < kills; ++k) {
        const long long before = runs_in(db);
        const auto wal_before = wal_state(db);
        const pid_t pid = spawn_moesim(args);
        int status = -1;
        bool writing = false;
        if (k % 2 == 0) {
            std::this_thread::sleep_for(std::chrono::duration<double>(anywhere(rng)));
        } else {
            while (!ended(pid, status) && !(writing = wal_state(db) != wal_before))
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            if (writing) std::this_thread::sleep_for(std::chrono::duration<double>(in_write(rng)));
        }
        if (status < 0) {
            kill(pid, SIGKILL);
            status = wait_for(pid);
        }
        const long long added = runs_in(db) - before;
        if (status == 128 + SIGKILL) {
            ++killed;
            CHECK(added >= 0);
            CHECK(added <= runs_per_call);
            if (writing && added < runs_per_call) ++mid_write;
        } else {
            CHECK(status == 0);
            ++finished;
            CHECK(added == runs_per_call);
        }
        check_whole(db);
    }
    INFO("a call takes " << full_s << " s; " << killed << " killed, " << finished << " finished first");
    CHECK(killed > 0);
    // The database still takes runs after all that.
    const long long before = runs_in(db);
    REQUIRE(wait_for(spawn_moesim(args)) == 0);
    CHECK(runs_in(db) == before + runs_per_call);
    check_whole(db);
    return mid_write;
}

}  // namespace

TEST_CASE("moesim run killed with SIGKILL at random moments leaves a whole database", "[cli][crash]") {
    TempDir tmp;
    const auto db = tmp / "crash.sqlite";
    std::mt19937_64 rng(17);
    const std::string v3 = source_path(kV3Scenario);
    const std::string serve = source_path("scenarios/llama-3.1-70b-serve-8xh100.json");
    // Three scenarios per call: three transactions, so a kill can fall between them too.
    int mid_write = kill_repeatedly(db, {"run", v3, v3, v3, "--db", db.string()}, 3, 15, rng);
    mid_write += kill_repeatedly(
        db, {"run", serve, serve, serve, "--set", "/inference/traffic/duration_s=20", "--find-max-load", "--db", db.string()},
        3, 15, rng);
    // Some kills must have landed while runs were being written, or the test shows nothing.
    CHECK(mid_write > 0);
}

TEST_CASE("eight concurrent moesim run writers to one new database lose nothing", "[cli][crash]") {
    TempDir tmp;
    const auto db = tmp / "shared.sqlite";
    std::vector<pid_t> writers;
    for (int i = 0; i < 8; ++i)
        writers.push_back(spawn_moesim({"run", source_path(kV3Scenario), "--set", "/name=writer-" + std::to_string(i),
                                        "--db", db.string()}));
    for (pid_t pid : writers) CHECK(wait_for(pid) == 0);
    check_whole(db);
    const auto rows = query(db, "SELECT name FROM runs ORDER BY name");
    REQUIRE(rows.size() == 8);
    for (int i = 0; i < 8; ++i) CHECK(rows[static_cast<std::size_t>(i)].at("name") == "writer-" + std::to_string(i));
}
