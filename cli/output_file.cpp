#include "output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "moesim/common/error.h"

namespace moesim::cli {

namespace {

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_name_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Writes all of `text`, retrying short writes and interrupted calls; false with errno set on failure.
bool write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

StagedOutput::StagedOutput(std::string path, const std::string& text, std::string flag)
    : path_(std::move(path)), flag_(std::move(flag)) {
    const auto fail = [&](const std::string& why) {
        throw UserError(flag_ + " " + path_ + ": cannot write the file: " + why);
    };
    if (path_.empty() || path_.back() == '/') fail("the path names no file");
    const std::string prefix = directory_of(path_) + "/." + base_name_of(path_) + "." + std::to_string(::getpid()) + ".";
    int fd = -1;
    for (int attempt = 0; fd < 0; ++attempt) {
        const std::string candidate = prefix + std::to_string(attempt) + ".tmp";
        fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) {
            tmp_ = candidate;
        } else if (errno != EEXIST || attempt >= 100) {
            fail(std::strerror(errno));
        }
    }
    const bool written = write_all(fd, text) && ::fsync(fd) == 0;
    const int write_errno = errno;
    const bool closed = ::close(fd) == 0;
    if (!written || !closed) {
        const std::string why = std::strerror(written ? errno : write_errno);
        ::unlink(tmp_.c_str());
        tmp_.clear();
        fail(why);
    }
}

StagedOutput::StagedOutput(StagedOutput&& other) noexcept
    : path_(std::move(other.path_)), flag_(std::move(other.flag_)), tmp_(std::exchange(other.tmp_, {})) {}

StagedOutput::~StagedOutput() {
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
}

void StagedOutput::commit() {
    MOESIM_CHECK(!tmp_.empty(), "output " + path_ + " committed twice");
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp_.c_str());
        tmp_.clear();
        throw UserError(flag_ + " " + path_ + ": cannot write the file: " + why);
    }
    tmp_.clear();
    // The rename is durable once the directory is; a directory that cannot be opened or
    // synced (some network file systems) still holds the complete file.
    const int dir = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

void write_file_atomically(const std::string& path, const std::string& text, const std::string& flag) {
    StagedOutput output(path, text, flag);
    output.commit();
}

}  // namespace moesim::cli
