#include "moesim/calib/trace_rules.h"

#include <set>
#include <sstream>

#include "moesim/common/embedded.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"

const moesim::EmbeddedFile* moesim_embedded_trace_rules(std::size_t* count);

namespace moesim::calib {

namespace {

struct ClassName {
    ModelClass c;
    const char* name;
};
constexpr ClassName kClassNames[] = {
    {ModelClass::GemmFp8, "gemm_fp8"},         {ModelClass::GemmBf16, "gemm_bf16"},
    {ModelClass::GroupedGemmFp8, "grouped_gemm_fp8"}, {ModelClass::GemmWgrad, "gemm_wgrad"},
    {ModelClass::AttentionFwd, "attention_fwd"}, {ModelClass::AttentionBwd, "attention_bwd"},
    {ModelClass::MemoryBound, "memory_bound"},   {ModelClass::DeepEpDispatch, "deepep_dispatch"},
    {ModelClass::DeepEpCombine, "deepep_combine"}, {ModelClass::Rotary, "rotary"},
    {ModelClass::Elementwise, "elementwise"},   {ModelClass::DeepEpNotify, "deepep_notify"},
    {ModelClass::None, "none"},
};

[[noreturn]] void fail(const std::string& file, const std::string& path, const std::string& what) {
    throw CalibrationError(file + ": " + path + ": " + what);
}

std::string text_at(const nlohmann::json& j, const char* key, const std::string& file, const std::string& path) {
    const auto& v = j.at(key);
    if (!v.is_string()) fail(file, path + "/" + key, "must be a string");
    return v.get<std::string>();
}

TraceRule rule_from_json(const nlohmann::json& j, const std::string& file, const std::string& path) {
    static const std::set<std::string> kKeys = {"class", "contains", "regex", "model", "layer", "note"};
    if (!j.is_object()) fail(file, path, "a rule must be an object");
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!kKeys.count(it.key())) fail(file, path + "/" + it.key(), "unknown key (a rule has class, contains or regex, model, layer, note)");
    TraceRule r;
    r.origin = file;
    if (!j.contains("class")) fail(file, path + "/class", "missing");
    r.klass = text_at(j, "class", file, path);
    if (r.klass.empty()) fail(file, path + "/class", "must not be empty");
    if (j.contains("contains") == j.contains("regex")) fail(file, path, "give exactly one of \"contains\" and \"regex\"");
    if (j.contains("contains")) {
        r.contains = text_at(j, "contains", file, path);
        if (r.contains.empty()) fail(file, path + "/contains", "must not be empty");
    } else {
        r.regex = text_at(j, "regex", file, path);
        try {
            r.compiled = std::regex(r.regex, std::regex::ECMAScript | std::regex::optimize);
        } catch (const std::regex_error& e) {
            fail(file, path + "/regex", "not a valid regular expression: " + std::string(e.what()));
        }
    }
    if (!j.contains("model")) fail(file, path + "/model", "missing");
    const std::string model = text_at(j, "model", file, path);
    std::string names;
    for (const auto& c : kClassNames) {
        names += (names.empty() ? "" : ", ") + std::string(c.name);
        if (model == c.name) r.model = c.c;
    }
    if (r.model == ModelClass::Invalid) fail(file, path + "/model", "\"" + model + "\" is not a model class (" + names + ")");
    if (j.contains("layer")) {
        const std::string layer = text_at(j, "layer", file, path);
        if (layer == "forward") r.layer = LayerMark::Forward;
        else if (layer == "backward") r.layer = LayerMark::Backward;
        else fail(file, path + "/layer", "\"" + layer + "\" must be \"forward\" or \"backward\"");
    }
    if (j.contains("note")) r.note = text_at(j, "note", file, path);
    return r;
}

}  // namespace

const char* to_string(ModelClass c) {
    for (const auto& n : kClassNames)
        if (n.c == c) return n.name;
    return "invalid";
}

const std::vector<ModelClass>& model_classes() {
    static const std::vector<ModelClass> all = [] {
        std::vector<ModelClass> v;
        for (const auto& n : kClassNames) v.push_back(n.c);
        return v;
    }();
    return all;
}

bool TraceRule::matches(const std::string& name) const {
    if (!contains.empty()) return name.find(contains) != std::string::npos;
    return std::regex_search(name, compiled);
}

RuleTable RuleTable::from_json(const nlohmann::json& doc, const std::string& file) {
    static const std::set<std::string> kKeys = {"format", "kind", "notes", "rules"};
    if (!doc.is_object()) fail(file, "/", "a rules file is a JSON object");
    for (auto it = doc.begin(); it != doc.end(); ++it)
        if (!kKeys.count(it.key())) fail(file, "/" + it.key(), "unknown key (a rules file has format, kind, notes, rules)");
    if (!doc.contains("format") || !doc.at("format").is_number_integer()) fail(file, "/format", "missing or not an integer");
    if (doc.at("format").get<int>() != 1) fail(file, "/format", "format " + doc.at("format").dump() + " is not 1 (written by a newer moesim?)");
    if (!doc.contains("kind") || doc.at("kind") != "moesim-trace-rules") fail(file, "/kind", "must be \"moesim-trace-rules\"");
    if (!doc.contains("rules") || !doc.at("rules").is_array()) fail(file, "/rules", "missing or not an array");
    RuleTable t;
    for (std::size_t i = 0; i < doc.at("rules").size(); ++i)
        t.rules_.push_back(rule_from_json(doc.at("rules")[i], file, "/rules/" + std::to_string(i)));
    return t;
}

RuleTable RuleTable::bundled() {
    std::size_t count = 0;
    const EmbeddedFile* table = moesim_embedded_trace_rules(&count);
    const auto text = find_embedded(table, count, "trace_rules.json");
    MOESIM_CHECK(text.has_value(), "trace_rules.json is not embedded");
    RuleTable t = from_json(nlohmann::json::parse(*text), "trace_rules.json");
    for (auto& r : t.rules_) r.origin = "bundled";
    return t;
}

RuleTable RuleTable::read(const std::string& path) {
    const std::string text = read_input_file(path, "trace rules", kMaxDocumentBytes);
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw CalibrationError(path + ": not valid JSON: " + e.what());
    }
    return from_json(doc, path);
}

RuleTable RuleTable::with_overrides(const RuleTable& user) const {
    RuleTable t = user;
    t.rules_.insert(t.rules_.end(), rules_.begin(), rules_.end());
    return t;
}

const TraceRule* RuleTable::match(const std::string& name) const {
    for (const auto& r : rules_)
        if (r.matches(name)) return &r;
    return nullptr;
}

}  // namespace moesim::calib
