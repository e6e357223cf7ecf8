#pragma once
// What `moesim calibrate` writes, in all its forms (measured, derived, from a trace): a profile
// is never overwritten, and files appear only once everything else (the database transaction)
// has succeeded, each written atomically (output_file.h).
#include <filesystem>
#include <string>
#include <vector>

#include "output_file.h"

namespace moesim::cli {

// Today's date in UTC, "YYYY-MM-DD".
std::string today_utc();

// A file the command will create: it must not exist (a profile is never overwritten; a
// dangling symlink counts as existing, nothing is written through it), and its directory
// must, unless `may_create_dir` (the default calibrations/). Checked before anything is
// measured, so a long run cannot end in a path error. Throws UserError naming `flag`.
void check_new_file(const std::string& flag, const std::filesystem::path& path, bool may_create_dir);

// Files staged next to their final path (StagedOutput) and renamed into place by commit();
// removed if the command fails before that, with the directories add() created.
class StagedFiles {
public:
    StagedFiles() = default;
    StagedFiles(const StagedFiles&) = delete;
    StagedFiles& operator=(const StagedFiles&) = delete;
    ~StagedFiles();
    void add(const std::string& flag, const std::filesystem::path& path, const std::string& text);
    void commit();

private:
    std::vector<StagedOutput> files_;
    std::vector<std::filesystem::path> created_dirs_;
};

}  // namespace moesim::cli
