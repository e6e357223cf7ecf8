#include "moesim/hw/calibration_profile.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <tuple>
#include <sstream>
#include <utility>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/embedded.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "moesim/common/json_document.h"
#include "moesim/hw/calibration_ranges.h"
#include "moesim/hw/costs.h"
#include "io.h"

extern const moesim::EmbeddedFile* moesim_embedded_calibrations(std::size_t*);

namespace moesim::hw {

namespace {

using nlohmann::json;

std::string fmt(double v) {
    std::ostringstream ss;
    ss << v;
    return ss.str();
}

// Reads one profile document, every error naming the file and the JSON path.
class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const std::string& path, const std::string& message) const {
        throw CalibrationError(file_ + ": " + (path.empty() ? std::string("/") : path) + ": " + message);
    }

    void object(const json& j, const std::string& path, std::initializer_list<const char*> allowed) const {
        if (!j.is_object()) fail(path, "expected an object");
        const std::vector<std::string> names(allowed.begin(), allowed.end());
        for (auto it = j.begin(); it != j.end(); ++it)
            if (std::find(names.begin(), names.end(), it.key()) == names.end())
                fail(path + "/" + it.key(), "unknown key" + did_you_mean(it.key(), names));
    }

    const json& at(const json& j, const std::string& path, const char* key) const {
        if (!j.contains(key)) fail(path + "/" + key, "required key is missing");
        return j.at(key);
    }

    std::string str(const json& j, const std::string& path, const char* key, bool required = true) const {
        if (!j.contains(key)) {
            if (required) fail(path + "/" + key, "required key is missing");
            return {};
        }
        if (!j.at(key).is_string()) fail(path + "/" + key, "expected a string");
        return j.at(key).get<std::string>();
    }

    // A required finite number > 0 (or >= 0 when `allow_zero`).
    double number(const json& j, const std::string& path, const char* key, bool allow_zero = false) const {
        const json& v = at(j, path, key);
        if (!v.is_number()) fail(path + "/" + key, std::string("expected a number, got ") + v.type_name());
        const double x = v.get<double>();
        if (!std::isfinite(x)) fail(path + "/" + key, "must be finite");
        if (x < 0 || (!allow_zero && x == 0)) fail(path + "/" + key, "must be positive, got " + v.dump());
        if (const ValueRange* r = find_range(calibration_ranges(), std::string("/") + key))
            if (auto why = range_violation(*r, x); !why.empty()) fail(path + "/" + key, why);
        return x;
    }

    double optional_number(const json& j, const std::string& path, const char* key) const {
        return j.contains(key) ? number(j, path, key) : 0.0;
    }

    int integer(const json& j, const std::string& path, const char* key, bool allow_zero = false) const {
        const double x = number(j, path, key, allow_zero);
        if (x != std::floor(x) || x > 1e9) fail(path + "/" + key, "must be an integer, got " + fmt(x));
        return static_cast<int>(x);
    }

    double efficiency(const json& j, const std::string& path, const char* key) const {
        const double e = number(j, path, key);
        if (e > 1) fail(path + "/" + key, "efficiency " + fmt(e) + " is greater than 1");
        return e;
    }

    // `measured` (TFLOPS or GB/s), when given, must equal efficiency × peak within 1%.
    void consistent(double measured, double efficiency, double peak, const std::string& path) const {
        if (measured <= 0) return;
        if (std::abs(measured - efficiency * peak) > 0.01 * efficiency * peak)
            fail(path, fmt(measured) + " disagrees with efficiency x reference peak = " + fmt(efficiency) + " x " +
                           fmt(peak) + " = " + fmt(efficiency * peak));
    }

    const json& table(const json& j, const std::string& path, const char* key) const {
        if (!j.contains(key)) fail(path + "/" + key, "required table is missing");
        const json& t = j.at(key);
        if (!t.is_array() || t.empty()) fail(path + "/" + key, "expected a non-empty array");
        return t;
    }

    template <std::size_t N>
    void one_of(const std::string& v, const char* const (&names)[N], const std::string& path) const {
        std::string list;
        for (const char* n : names) {
            if (v == n) return;
            list += std::string(list.empty() ? "" : ", ") + "\"" + n + "\"";
        }
        fail(path, "\"" + v + "\" is not one of " + list);
    }

    Dtype dtype(const json& j, const std::string& path) const {
        const Dtype d = dtype_from_string(str(j, path, "dtype"));
        if (d == Dtype::Invalid) fail(path + "/dtype", "expected \"bf16\" or \"fp8\"");
        return d;
    }

    EpGroup ep_group(const json& j, const std::string& path) const {
        EpGroup g;
        g.ep_size = integer(j, path, "ep");
        g.gpus_per_node = integer(j, path, "gpus_per_node");
        return g;
    }

    DeepEpShape deepep_shape(const json& j, const std::string& path, bool with_max_nodes) const {
        DeepEpShape s;
        s.tokens = number(j, path, "tokens");
        s.hidden = integer(j, path, "hidden");
        s.top_k = integer(j, path, "top_k");
        s.num_experts = integer(j, path, "num_experts");
        if (with_max_nodes) s.max_nodes_per_token = integer(j, path, "max_nodes_per_token", true);
        return s;
    }

private:
    std::string file_;
};

// Parses every element of table `t` at `path` with parse_one(element, element_path).
template <typename F>
auto parse_each(const json& t, const std::string& path, F parse_one) {
    std::vector<decltype(parse_one(t[0], path))> out;
    for (std::size_t i = 0; i < t.size(); ++i) out.push_back(parse_one(t[i], path + "/" + std::to_string(i)));
    return out;
}

// Strictly increasing axis within each series, in file order.
template <typename Key>
class AxisCheck {
public:
    AxisCheck(const Reader& r, const char* axis) : r_(r), axis_(axis) {}
    void add(const Key& key, double x, const std::string& path, const std::string& series) {
        auto it = last_.find(key);
        if (it != last_.end() && !(x > it->second))
            r_.fail(path + "/" + axis_, std::string(axis_) + " = " + fmt(x) + " is not greater than the previous " +
                                            axis_ + " = " + fmt(it->second) + " of series " + series +
                                            " (size axes must be strictly increasing)");
        last_[key] = x;
    }

private:
    const Reader& r_;
    const char* axis_;
    std::map<Key, double> last_;
};

double peak_of(const ProfileReference& ref, Dtype d) {
    return d == Dtype::FP8 ? ref.fp8_dense_TFLOPS : ref.bf16_dense_TFLOPS;
}

// The fields GEMM and grouped-GEMM points share: n, k, dtype, efficiency, TFLOPS?, source.
template <typename Point>
void read_gemm_fields(const Reader& r, const json& j, const std::string& p, const ProfileReference& ref, Point& g) {
    g.n = r.number(j, p, "n");
    g.k = r.number(j, p, "k");
    g.dtype = r.dtype(j, p);
    g.kernel = r.str(j, p, "kernel", false);
    if (g.kernel.empty()) g.kernel = default_gemm_kernel(g.dtype);
    r.one_of(g.kernel, kGemmKernels, p + "/kernel");
    g.efficiency = r.efficiency(j, p, "efficiency");
    g.TFLOPS = r.optional_number(j, p, "TFLOPS");
    r.consistent(g.TFLOPS, g.efficiency, peak_of(ref, g.dtype), p + "/TFLOPS");
    g.source = r.str(j, p, "source");
}

template <typename Point>
std::string series_name(const Point& g) {
    return std::string("(") + g.kernel + ", " + to_string(g.dtype) + ", n=" + fmt(g.n) + ", k=" + fmt(g.k) + ")";
}

std::vector<GemmPoint> parse_gemm(const Reader& r, const json& t, const std::string& path, const ProfileReference& ref) {
    AxisCheck<std::tuple<std::string, int, double, double>> check(r, "m");
    return parse_each(t, path, [&](const json& j, const std::string& p) {
        r.object(j, p, {"m", "n", "k", "dtype", "kernel", "efficiency", "TFLOPS", "source"});
        GemmPoint g;
        g.m = r.number(j, p, "m");
        read_gemm_fields(r, j, p, ref, g);
        check.add({g.kernel, static_cast<int>(g.dtype), g.n, g.k}, g.m, p, series_name(g));
        return g;
    });
}

std::vector<GroupedGemmPoint> parse_grouped(const Reader& r, const json& t, const std::string& path,
                                            const ProfileReference& ref) {
    AxisCheck<std::tuple<std::string, int, double, double>> check(r, "m_per_group");
    return parse_each(t, path, [&](const json& j, const std::string& p) {
        r.object(j, p, {"groups", "m_per_group", "n", "k", "dtype", "kernel", "layout", "efficiency", "TFLOPS", "source"});
        GroupedGemmPoint g;
        g.groups = r.number(j, p, "groups");
        g.m_per_group = r.number(j, p, "m_per_group");
        g.layout = r.str(j, p, "layout", false);
        read_gemm_fields(r, j, p, ref, g);
        check.add({g.kernel, static_cast<int>(g.dtype), g.n, g.k}, g.m_per_group, p, series_name(g));
        return g;
    });
}

std::vector<AttentionSeqPoint> parse_seq_curve(const Reader& r, const json& t, const std::string& path,
                                               const ProfileReference& ref) {
    if (!t.is_array() || t.empty()) r.fail(path, "expected a non-empty array");
    AxisCheck<int> check(r, "seq_len");
    return parse_each(t, path, [&](const json& j, const std::string& p) {
        r.object(j, p, {"seq_len", "compute_efficiency", "TFLOPS"});
        AttentionSeqPoint s;
        s.seq_len = r.number(j, p, "seq_len");
        s.compute_efficiency = r.efficiency(j, p, "compute_efficiency");
        r.consistent(r.optional_number(j, p, "TFLOPS"), s.compute_efficiency, ref.bf16_dense_TFLOPS, p + "/TFLOPS");
        check.add(0, s.seq_len, p, "by_seq_len");
        return s;
    });
}

std::vector<DeepEpNormalPoint> parse_deepep_normal(const Reader& r, const json& t, const std::string& path) {
    AxisCheck<int> check(r, "ep");
    return parse_each(t, path, [&](const json& j, const std::string& p) {
        r.object(j, p, {"scope", "ep", "gpus_per_node", "tokens", "hidden", "top_k", "max_nodes_per_token",
                        "num_experts", "dispatch_GBps", "combine_GBps", "source"});
        DeepEpNormalPoint d;
        d.scope = span_from_string(r.str(j, p, "scope"));
        if (d.scope == Span::Invalid) r.fail(p + "/scope", "expected \"intranode\" or \"internode\"");
        d.group = r.ep_group(j, p);
        if ((d.scope == Span::Intranode) != (d.group.ep_size <= d.group.gpus_per_node))
            r.fail(p + "/scope", "scope disagrees with ep = " + std::to_string(d.group.ep_size) +
                                     " and gpus_per_node = " + std::to_string(d.group.gpus_per_node));
        if (d.group.ep_size > d.group.gpus_per_node && d.group.ep_size % d.group.gpus_per_node != 0)
            r.fail(p + "/ep", "must be a multiple of gpus_per_node");
        d.shape = r.deepep_shape(j, p, true);
        if (d.shape.num_experts % d.group.ep_size != 0) r.fail(p + "/num_experts", "must be a multiple of ep");
        d.dispatch_GBps = r.number(j, p, "dispatch_GBps");
        d.combine_GBps = r.number(j, p, "combine_GBps");
        d.source = r.str(j, p, "source");
        check.add(static_cast<int>(d.scope), d.group.ep_size, p, to_string(d.scope));
        return d;
    });
}

std::vector<DeepEpLowLatencyPoint> parse_deepep_ll(const Reader& r, const json& t, const std::string& path) {
    AxisCheck<int> check(r, "ep");
    return parse_each(t, path, [&](const json& j, const std::string& p) {
        r.object(j, p, {"ep", "gpus_per_node", "tokens", "hidden", "top_k", "num_experts", "dispatch_us",
                        "combine_us", "source"});
        DeepEpLowLatencyPoint d;
        d.group = r.ep_group(j, p);
        d.shape = r.deepep_shape(j, p, false);
        d.dispatch_us = r.number(j, p, "dispatch_us");
        d.combine_us = r.number(j, p, "combine_us");
        d.source = r.str(j, p, "source");
        check.add(0, d.group.ep_size, p, "low-latency");
        return d;
    });
}

int op_index(DeepEpOp op) {
    MOESIM_CHECK(op == DeepEpOp::Dispatch || op == DeepEpOp::Combine, "DeepEP op");
    return op == DeepEpOp::Dispatch ? 0 : 1;
}

DeepEpNormalRates fit_normal(const Reader& r, const std::vector<DeepEpNormalPoint>& points, DeepEpOp op) {
    DeepEpNormalRates rates;
    for (const auto& pt : points) {
        const DeepEpTraffic tr = deepep_traffic(pt.shape, pt.group, op);
        const double metric_Bps = (op == DeepEpOp::Dispatch ? pt.dispatch_GBps : pt.combine_GBps) * 1e9;
        if (pt.scope == Span::Intranode) {
            rates.intranode_nvlink_GBps = std::max(rates.intranode_nvlink_GBps, metric_Bps / 1e9);
        } else {
            const double t = tr.counted_rdma_bytes / metric_Bps;
            rates.internode_rdma_GBps = std::max(rates.internode_rdma_GBps, tr.rdma_bytes / t / 1e9);
            rates.internode_nvlink_GBps = std::max(rates.internode_nvlink_GBps, tr.nvlink_bytes / t / 1e9);
        }
    }
    if (rates.intranode_nvlink_GBps <= 0 || rates.internode_rdma_GBps <= 0 || rates.internode_nvlink_GBps <= 0)
        r.fail("/deepep_normal", "needs at least one intranode and one internode point");
    return rates;
}

DeepEpLowLatencyRates fit_low_latency(const Reader& r, const std::vector<DeepEpLowLatencyPoint>& points, DeepEpOp op) {
    std::vector<std::pair<double, double>> remote;  // ((1 − f)·X bytes, t seconds)
    std::vector<std::pair<double, double>> local;   // (X bytes, t seconds)
    for (const auto& pt : points) {
        const DeepEpTraffic tr = deepep_traffic(pt.shape, pt.group, op);
        const double t = (op == DeepEpOp::Dispatch ? pt.dispatch_us : pt.combine_us) * 1e-6;
        const double f = std::min(1.0, static_cast<double>(pt.group.gpus_per_node) / pt.group.ep_size);
        if (f < 1)
            remote.emplace_back((1 - f) * tr.low_latency_bytes, t);
        else
            local.emplace_back(tr.low_latency_bytes, t);
    }
    if (remote.size() < 2 || local.empty())
        r.fail("/deepep_low_latency", "needs at least one intranode point (ep <= gpus_per_node) and two internode points");
    double mx = 0, my = 0;
    for (const auto& [x, y] : remote) mx += x, my += y;
    mx /= remote.size();
    my /= remote.size();
    double sxy = 0, sxx = 0;
    for (const auto& [x, y] : remote) sxy += (x - mx) * (y - my), sxx += (x - mx) * (x - mx);
    if (sxx <= 0) r.fail("/deepep_low_latency", "internode points need at least two different byte counts");
    const double s_per_byte = sxy / sxx;
    DeepEpLowLatencyRates rates;
    rates.latency_s = my - s_per_byte * mx;
    if (s_per_byte <= 0 || rates.latency_s < 0)
        r.fail("/deepep_low_latency", "times do not grow with the bytes sent over RDMA: cannot fit latency + bytes/rate");
    rates.rdma_GBps = 1.0 / s_per_byte / 1e9;
    double sum = 0;
    for (const auto& [x, t] : local) {
        if (t <= rates.latency_s)
            r.fail("/deepep_low_latency", "an intranode time is below the fitted latency " + fmt(rates.latency_s * 1e6) + " us");
        sum += x / (t - rates.latency_s) / 1e9;
    }
    rates.nvlink_GBps = sum / local.size();
    return rates;
}

// Piecewise-linear in log2(x) through points sorted by x (x_of, y_of read one), clamped at
// both ends.
template <typename Points, typename X, typename Y>
double interpolate_log2(const Points& pts, double x, X x_of, Y y_of) {
    MOESIM_CHECK(!pts.empty(), "empty series");
    if (x <= x_of(pts.front())) return y_of(pts.front());
    if (x >= x_of(pts.back())) return y_of(pts.back());
    for (std::size_t i = 1; i < pts.size(); ++i) {
        if (x <= x_of(pts[i])) {
            const double x0 = std::log2(x_of(pts[i - 1])), x1 = std::log2(x_of(pts[i]));
            const double w = (std::log2(x) - x0) / (x1 - x0);
            return y_of(pts[i - 1]) + w * (y_of(pts[i]) - y_of(pts[i - 1]));
        }
    }
    return y_of(pts.back());
}

double interpolate_log2(const std::vector<std::pair<double, double>>& xy, double x) {
    return interpolate_log2(xy, x, [](const auto& p) { return p.first; }, [](const auto& p) { return p.second; });
}

// Nearest (N, K) series of `points` for `dtype` (falling back to any dtype), then
// interpolation along `axis` (m or m_per_group) at `x`.
template <typename Point, typename Axis>
GemmLookup series_lookup(const std::vector<Point>& points, Dtype dtype, double n, double k, double x, Axis axis) {
    MOESIM_CHECK(n > 0 && k > 0 && x > 0, "GEMM shape must be positive");
    const bool have_dtype = std::any_of(points.begin(), points.end(), [&](const Point& p) { return p.dtype == dtype; });
    const Point* best = nullptr;
    const Point* last = nullptr;  // the last point measured, whose series the next may share
    double best_d = 0, d = 0;
    for (const auto& p : points) {
        if (have_dtype && p.dtype != dtype) continue;
        // The nearest in log space; squared distance orders as the distance does (no hypot).
        // A series' points are usually consecutive and share one distance: computed once (the
        // hot path of a sweep point, two log2 per point otherwise).
        if (!last || p.n != last->n || p.k != last->k) {
            const double dn = std::log2(p.n / n), dk = std::log2(p.k / k);
            d = dn * dn + dk * dk;
        }
        last = &p;
        if (!best || d < best_d) best = &p, best_d = d;
    }
    MOESIM_CHECK(best != nullptr, "no GEMM points");
    std::vector<std::pair<double, double>> xy;
    xy.reserve(points.size());
    for (const auto& p : points)
        if (p.dtype == best->dtype && p.n == best->n && p.k == best->k) xy.emplace_back(axis(p), p.efficiency);
    const auto [lo, hi] = std::minmax_element(xy.begin(), xy.end());
    return {interpolate_log2(xy, x), best->n, std::clamp(x, lo->first, hi->first), best->kernel};
}

CalibrationProfile parse_text(std::string_view text, const std::string& file) {
    nlohmann::json j;
    try {
        j = parse_json_document(std::string(text), file);
    } catch (const ScenarioError& e) {  // a profile's errors are calibration errors
        throw CalibrationError(e.what());
    }
    return CalibrationProfile::from_json(j, file);
}

}  // namespace

CalibrationProfile CalibrationProfile::from_json(const json& j, const std::string& file) {
    const Reader r(file);
    if (!j.is_object()) r.fail("", "a calibration profile must be a JSON object");
    // The format first: a newer document may use keys this reader does not know.
    if (!j.contains("format")) r.fail("/format", "required key is missing");
    if (!j.at("format").is_number_integer()) r.fail("/format", "expected an integer");
    const auto format = j.at("format").get<long long>();
    if (format > kProfileFormat)
        r.fail("/format", "format " + std::to_string(format) + " was written by a newer moesim; this moesim reads format " +
                              std::to_string(kProfileFormat));
    if (format < 1) r.fail("/format", "expected " + std::to_string(kProfileFormat));
    r.object(j, "", {"format", "name", "gpu", "kind", "created", "source", "versions", "notes", "reference", "gemm",
                     "grouped_gemm", "attention", "memory_bound", "memory_bound_ops", "latencies", "collectives",
                     "deepep_normal", "deepep_low_latency", "held_out"});

    CalibrationProfile p;
    p.name_ = r.str(j, "", "name");
    p.gpu_ = r.str(j, "", "gpu");
    p.created_ = r.str(j, "", "created");
    p.source_ = r.str(j, "", "source");
    p.kind_ = r.str(j, "", "kind");
    if (p.kind_ != "published" && p.kind_ != "measured") r.fail("/kind", "expected \"published\" or \"measured\"");
    if (j.contains("versions") || p.kind_ == "measured") {
        const json& v = r.at(j, "", "versions");
        r.object(v, "/versions", {"driver", "cuda", "nccl"});
        p.driver_ = r.str(v, "/versions", "driver");
        p.cuda_ = r.str(v, "/versions", "cuda");
        p.nccl_ = r.str(v, "/versions", "nccl");
    }
    if (j.contains("notes") && !j.at("notes").is_array()) r.fail("/notes", "expected an array of strings");

    const json& ref = r.at(j, "", "reference");
    r.object(ref, "/reference", {"bf16_dense_TFLOPS", "fp8_dense_TFLOPS", "hbm_GBps", "nvlink_GBps", "nic_GBps", "note"});
    p.reference_.bf16_dense_TFLOPS = r.number(ref, "/reference", "bf16_dense_TFLOPS");
    p.reference_.fp8_dense_TFLOPS = r.number(ref, "/reference", "fp8_dense_TFLOPS");
    p.reference_.hbm_GBps = r.number(ref, "/reference", "hbm_GBps");
    p.reference_.nvlink_GBps = r.number(ref, "/reference", "nvlink_GBps");
    p.reference_.nic_GBps = r.number(ref, "/reference", "nic_GBps");
    p.reference_.note = r.str(ref, "/reference", "note", false);

    p.all_gemm_ = parse_gemm(r, r.table(j, "", "gemm"), "/gemm", p.reference_);
    p.all_grouped_ = parse_grouped(r, r.table(j, "", "grouped_gemm"), "/grouped_gemm", p.reference_);

    const json& att = r.table(j, "", "attention");
    for (std::size_t i = 0; i < att.size(); ++i) {
        const std::string path = "/attention/" + std::to_string(i);
        const json& a = att[i];
        r.object(a, path,
                 {"phase", "kernel", "compute_efficiency", "memory_efficiency", "TFLOPS", "GBps", "by_seq_len", "source"});
        AttentionPoint pt;
        const std::string phase = r.str(a, path, "phase");
        pt.phase = phase == "prefill"    ? AttentionPhase::Prefill
                   : phase == "decode"   ? AttentionPhase::Decode
                   : phase == "backward" ? AttentionPhase::Backward
                                         : AttentionPhase::Invalid;
        if (pt.phase == AttentionPhase::Invalid) r.fail(path + "/phase", "expected \"prefill\", \"decode\" or \"backward\"");
        pt.kernel = r.str(a, path, "kernel", false);
        if (pt.kernel.empty()) pt.kernel = default_attention_kernel(pt.phase);
        r.one_of(pt.kernel, kAttentionKernels, path + "/kernel");
        for (const auto& prev : p.all_attention_)
            if (prev.phase == pt.phase && prev.kernel == pt.kernel)
                r.fail(path + "/phase", "phase \"" + phase + "\" of kernel \"" + pt.kernel + "\" appears twice");
        pt.compute_efficiency = r.efficiency(a, path, "compute_efficiency");
        r.consistent(r.optional_number(a, path, "TFLOPS"), pt.compute_efficiency, p.reference_.bf16_dense_TFLOPS,
                     path + "/TFLOPS");
        if (pt.phase == AttentionPhase::Decode) {
            pt.memory_efficiency = r.efficiency(a, path, "memory_efficiency");
            r.consistent(r.optional_number(a, path, "GBps"), pt.memory_efficiency, p.reference_.hbm_GBps, path + "/GBps");
        } else if (a.contains("memory_efficiency")) {
            r.fail(path + "/memory_efficiency", "only the decode phase is memory-bound");
        }
        if (a.contains("by_seq_len")) {
            if (pt.phase == AttentionPhase::Decode)
                r.fail(path + "/by_seq_len", "only prefill and backward points have a curve along seq_len");
            pt.by_seq_len = parse_seq_curve(r, a.at("by_seq_len"), path + "/by_seq_len", p.reference_);
        }
        pt.source = r.str(a, path, "source");
        p.all_attention_.push_back(pt);
    }
    for (AttentionPhase needed : {AttentionPhase::Prefill, AttentionPhase::Decode})
        if (std::none_of(p.all_attention_.begin(), p.all_attention_.end(), [&](const AttentionPoint& a) {
                return a.phase == needed && a.kernel == default_attention_kernel(needed);
            }))
            r.fail("/attention", std::string("needs a \"") + (needed == AttentionPhase::Prefill ? "prefill" : "decode") +
                                     "\" point of the default kernel \"" + default_attention_kernel(needed) + "\"");

    const json& mem = r.table(j, "", "memory_bound");
    AxisCheck<int> mem_check(r, "size_bytes");
    for (std::size_t i = 0; i < mem.size(); ++i) {
        const std::string path = "/memory_bound/" + std::to_string(i);
        r.object(mem[i], path, {"size_bytes", "efficiency", "GBps", "source"});
        MemoryPoint pt;
        pt.size_bytes = r.number(mem[i], path, "size_bytes");
        pt.efficiency = r.efficiency(mem[i], path, "efficiency");
        r.consistent(r.optional_number(mem[i], path, "GBps"), pt.efficiency, p.reference_.hbm_GBps, path + "/GBps");
        pt.source = r.str(mem[i], path, "source");
        mem_check.add(0, pt.size_bytes, path, "memory_bound");
        p.memory_.push_back(pt);
    }

    const auto one_of = [&](const std::string& v, const auto& names, const std::string& path) {
        std::string list;
        for (const char* n : names) {
            if (v == n) return;
            list += std::string(list.empty() ? "" : ", ") + "\"" + n + "\"";
        }
        r.fail(path, "\"" + v + "\" is not one of " + list);
    };
    if (j.contains("memory_bound_ops")) {
        const json& t = r.table(j, "", "memory_bound_ops");
        for (std::size_t i = 0; i < t.size(); ++i) {
            const std::string path = "/memory_bound_ops/" + std::to_string(i);
            r.object(t[i], path, {"op", "efficiency", "source"});
            MemoryOpPoint pt{r.str(t[i], path, "op"), r.efficiency(t[i], path, "efficiency"), r.str(t[i], path, "source")};
            one_of(pt.op, kMemoryOps, path + "/op");
            for (const auto& q : p.memory_ops_)
                if (q.op == pt.op) r.fail(path + "/op", "\"" + pt.op + "\" has a point already");
            p.memory_ops_.push_back(pt);
        }
    }
    if (j.contains("latencies")) {
        const json& t = r.table(j, "", "latencies");
        for (std::size_t i = 0; i < t.size(); ++i) {
            const std::string path = "/latencies/" + std::to_string(i);
            r.object(t[i], path, {"what", "latency_us", "source"});
            LatencyPoint pt{r.str(t[i], path, "what"), r.number(t[i], path, "latency_us", true) * 1e-6, r.str(t[i], path, "source")};
            one_of(pt.what, kLatencies, path + "/what");
            for (const auto& q : p.latencies_)
                if (q.what == pt.what) r.fail(path + "/what", "\"" + pt.what + "\" has a point already");
            p.latencies_.push_back(pt);
        }
    }

    const json& col = r.table(j, "", "collectives");
    AxisCheck<std::pair<int, int>> col_check(r, "size_bytes");
    for (std::size_t i = 0; i < col.size(); ++i) {
        const std::string path = "/collectives/" + std::to_string(i);
        const json& c = col[i];
        r.object(c, path, {"kind", "span", "size_bytes", "efficiency", "latency_us", "source"});
        CollectivePoint pt;
        const std::string kind = r.str(c, path, "kind");
        pt.kind = collective_kind_from_string(kind);
        if (pt.kind == CollectiveKind::Invalid && kind != "any")
            r.fail(path + "/kind", "expected \"any\", \"all_reduce\", \"all_gather\", \"reduce_scatter\", \"all_to_all\" or \"p2p\"");
        pt.span = span_from_string(r.str(c, path, "span"));
        if (pt.span == Span::Invalid) r.fail(path + "/span", "expected \"intranode\" or \"internode\"");
        pt.size_bytes = r.number(c, path, "size_bytes");
        pt.efficiency = r.efficiency(c, path, "efficiency");
        pt.latency_s = r.number(c, path, "latency_us", true) * 1e-6;
        pt.source = r.str(c, path, "source");
        col_check.add({static_cast<int>(pt.kind), static_cast<int>(pt.span)}, pt.size_bytes, path,
                      "(" + kind + ", " + to_string(pt.span) + ")");
        p.collectives_.push_back(pt);
    }
    for (Span s : {Span::Intranode, Span::Internode})
        if (std::none_of(p.collectives_.begin(), p.collectives_.end(),
                         [&](const CollectivePoint& c) { return c.kind == CollectiveKind::Invalid && c.span == s; }))
            r.fail("/collectives", std::string("needs a kind \"any\" series for span \"") + to_string(s) + "\"");

    p.deepep_normal_ = parse_deepep_normal(r, r.table(j, "", "deepep_normal"), "/deepep_normal");
    p.deepep_ll_ = parse_deepep_ll(r, r.table(j, "", "deepep_low_latency"), "/deepep_low_latency");

    if (j.contains("held_out")) {
        const json& h = j.at("held_out");
        r.object(h, "/held_out", {"gemm", "grouped_gemm", "deepep_normal", "deepep_low_latency"});
        if (h.contains("gemm")) p.held_out_.gemm = parse_gemm(r, r.table(h, "/held_out", "gemm"), "/held_out/gemm", p.reference_);
        if (h.contains("grouped_gemm"))
            p.held_out_.grouped_gemm =
                parse_grouped(r, r.table(h, "/held_out", "grouped_gemm"), "/held_out/grouped_gemm", p.reference_);
        if (h.contains("deepep_normal"))
            p.held_out_.deepep_normal =
                parse_deepep_normal(r, r.table(h, "/held_out", "deepep_normal"), "/held_out/deepep_normal");
        if (h.contains("deepep_low_latency"))
            p.held_out_.deepep_low_latency =
                parse_deepep_ll(r, r.table(h, "/held_out", "deepep_low_latency"), "/held_out/deepep_low_latency");
    }

    for (DeepEpOp op : {DeepEpOp::Dispatch, DeepEpOp::Combine}) {
        p.normal_rates_[op_index(op)] = fit_normal(r, p.deepep_normal_, op);
        p.ll_rates_[op_index(op)] = fit_low_latency(r, p.deepep_ll_, op);
    }
    p.select_kernels();
    if (p.gemm_.empty() || p.grouped_.empty())
        r.fail(p.gemm_.empty() ? "/gemm" : "/grouped_gemm",
               std::string("needs points of a default kernel (FP8 \"") + default_gemm_kernel(Dtype::FP8) + "\", BF16 \"" +
                   default_gemm_kernel(Dtype::BF16) + "\")");
    p.document_ = j.dump();
    return p;
}

const char* default_gemm_kernel(Dtype d) { return d == Dtype::BF16 ? "cublas" : "deepgemm"; }

const char* default_attention_kernel(AttentionPhase p) { return p == AttentionPhase::Decode ? "flashmla" : "fa3"; }

// The lookup tables of the selected kernels (calibration_profile.h, "Kernel selection").
void CalibrationProfile::select_kernels() {
    const auto picked = [&](const std::string& chosen, const std::string& kernel, const char* default_kernel) {
        return chosen.empty() ? kernel == default_kernel : kernel == chosen;
    };
    gemm_.clear();
    for (const auto& g : all_gemm_)
        if (picked(kernels_.gemm, g.kernel, default_gemm_kernel(g.dtype))) gemm_.push_back(g);
    grouped_.clear();
    for (const auto& g : all_grouped_)
        if (picked(kernels_.gemm, g.kernel, default_gemm_kernel(g.dtype))) grouped_.push_back(g);
    attention_.clear();
    for (AttentionPhase phase : {AttentionPhase::Prefill, AttentionPhase::Decode, AttentionPhase::Backward}) {
        const AttentionPoint* chosen = nullptr;
        const AttentionPoint* fallback = nullptr;
        for (const auto& a : all_attention_) {
            if (a.phase != phase) continue;
            if (!kernels_.attention.empty() && a.kernel == kernels_.attention) chosen = &a;
            if (a.kernel == default_attention_kernel(phase)) fallback = &a;
        }
        if (chosen || fallback) attention_.push_back(chosen ? *chosen : *fallback);
    }
}

CalibrationProfile CalibrationProfile::with_kernels(const KernelChoice& choice) const {
    const auto known = [](const std::string& v, const auto& names) {
        return v.empty() || std::any_of(std::begin(names), std::end(names), [&](const char* n) { return v == n; });
    };
    if (!known(choice.gemm, kGemmKernels)) throw CalibrationError("unknown GEMM kernel \"" + choice.gemm + "\"");
    if (!known(choice.attention, kAttentionKernels))
        throw CalibrationError("unknown attention kernel \"" + choice.attention + "\"");
    CalibrationProfile p = *this;
    p.kernels_ = choice;
    p.select_kernels();
    if (p.gemm_.empty())
        throw CalibrationError("profile '" + name_ + "' has no GEMM points of kernel \"" + choice.gemm + "\"");
    if (!choice.attention.empty() &&
        std::none_of(all_attention_.begin(), all_attention_.end(), [&](const AttentionPoint& a) { return a.kernel == choice.attention; }))
        throw CalibrationError("profile '" + name_ + "' has no attention points of kernel \"" + choice.attention + "\"");
    return p;
}

GemmLookup CalibrationProfile::gemm_lookup(const GemmShape& s, Dtype dtype) const {
    return series_lookup(gemm_, dtype, s.n, s.k, s.m, [](const GemmPoint& p) { return p.m; });
}

GemmLookup CalibrationProfile::grouped_gemm_lookup(const GroupedGemmShape& s, Dtype dtype) const {
    if (grouped_.empty()) return gemm_lookup({s.m_per_group, s.n, s.k}, dtype);  // no grouped kernel: one GEMM per group
    return series_lookup(grouped_, dtype, s.n, s.k, s.m_per_group, [](const GroupedGemmPoint& p) { return p.m_per_group; });
}

double AttentionPoint::compute_efficiency_at(double seq_len) const {
    if (by_seq_len.empty()) return compute_efficiency;
    return interpolate_log2(by_seq_len, seq_len, [](const AttentionSeqPoint& p) { return p.seq_len; },
                            [](const AttentionSeqPoint& p) { return p.compute_efficiency; });
}

double AttentionPoint::peak_compute_efficiency() const {
    double e = compute_efficiency;
    for (const auto& s : by_seq_len) e = std::max(e, s.compute_efficiency);
    return e;
}

const AttentionPoint& CalibrationProfile::attention(AttentionPhase phase) const {
    MOESIM_CHECK(phase != AttentionPhase::Invalid, "attention phase");
    for (const auto& a : attention_)
        if (a.phase == phase) return a;
    MOESIM_CHECK(phase == AttentionPhase::Backward, "validated profile lacks an attention phase");
    return attention(AttentionPhase::Prefill);
}

double CalibrationProfile::memory_efficiency(double size_bytes) const {
    std::vector<std::pair<double, double>> xy;
    for (const auto& m : memory_) xy.emplace_back(m.size_bytes, m.efficiency);
    return interpolate_log2(xy, std::max(size_bytes, 1.0));
}

double CalibrationProfile::memory_op_efficiency(const std::string& op, double size_bytes) const {
    for (const auto& m : memory_ops_)
        if (m.op == op) return m.efficiency;
    return memory_efficiency(size_bytes);
}

double CalibrationProfile::latency_s(const std::string& what) const {
    for (const auto& l : latencies_)
        if (l.what == what) return l.latency_s;
    return 0.0;
}

CollectiveEfficiency CalibrationProfile::collective(CollectiveKind kind, Span span, double size_bytes) const {
    MOESIM_CHECK(span != Span::Invalid, "collective span");
    const bool exact = std::any_of(collectives_.begin(), collectives_.end(),
                                   [&](const CollectivePoint& c) { return c.kind == kind && c.span == span; });
    const CollectiveKind key = exact ? kind : CollectiveKind::Invalid;
    std::vector<std::pair<double, double>> eff, lat;
    for (const auto& c : collectives_)
        if (c.kind == key && c.span == span) {
            eff.emplace_back(c.size_bytes, c.efficiency);
            lat.emplace_back(c.size_bytes, c.latency_s);
        }
    const double x = std::max(size_bytes, 1.0);
    return {interpolate_log2(eff, x), interpolate_log2(lat, x)};
}

const DeepEpNormalRates& CalibrationProfile::deepep_normal_rates(DeepEpOp op) const { return normal_rates_[op_index(op)]; }

const DeepEpLowLatencyRates& CalibrationProfile::deepep_low_latency_rates(DeepEpOp op) const {
    return ll_rates_[op_index(op)];
}

std::vector<std::string> builtin_profile_names() {
    std::size_t count = 0;
    const EmbeddedFile* table = moesim_embedded_calibrations(&count);
    return detail::embedded_stems(table, count);
}

CalibrationProfile load_profile(const std::string& name_or_path, const std::string& base_dir) {
    std::size_t count = 0;
    const EmbeddedFile* table = moesim_embedded_calibrations(&count);
    const bool looks_like_path = name_or_path.find('/') != std::string::npos;
    if (looks_like_path || std::filesystem::path(name_or_path).extension() == ".json") {
        std::filesystem::path p(name_or_path);
        if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
        std::optional<std::string> text;
        try {
            if (input_file_exists(p.string(), "calibration profile"))
                text = read_input_file(p.string(), "calibration profile", kMaxDocumentBytes);
        } catch (const InputFileError& e) {  // a profile's errors are calibration errors
            throw CalibrationError(e.what());
        }
        if (text) return parse_text(*text, p.string());
        if (!find_embedded(table, count, p.filename().string()))
            throw CalibrationError(p.string() + ": calibration profile file does not exist");
    }
    std::string base = std::filesystem::path(name_or_path).filename().string();
    if (std::filesystem::path(base).extension() != ".json") base += ".json";
    const auto text = find_embedded(table, count, base);
    if (!text)
        throw CalibrationError("unknown calibration profile \"" + name_or_path +
                               "\": not a built-in and not a file" + did_you_mean(name_or_path, builtin_profile_names()));
    return parse_text(*text, "<built-in>/" + base);
}

const CalibrationProfile& default_profile() {
    static const CalibrationProfile profile = load_profile("h800-published", "");
    return profile;
}

}  // namespace moesim::hw
