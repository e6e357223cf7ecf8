#include "moesim/calib/profile_text.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace moesim::calib {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const std::vector<std::string> kTopLevel = {
    "format", "name", "gpu", "kind", "created", "source", "versions", "notes", "reference", "gemm", "grouped_gemm",
    "attention", "memory_bound", "collectives", "deepep_normal", "deepep_low_latency", "held_out"};
// Inside tables: what the point is, its shape, the measured figures, then the citation.
const std::vector<std::string> kPoint = {
    "phase", "scope", "kind", "span", "ep", "gpus_per_node", "groups", "m_per_group", "m", "n", "k", "tokens",
    "hidden", "top_k", "max_nodes_per_token", "num_experts", "size_bytes", "seq_len", "dtype", "kernel", "layout", "TFLOPS",
    "efficiency", "compute_efficiency", "GBps", "memory_efficiency", "latency_us", "dispatch_GBps", "combine_GBps",
    "dispatch_us", "combine_us", "by_seq_len", "source"};

// `j` with object keys in `order` (keys not listed after them, by name), recursively with kPoint.
ordered_json ordered(const json& j, const std::vector<std::string>& order) {
    if (j.is_array()) {
        ordered_json out = ordered_json::array();
        for (const auto& e : j) out.push_back(ordered(e, kPoint));
        return out;
    }
    // Shapes, sizes and peaks that are whole numbers read as integers (4096, not 4096.0).
    if (j.is_number_float()) {
        const double v = j.get<double>();
        if (v == std::floor(v) && std::fabs(v) < 9e15) return ordered_json(static_cast<std::int64_t>(v));
    }
    if (!j.is_object()) return ordered_json::parse(j.dump());
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    auto rank = [&](const std::string& k) {
        const auto it = std::find(order.begin(), order.end(), k);
        return it == order.end() ? order.size() : static_cast<std::size_t>(it - order.begin());
    };
    std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    ordered_json out = ordered_json::object();
    for (const auto& k : keys) out[k] = ordered(j.at(k), kPoint);
    return out;
}

}  // namespace

std::string profile_text(const json& doc) { return ordered(doc, kTopLevel).dump(2) + "\n"; }

}  // namespace moesim::calib
