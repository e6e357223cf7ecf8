#include "moesim/calib/points.h"

#include <cmath>
#include <initializer_list>
#include <iomanip>
#include <map>
#include <sstream>

namespace moesim::calib {

namespace {

// The runner's key order per kind (kernels/runner.h), so keys read as the contract lists them.
std::vector<std::string> key_order(const std::string& kind) {
    static const std::map<std::string, std::vector<std::string>> order = {
        {"gemm", {"m", "n", "k"}},
        {"grouped_gemm", {"groups", "m_per_group", "n", "k"}},
        {"attention", {"batch", "s_q", "heads", "cached_tokens", "seq_len"}},
        {"memory", {"size_bytes"}},
        {"collective", {"size_bytes", "ranks"}},
        {"permute", {"tokens", "hidden", "top_k", "experts"}},
    };
    const auto it = order.find(kind);
    return it == order.end() ? std::vector<std::string>{} : it->second;
}

void append(std::string& out, const std::string& word) {
    if (word.empty()) return;
    if (!out.empty()) out += ' ';
    out += word;
}

}  // namespace

std::string number_text(double v) {
    std::ostringstream s;
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
        s << std::fixed << std::setprecision(0) << v;
    else
        s << std::setprecision(6) << v;
    return s.str();
}

std::string shape_text(const kernels::Measurement& m) {
    std::string out;
    const std::vector<std::string> order = key_order(m.kind);
    for (const auto& key : order) {
        const auto it = m.shape.find(key);
        if (it != m.shape.end()) append(out, key + "=" + number_text(it->second));
    }
    for (const auto& [key, value] : m.shape) {
        bool listed = false;
        for (const auto& k : order) listed = listed || k == key;
        if (!listed) append(out, key + "=" + number_text(value));
    }
    return out;
}

std::string describe(const kernels::Measurement& m) {
    std::string out;
    for (const std::string* word : {&m.kind, &m.impl, &m.op, &m.dtype}) append(out, *word);
    append(out, shape_text(m));
    return out;
}

double achieved_TFLOPS(const kernels::Measurement& m) {
    if (m.TFLOPS > 0) return m.TFLOPS;
    return m.time_s > 0 ? m.flops / m.time_s / 1e12 : 0.0;
}

double achieved_GBps(const kernels::Measurement& m) {
    if (m.GBps > 0) return m.GBps;
    return m.time_s > 0 ? m.bytes / m.time_s / 1e9 : 0.0;
}

std::vector<RawPoint> raw_points(const std::vector<kernels::Measurement>& points) {
    std::vector<RawPoint> rows;
    rows.reserve(points.size());
    for (const auto& m : points) {
        RawPoint r;
        r.kind = m.kind;
        std::string key;
        for (const std::string* word : {&m.impl, &m.op, &m.dtype}) append(key, *word);
        append(key, shape_text(m));
        r.key = key;
        if (m.kind == "collective") {
            r.value = m.busbw_GBps;
            r.unit = "GBps (bus)";
        } else if (m.kind == "memory" || m.kind == "permute") {
            r.value = achieved_GBps(m);
            r.unit = "GBps";
        } else {
            r.value = achieved_TFLOPS(m);
            r.unit = "TFLOPS";
        }
        std::ostringstream s;
        s << std::setprecision(6) << "measured by moesim calibrate: time_us=" << m.time_s * 1e6 << " flops=" << m.flops
          << " bytes=" << m.bytes << " TFLOPS=" << achieved_TFLOPS(m) << " GBps=" << achieved_GBps(m);
        if (m.kind == "collective") s << " algbw_GBps=" << m.algbw_GBps << " busbw_GBps=" << m.busbw_GBps;
        s << "; reference check " << (m.reference_ok ? "ok" : "FAILED") << ", max_error=" << m.max_error;
        if (!m.check_detail.empty()) s << " (" << m.check_detail << ")";
        r.source = s.str();
        rows.push_back(std::move(r));
    }
    return rows;
}

}  // namespace moesim::calib
