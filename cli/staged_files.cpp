#include "staged_files.h"

#include <chrono>
#include <ctime>
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
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec)))
        throw UserError(flag + " " + path.string() +
                        ": the file exists; moesim calibrate does not overwrite it (remove it or pass another path)");
    const fs::path dir = fs::absolute(path).parent_path();
    if (!may_create_dir && !fs::is_directory(dir, ec))
        throw UserError(flag + " " + path.string() + ": directory " + dir.string() + " does not exist");
}

StagedFiles::~StagedFiles() {
    const bool committed = files_.empty();
    files_.clear();  // removes what was staged
    std::error_code ec;
    if (!committed)
        for (const auto& dir : created_dirs_) fs::remove(dir, ec);  // only if still empty
}

void StagedFiles::add(const std::string& flag, const fs::path& path, const std::string& text) {
    const fs::path dir = fs::absolute(path).parent_path();
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        fs::create_directories(dir, ec);
        if (ec) throw UserError(flag + " " + path.string() + ": cannot create directory " + dir.string() + ": " + ec.message());
        created_dirs_.push_back(dir);
    }
    files_.emplace_back(path.string(), text, flag);
}

void StagedFiles::commit() {
    for (auto& file : files_) file.commit();
    files_.clear();
}

}  // namespace moesim::cli
