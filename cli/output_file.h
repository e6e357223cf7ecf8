#pragma once
// Every file moesim writes for the user (`run --trace`, `report --out`, the profiles and
// measurements `calibrate` writes) goes through StagedOutput, so that
//  * a reader never sees half a file: the text goes to a new file beside the target
//    (".NAME.PID.N.tmp", created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0644 less the umask),
//    is fsync()ed, and is rename()d over the target only when complete (then the directory is
//    fsync()ed, so the rename survives a power cut);
//  * a symlink planted at the target is never followed: rename() replaces the link itself,
//    and the file the link pointed at is left as it was;
//  * a failure leaves nothing behind: the temporary file is removed.
#include <string>

namespace moesim::cli {

class StagedOutput {
public:
    // Writes `text` to the temporary file. Throws UserError "FLAG PATH: cannot write the file: why".
    StagedOutput(std::string path, const std::string& text, std::string flag);
    ~StagedOutput();  // removes the temporary file unless committed
    StagedOutput(StagedOutput&& other) noexcept;
    StagedOutput(const StagedOutput&) = delete;
    StagedOutput& operator=(const StagedOutput&) = delete;
    StagedOutput& operator=(StagedOutput&&) = delete;

    // Renames the temporary file over the target.
    void commit();

private:
    std::string path_, flag_, tmp_;
};

// StagedOutput, committed at once.
void write_file_atomically(const std::string& path, const std::string& text, const std::string& flag);

}  // namespace moesim::cli
