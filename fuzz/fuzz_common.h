#pragma once
// Shared by the libFuzzer targets: run one parse, let a user error (exit 2 in the CLI) pass,
// and abort on anything else (an InternalError, a library exception) so libFuzzer reports it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "moesim/common/error.h"

namespace moesim::fuzz {

template <typename F>
void user_errors_only(F&& f) {
    try {
        f();
    } catch (const UserError&) {
        // refused with a message: the expected outcome for bad input
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz finding: %s\n", e.what());
        std::abort();
    }
}

inline std::string text(const std::uint8_t* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

// A per-process scratch file holding `content` (for readers that take a path).
inline std::string scratch_file(const std::string& name, const std::string& content) {
    const auto p = std::filesystem::temp_directory_path() / ("moesim-fuzz-" + std::to_string(getpid()) + "-" + name);
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p.string();
}

}  // namespace moesim::fuzz
