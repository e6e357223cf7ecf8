#pragma once
// Progress of long work on stderr: "done/total, rate/s, ETA", redrawn in place at most every
// 0.25 s, and only when it is worth it — after 2 s of work, when stderr is a terminal, and not
// with --quiet. The final line is cleared, so a finished command's output stays clean.
// MOESIM_PROGRESS_AFTER_S (a number of seconds) moves the 2 s, for tests that cannot wait.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace moesim::cli {

class Progress {
public:
    // `what` names the unit ("points"); `enabled` false (--quiet) never prints.
    Progress(std::string what, std::int64_t total, bool enabled);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void advance(std::int64_t by = 1);  // thread-safe
    // Where the work stands, as a simulation's progress hook reports it (a total may be
    // revised); thread-safe.
    void set(std::int64_t done, std::int64_t total);

    // The line as it would be drawn now (for tests): "12/40 points, 3.1/s, ETA 9 s".
    static std::string line(const std::string& what, std::int64_t done, std::int64_t total, double elapsed_s);

private:
    void draw_locked();

    std::string what_;
    std::int64_t total_, done_ = 0;
    bool enabled_, drawn_ = false;
    double after_s_ = 2.0;
    std::chrono::steady_clock::time_point start_, last_draw_;
    std::mutex mutex_;
};

}  // namespace moesim::cli
