#pragma once
// What `moesim calibrate` writes, in all its forms (measured, derived, from a trace): a profile
// is never overwritten, and files appear only once everything else (the database transaction)
// has succeeded.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace moesim::cli {

// Today's date in UTC, "YYYY-MM-DD".
std::string today_utc();

// A file the command will create: it must not exist (a profile is never overwritten), and its
// directory must, unless `may_create_dir` (the default calibrations/). Checked before anything
// is measured, so a long run cannot end in a path error. Throws UserError naming `flag`.
void check_new_file(const std::string& flag, const std::filesystem::path& path, bool may_create_dir);

// Files written next to their final path and renamed into place by commit(); removed if the
// command fails before that.
class StagedFiles {
public:
    StagedFiles() = default;
    StagedFiles(const StagedFiles&) = delete;
    StagedFiles& operator=(const StagedFiles&) = delete;
    ~StagedFiles();
    void add(const std::filesystem::path& path, const std::string& text);
    void commit();

private:
    std::vector<std::pair<std::filesystem::path, std::filesystem::path>> files_;
    std::vector<std::filesystem::path> created_dirs_;
};

}  // namespace moesim::cli
