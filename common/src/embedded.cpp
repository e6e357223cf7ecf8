#include "moesim/common/embedded.h"

namespace moesim {

std::optional<std::string_view> find_embedded(const EmbeddedFile* table, std::size_t count,
                                              std::string_view base_name) {
    for (std::size_t i = 0; i < count; ++i)
        if (base_name == table[i].name) return table[i].text();
    return std::nullopt;
}

std::vector<std::string> embedded_names(const EmbeddedFile* table, std::size_t count) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < count; ++i) names.emplace_back(table[i].name);
    return names;
}

}  // namespace moesim
