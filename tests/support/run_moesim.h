#pragma once
// Runs the built `moesim` binary as a user would and captures its exit status and output.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace moesim::test {

struct CommandResult {
    int exit_status = -1;
    std::string out;
    std::string err;
};

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() / ("moesim-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// `args` is appended to the binary, already split into words (each is quoted here);
// `prefix`, when given, is shell text put before it (e.g. "cd DIR && VAR=value").
inline CommandResult run_moesim_args(const TempDir& tmp, const std::vector<std::string>& args,
                                     const std::string& prefix = "") {
    std::string cmd = prefix + (prefix.empty() ? "" : " ") + shell_quote(MOESIM_BINARY);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    const auto out = tmp / "stdout.txt";
    const auto err = tmp / "stderr.txt";
    cmd += " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string()) + " </dev/null";
    const int raw = std::system(cmd.c_str());
    CommandResult r;
    r.exit_status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
}

template <typename... Args>
CommandResult run_moesim(const TempDir& tmp, const Args&... args) {
    return run_moesim_args(tmp, {std::string(args)...});
}

inline std::string source_path(const std::string& relative) {
    return std::string(MOESIM_SOURCE_DIR) + "/" + relative;
}

}  // namespace moesim::test
