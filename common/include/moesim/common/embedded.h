#pragma once
// Data files compiled into the binary by cmake/embed.cmake (moesim_embed_files).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moesim {

struct EmbeddedFile {
    const char* name;     // base name, e.g. "deepseek-v3.json"
    const char* data;
    std::size_t size;
    std::string_view text() const { return {data, size}; }
};

// Look a file up by base name in a table returned by moesim_embedded_<NAME>().
std::optional<std::string_view> find_embedded(const EmbeddedFile* table, std::size_t count,
                                              std::string_view base_name);
std::vector<std::string> embedded_names(const EmbeddedFile* table, std::size_t count);

}  // namespace moesim
