#pragma once
// Internal helpers shared by the spec and profile readers (not part of the public API).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "moesim/common/embedded.h"

namespace moesim::hw::detail {

inline std::string read_text_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Base names of an embedded table without their ".json", sorted.
inline std::vector<std::string> embedded_stems(const EmbeddedFile* table, std::size_t count) {
    std::vector<std::string> names;
    for (const auto& base : embedded_names(table, count)) {
        const auto dot = base.rfind(".json");
        names.push_back(dot == std::string::npos ? base : base.substr(0, dot));
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace moesim::hw::detail
