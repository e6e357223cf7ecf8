// load_scenario(): read the file, parse strict JSON (no comments, no duplicate keys; a
// syntax error is reported with its line and column), apply the --set overrides, parse.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "moesim/common/error.h"
#include "scenario_internal.h"

namespace moesim::workload {

namespace {

using nlohmann::json;

std::string read_file(const std::string& file) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec))
        throw ScenarioError(file, "", "cannot read the scenario file: it is a directory");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ScenarioError(file, "", std::string("cannot read the scenario file: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ScenarioError(file, "", "cannot read the scenario file: read error");
    return text.str();
}

// Line and column (both from 1) of the byte at `offset` (from 0).
std::pair<std::size_t, std::size_t> line_and_column(const std::string& text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < offset; ++i)
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    return {line, offset - line_start + 1};
}

// Finds the first key that appears twice in one object (nlohmann would keep the last one
// silently), and where: the JSON path of that object.
class DuplicateKeys {
public:
    bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
        switch (event) {
            case json::parse_event_t::object_start:
            case json::parse_event_t::array_start:
                enter_element();
                frames_.push_back({event == json::parse_event_t::array_start, -1, {}, {}});
                break;
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                frames_.pop_back();
                break;
            case json::parse_event_t::key: {
                Frame& f = frames_.back();
                f.key = parsed.get<std::string>();
                if (!f.keys.insert(f.key).second && duplicate_.empty()) {
                    duplicate_ = f.key;
                    path_ = path();
                }
                break;
            }
            case json::parse_event_t::value:
                enter_element();
                break;
        }
        return true;
    }
    const std::string& duplicate() const { return duplicate_; }
    const std::string& object_path() const { return path_; }

private:
    struct Frame {
        bool array;
        long index;
        std::string key;
        std::set<std::string> keys;
    };
    void enter_element() {
        if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    }
    std::string path() const {
        std::string out;
        for (std::size_t i = 0; i + 1 < frames_.size(); ++i)
            out += "/" + (frames_[i].array ? std::to_string(frames_[i].index) : detail::pointer_token(frames_[i].key));
        return out;
    }
    std::vector<Frame> frames_;
    std::string duplicate_, path_;
};

json parse_json(const std::string& text, const std::string& file) {
    DuplicateKeys duplicates;
    json doc;
    try {
        doc = json::parse(text, std::ref(duplicates), /*allow_exceptions=*/true, /*ignore_comments=*/false);
    } catch (const json::parse_error& e) {
        // e.byte counts the bytes read, the offending one included.
        const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
        const auto [line, column] = line_and_column(text, offset);
        std::string detail = e.what();
        const auto at = detail.find(": ", detail.find("column"));
        if (at != std::string::npos) detail = detail.substr(at + 2);
        if (offset < text.size() && text[offset] == '/') detail += " (comments are not allowed in scenario files)";
        throw ScenarioError(
            file, "",
            "line " + std::to_string(line) + ", column " + std::to_string(column) + ": malformed JSON: " + detail);
    } catch (const json::exception& e) {  // e.g. out_of_range.406: a number beyond a double
        const std::string what = e.what();
        throw ScenarioError(file, "", "malformed JSON: " + what.substr(what.find("] ") + 2));
    }
    if (!duplicates.duplicate().empty())
        throw ScenarioError(file, duplicates.object_path() + "/" + detail::pointer_token(duplicates.duplicate()),
                            "key \"" + duplicates.duplicate() + "\" appears more than once in this object");
    return doc;
}

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
    json doc = parse_json(read_file(file), file);
    for (const auto& o : overrides) apply_override(doc, o, file);
    return parse_scenario(doc, file);
}

}  // namespace moesim::workload
