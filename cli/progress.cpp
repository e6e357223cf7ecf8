#include "progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace moesim::cli {

Progress::Progress(std::string what, std::int64_t total, bool enabled)
    : what_(std::move(what)), total_(total), enabled_(enabled && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {
    if (const char* after = std::getenv("MOESIM_PROGRESS_AFTER_S")) {
        char* end = nullptr;
        const double s = std::strtod(after, &end);
        if (end != after && *end == '\0' && s >= 0 && s < 1e6) after_s_ = s;
    }
}

Progress::~Progress() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
}

std::string Progress::line(const std::string& what, std::int64_t done, std::int64_t total, double elapsed_s) {
    char buf[160];
    const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0;
    if (done > 0 && done < total && rate > 0) {
        const double eta = static_cast<double>(total - done) / rate;
        std::snprintf(buf, sizeof buf, "%lld/%lld %s, %.1f/s, ETA %.0f s", static_cast<long long>(done),
                      static_cast<long long>(total), what.c_str(), rate, std::ceil(eta));
    } else {
        std::snprintf(buf, sizeof buf, "%lld/%lld %s, %.1f/s", static_cast<long long>(done),
                      static_cast<long long>(total), what.c_str(), rate);
    }
    return buf;
}

void Progress::advance(std::int64_t by) {
    const std::lock_guard<std::mutex> lock(mutex_);
    done_ += by;
    draw_locked();
}

void Progress::set(std::int64_t done, std::int64_t total) {
    const std::lock_guard<std::mutex> lock(mutex_);
    done_ = done;
    total_ = total;
    draw_locked();
}

void Progress::draw_locked() {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed_s = std::chrono::duration<double>(now - start_).count();
    if (elapsed_s < after_s_ || (drawn_ && std::chrono::duration<double>(now - last_draw_).count() < 0.25)) return;
    last_draw_ = now;
    drawn_ = true;
    std::fprintf(stderr, "\r\033[K%s", line(what_, done_, total_, elapsed_s).c_str());
    std::fflush(stderr);
}

}  // namespace moesim::cli
