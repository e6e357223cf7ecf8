#pragma once
// Internal helper shared by the spec and profile readers (not part of the public API).
#include <algorithm>
#include <string>
#include <vector>

#include "moesim/common/embedded.h"

namespace moesim::hw::detail {

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
