#pragma once
// The rule table that names the kernels of a profiler trace (trace_reader.h): ordered rules,
// each mapping kernel names — by substring or regular expression — to a class, and the class
// to the operator-model class whose work it is fitted against (or to none: a kernel class the
// operator model lacks). The table is data: calibrate/data/trace_rules.json, compiled into the
// binary; `--rules FILE` puts a user's rules in front of it, so a user rule overrides a bundled
// one for the names it matches and names kernels the bundled table does not know.
//
// Document: {"format": 1, "kind": "moesim-trace-rules", "notes"?: [..], "rules": [{"class",
// "contains" | "regex" (exactly one), "model", "layer"?: "forward" | "backward", "note"?}]}.
// Unknown keys, a bad regex, an unknown model class: CalibrationError naming file and JSON path.
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moesim::calib {

enum class ModelClass : std::uint8_t {
    Invalid,
    GemmFp8,          // dense FP8 GEMMs: forward and input gradient
    GemmBf16,         // BF16 GEMMs, every pass (the router gate)
    GroupedGemmFp8,   // routed experts: forward and input gradient
    GemmWgrad,        // FP8 weight gradients, dense and grouped
    AttentionFwd,
    AttentionBwd,
    MemoryBound,      // norms, SwiGLU, router scores, permute, FP8 casts
    DeepEpDispatch,
    DeepEpCombine,
    Rotary,           // rotary embedding of q and k (memory-bound, its own efficiency)
    Elementwise,      // residual adds and other elementwise work (memory-bound, its own efficiency)
    DeepEpNotify,     // DeepEP's notify before each dispatch/combine (a latency per call)
    None,             // the operator model has no such kernel
};
const char* to_string(ModelClass c);
// Every class but Invalid, in the order above.
const std::vector<ModelClass>& model_classes();

enum class LayerMark : std::uint8_t { None, Forward, Backward };

struct TraceRule {
    std::string klass;     // e.g. "grouped_gemm_fp8"
    std::string contains;  // substring, or
    std::string regex;     // ECMAScript pattern, searched
    ModelClass model = ModelClass::Invalid;
    LayerMark layer = LayerMark::None;
    std::string note;
    std::string origin;    // "bundled" or the rules file
    std::regex compiled;

    bool matches(const std::string& name) const;
};

class RuleTable {
public:
    // Rules of a document; `file` names it in errors.
    static RuleTable from_json(const nlohmann::json& doc, const std::string& file);
    static RuleTable bundled();
    static RuleTable read(const std::string& path);

    // `user`'s rules first, then this table's.
    RuleTable with_overrides(const RuleTable& user) const;
    // The first rule matching `name`, or null.
    const TraceRule* match(const std::string& name) const;
    const std::vector<TraceRule>& rules() const { return rules_; }

private:
    std::vector<TraceRule> rules_;
};

}  // namespace moesim::calib
