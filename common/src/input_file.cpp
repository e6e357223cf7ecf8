#include "moesim/common/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace moesim {

namespace {

// Why a stat()ed thing that is not a regular file cannot be read.
std::string not_regular(mode_t mode) {
    const char* kind = S_ISDIR(mode)    ? "a directory"
                       : S_ISFIFO(mode) ? "a FIFO (named pipe)"
                       : S_ISCHR(mode)  ? "a character device"
                       : S_ISBLK(mode)  ? "a block device"
                       : S_ISSOCK(mode) ? "a socket"
                                        : "not a regular file";
    return std::string("it is ") + kind + ", not a regular file";
}

std::string over_limit(std::uint64_t size, std::uint64_t max_bytes, const std::string& what) {
    return "it holds " + std::to_string(size) + " bytes, over the limit of " + std::to_string(max_bytes) + " bytes (" +
           std::to_string(max_bytes >> 20) + " MiB) for a " + what + " file";
}

// Closes the descriptor however the read ends.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

}  // namespace

InputFileError::InputFileError(const std::string& path, const std::string& what, std::string reason)
    : ScenarioError(path, "", "cannot read the " + what + " file: " + reason), reason_(std::move(reason)) {}

bool input_file_exists(const std::string& path, const std::string& what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    throw InputFileError(path, what, std::strerror(errno));
}

std::string read_input_file(const std::string& path, const std::string& what, std::uint64_t max_bytes) {
    const auto fail = [&](const std::string& reason) { throw InputFileError(path, what, reason); };
    const auto fail_errno = [&] { fail(std::strerror(errno)); };
    if (path.empty()) fail("no path given");

    struct stat before {};
    if (::stat(path.c_str(), &before) != 0) fail_errno();
    if (!S_ISREG(before.st_mode)) fail(not_regular(before.st_mode));
    if (static_cast<std::uint64_t>(before.st_size) > max_bytes)
        fail(over_limit(static_cast<std::uint64_t>(before.st_size), max_bytes, what));

    // O_NONBLOCK: if a FIFO took the file's place since the stat, the open returns at once
    // (and the fstat below refuses it) instead of waiting for a writer.
    const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (fd.get() < 0) fail_errno();
    struct stat opened {};
    if (::fstat(fd.get(), &opened) != 0) fail_errno();
    if (!S_ISREG(opened.st_mode)) fail(not_regular(opened.st_mode));
    if (opened.st_dev != before.st_dev || opened.st_ino != before.st_ino)
        fail("it was replaced while being opened; try again");
    if (static_cast<std::uint64_t>(opened.st_size) > max_bytes)
        fail(over_limit(static_cast<std::uint64_t>(opened.st_size), max_bytes, what));

    std::string text;
    text.reserve(static_cast<std::size_t>(opened.st_size));
    char buffer[1 << 16];
    for (;;) {
        const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) continue;
            fail_errno();
        }
        if (got == 0) break;
        text.append(buffer, static_cast<std::size_t>(got));
        // A file that grows while it is read is held to the same limit.
        if (text.size() > max_bytes) fail(over_limit(text.size(), max_bytes, what));
    }
    return text;
}

ScenarioInput read_scenario_input(const std::string& path, const std::string& base_dir,
                                  const std::string& scenario_file, const std::string& json_path,
                                  const std::string& what, std::uint64_t max_bytes) {
    ScenarioInput input{path, {}};
    try {
        if (!path.empty() && path.front() != '/' && !base_dir.empty()) {
            const std::string beside = base_dir + "/" + path;
            if (input_file_exists(beside, what)) input.path = beside;
        }
        input.text = read_input_file(input.path, what, max_bytes);
    } catch (const InputFileError& e) {
        throw ScenarioError(scenario_file, json_path, "cannot read the " + what + " \"" + path + "\": " + e.reason() +
                                                          (input.path != path ? " (at " + input.path + ")" : ""));
    }
    return input;
}

}  // namespace moesim
