#pragma once
// The one way moesim reads a file a user names (scenario, model config, GPU spec, calibration
// profile, prices, measurements, validation cases, expert and request traces).
//
// Before anything is opened for reading the path is stat()ed: a symlink loop, a missing file or
// a directory that cannot be searched is the user's error, and so is anything that is not a
// regular file — a directory, a FIFO, a device (/dev/zero, /dev/urandom), a socket — which
// could otherwise block or never end. The file is then opened with O_NONBLOCK (a FIFO swapped in
// after the stat cannot block the open) and fstat()ed again, so what is read is the regular file
// that was checked. A file over the limit for its kind is refused without reading it. Every
// failure is an InputFileError (a ScenarioError, so exit status 2) naming the path and the
// operating system's reason, e.g. "x.json: cannot read the scenario file: Permission denied".
#include <cstdint>
#include <string>

#include "moesim/common/error.h"

namespace moesim {

// Size limits, by kind. A JSON document a person writes or a tool emits (scenario, model
// config, GPU spec, calibration profile, prices, measurements, validation cases) is far below
// 64 MiB — the bundled ones are under 100 KiB; a CSV trace (expert counts, request arrivals)
// may hold tens of millions of rows, up to 1 GiB.
inline constexpr std::uint64_t kMaxDocumentBytes = std::uint64_t{64} << 20;
inline constexpr std::uint64_t kMaxTraceBytes = std::uint64_t{1} << 30;

// what(): "PATH: cannot read the WHAT file: REASON".
class InputFileError : public ScenarioError {
public:
    InputFileError(const std::string& path, const std::string& what, std::string reason);
    const std::string& reason() const { return reason_; }

private:
    std::string reason_;
};

// Whether anything is at `path` (following symlinks): false only when nothing is (ENOENT, or
// ENOTDIR: a component of the path is a file). Any other failure to look — a symlink loop, a
// directory without search permission, a name too long — throws InputFileError, so a caller
// that tries several places never takes a broken path for an absent one.
bool input_file_exists(const std::string& path, const std::string& what);

// The whole of the regular file at `path`, at most `max_bytes` long; `what` names its kind in
// messages ("scenario", "request trace"). Throws InputFileError as described above.
std::string read_input_file(const std::string& path, const std::string& what, std::uint64_t max_bytes);

// A file that a scenario names at `json_path` (a trace): a relative `path` is read beside the
// scenario (`base_dir`) when it is there, else where moesim runs. Failures are the scenario's:
// ScenarioError(scenario_file, json_path, "cannot read the WHAT \"PATH\": REASON").
struct ScenarioInput {
    std::string path;  // where it was read
    std::string text;
};
ScenarioInput read_scenario_input(const std::string& path, const std::string& base_dir,
                                  const std::string& scenario_file, const std::string& json_path,
                                  const std::string& what, std::uint64_t max_bytes);

}  // namespace moesim
