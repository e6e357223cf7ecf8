#include "staged_files.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "moesim/common/error.h"

namespace moesim::cli {

namespace fs = std::filesystem;

std::string today_utc() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::ostringstream s;
    s << std::put_time(&tm, "%Y-%m-%d");
    return s.str();
}

void check_new_file(const std::string& flag, const fs::path& path, bool may_create_dir) {
    if (fs::exists(path)) throw UserError(flag + " " + path.string() + ": the file exists; moesim calibrate does not overwrite it (remove it or pass another path)");
    const fs::path dir = fs::absolute(path).parent_path();
    if (!may_create_dir && !fs::is_directory(dir)) throw UserError(flag + " " + path.string() + ": directory " + dir.string() + " does not exist");
}

StagedFiles::~StagedFiles() {
    std::error_code ec;
    for (const auto& [tmp, final_path] : files_) fs::remove(tmp, ec);
    if (!files_.empty())
        for (const auto& dir : created_dirs_) fs::remove(dir, ec);  // only if still empty
}

void StagedFiles::add(const fs::path& path, const std::string& text) {
    const fs::path dir = fs::absolute(path).parent_path();
    if (!fs::exists(dir)) {
        fs::create_directories(dir);
        created_dirs_.push_back(dir);
    }
    const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
    files_.emplace_back(tmp, path);
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw UserError(path.string() + ": cannot write the file");
}

void StagedFiles::commit() {
    for (const auto& [tmp, final_path] : files_) fs::rename(tmp, final_path);
    files_.clear();
}

}  // namespace moesim::cli
