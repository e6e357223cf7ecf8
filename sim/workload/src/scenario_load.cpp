// load_scenario(): read the file, parse strict JSON (no comments, no duplicate keys; a
// syntax error is reported with its line and column), apply the --set overrides, parse.
#include <set>

#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "moesim/common/json_document.h"
#include "scenario_internal.h"

namespace moesim::workload {

namespace {

using nlohmann::json;

// RFC 6901 tokens of a pointer that starts with '/'.
std::vector<std::string> pointer_tokens(const std::string& pointer) {
    std::vector<std::string> out;
    for (std::size_t i = 1; i <= pointer.size(); ++i) {
        std::string token;
        for (; i < pointer.size() && pointer[i] != '/'; ++i) {
            if (pointer[i] == '~' && i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
                token += pointer[++i] == '0' ? '~' : '/';
            } else {
                token += pointer[i];
            }
        }
        out.push_back(token);
    }
    return out;
}

// An array index token: digits only, below `limit`.
std::optional<std::size_t> array_index(const std::string& token, std::size_t limit) {
    if (token.empty() || token.size() > 9 || token.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    const std::size_t i = std::stoul(token);
    if (i >= limit) return std::nullopt;
    return i;
}

// Applies one "/json/pointer=value" override to `doc`.
void apply_override(json& doc, const std::string& override_text, const std::string& file) {
    try {
        (void)json(override_text).dump();  // throws type_error 316 on invalid UTF-8
    } catch (const json::type_error&) {
        throw ScenarioError(file, "", "--set: the override is not valid UTF-8 text");
    }
    const auto eq = override_text.find('=');
    const std::string pointer = override_text.substr(0, eq);
    if (eq == std::string::npos || pointer.empty() || pointer[0] != '/')
        throw ScenarioError(file, "",
                            "--set \"" + override_text + "\": expected /json/pointer=value, e.g. /parallelism/pp=8");
    const std::string text = override_text.substr(eq + 1);
    json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) value = text;  // not JSON: a bare string such as H100

    const auto fail = [&](const std::string& why) {
        throw ScenarioError(file, pointer, "--set \"" + override_text + "\": " + why);
    };
    const auto tokens = pointer_tokens(pointer);
    json* node = &doc;
    std::string walked;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const std::string& token = tokens[i];
        const bool last = i + 1 == tokens.size();
        const std::string parent = walked.empty() ? "the document root" : walked;
        walked += "/" + detail::pointer_token(token);
        if (node->is_object()) {
            if (last) {
                (*node)[token] = value;  // a new key is added here; the parse rejects it if unknown
                return;
            }
            const auto it = node->find(token);
            if (it == node->end()) fail("the parent " + walked + " does not exist");
            node = &*it;
        } else if (node->is_array()) {
            const auto index = array_index(token, node->size() + (last ? 1 : 0));
            if (!index)
                fail(parent + " has " + std::to_string(node->size()) + " elements; \"" + token +
                     "\" is not an index into it");
            if (last) {
                if (*index == node->size())
                    node->push_back(value);
                else
                    (*node)[*index] = value;
                return;
            }
            node = &(*node)[*index];
        } else {
            fail("the parent " + parent + " is " + detail::describe(*node) + ", not an object or an array");
        }
    }
}

}  // namespace

Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides) {
    return load_scenario_text(read_input_file(file, "scenario", kMaxDocumentBytes), file, overrides);
}

Scenario load_scenario_text(const std::string& text, const std::string& file, const std::vector<std::string>& overrides) {
    json doc = parse_json_document(text, file);
    for (const auto& o : overrides) apply_override(doc, o, file);
    return parse_scenario(doc, file);
}

}  // namespace moesim::workload
