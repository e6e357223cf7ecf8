#include "moesim/common/json_document.h"

#include <algorithm>
#include <set>
#include <vector>

#include "moesim/common/error.h"

namespace moesim {

using nlohmann::json;

std::string json_pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

namespace {

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
            out += "/" + (frames_[i].array ? std::to_string(frames_[i].index) : json_pointer_token(frames_[i].key));
        return out;
    }
    std::vector<Frame> frames_;
    std::string duplicate_, path_;
};

}  // namespace

nlohmann::json parse_json_document(const std::string& text, const std::string& file) {
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
        if (offset < text.size() && text[offset] == '/') detail += " (comments are not allowed in JSON)";
        throw ScenarioError(
            file, "",
            "line " + std::to_string(line) + ", column " + std::to_string(column) + ": malformed JSON: " + detail);
    } catch (const json::exception& e) {  // e.g. out_of_range.406: a number beyond a double
        const std::string what = e.what();
        throw ScenarioError(file, "", "malformed JSON: " + what.substr(what.find("] ") + 2));
    }
    if (!duplicates.duplicate().empty())
        throw ScenarioError(file, duplicates.object_path() + "/" + json_pointer_token(duplicates.duplicate()),
                            "key \"" + duplicates.duplicate() + "\" appears more than once in this object");
    return doc;
}

}  // namespace moesim
