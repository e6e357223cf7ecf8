#include "moesim/reports/run_label.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace moesim::report {

namespace {

struct Override {
    std::vector<std::string> tokens;  // the pointer's reference tokens, unescaped ~0 ~1 kept as written
    std::string value;
};

std::vector<std::string> split_pointer(const std::string& pointer) {
    std::vector<std::string> tokens;
    std::size_t start = 1;  // past the leading '/'
    while (start <= pointer.size()) {
        const std::size_t slash = std::min(pointer.find('/', start), pointer.size());
        tokens.push_back(pointer.substr(start, slash - start));
        start = slash + 1;
    }
    return tokens;
}

bool is_index(const std::string& token) {
    return !token.empty() && std::all_of(token.begin(), token.end(), [](unsigned char c) { return std::isdigit(c); });
}

// The last `n` tokens joined by '/'.
std::string suffix(const std::vector<std::string>& tokens, std::size_t n) {
    n = std::min(n, tokens.size());
    std::string out;
    for (std::size_t i = tokens.size() - n; i < tokens.size(); ++i) out += (out.empty() ? "" : "/") + tokens[i];
    return out;
}

// A value as typed, trimmed of the quotes that make a string JSON ("\"H100\"" -> H100); a
// number written with more than 6 significant digits (a rate --find-max-load found) to 6.
std::string shown_value(std::string value) {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') return value.substr(1, value.size() - 2);
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    const auto digits = std::count_if(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!value.empty() && end == value.c_str() + value.size() && digits > 6) {
        char text[32];
        std::snprintf(text, sizeof text, "%.6g", number);
        return text;
    }
    return value;
}

}  // namespace

std::string run_label(const std::string& name, const std::vector<std::string>& overrides) {
    std::vector<Override> list;
    for (const std::string& text : overrides) {
        const std::size_t eq = text.find('=');
        if (eq == std::string::npos || eq == 0 || text[0] != '/') continue;  // the parser refuses these first
        Override o{split_pointer(text.substr(0, eq)), shown_value(text.substr(eq + 1))};
        const auto same = std::find_if(list.begin(), list.end(), [&](const Override& x) { return x.tokens == o.tokens; });
        if (same != list.end())
            *same = std::move(o);
        else
            list.push_back(std::move(o));
    }
    if (list.empty()) return name;
    std::string tag;
    for (const Override& o : list) {
        // The shortest suffix (at least the key, and the key's parent for an index) that no
        // other override shares.
        std::size_t n = is_index(o.tokens.back()) ? 2 : 1;
        for (; n < o.tokens.size(); ++n) {
            const bool shared = std::any_of(list.begin(), list.end(), [&](const Override& x) {
                return &x != &o && suffix(x.tokens, n) == suffix(o.tokens, n);
            });
            if (!shared) break;
        }
        tag += (tag.empty() ? "" : " ") + suffix(o.tokens, n) + "=" + o.value;
    }
    return name + " [" + tag + "]";
}

std::string max_load_override(double requests_per_s) {
    char value[64];
    std::snprintf(value, sizeof value, "%.17g", requests_per_s);
    return std::string("/inference/traffic/requests_per_s=") + value;
}

}  // namespace moesim::report
