#include "moesim/calib/trace_fit.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <sstream>
#include <tuple>

#include "moesim/common/error.h"
#include "moesim/hw/costs.h"
#include "text.h"

namespace moesim::calib {

namespace {

using nlohmann::json;

std::size_t idx(ModelClass c) { return static_cast<std::size_t>(c); }

using detail::lower;
using detail::upper;

std::string fixed(double v, int digits) {
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(digits);
    s << v;
    return s.str();
}

// Efficiencies rounded to 6 digits, as the published profile writes them.
double round6(double v) { return std::round(v * 1e6) / 1e6; }

bool is_deepep(ModelClass c) { return c == ModelClass::DeepEpDispatch || c == ModelClass::DeepEpCombine; }
bool by_bytes(ModelClass c) {
    return c == ModelClass::MemoryBound || c == ModelClass::Rotary || c == ModelClass::Elementwise || is_deepep(c);
}

// The peak a class's work is divided by: TFLOPS for compute, GB/s for bytes.
double peak(const PairWork& w, ModelClass c) {
    switch (c) {
        case ModelClass::GemmFp8:
        case ModelClass::GroupedGemmFp8:
        case ModelClass::GemmWgrad: return w.gpu.fp8_dense_TFLOPS * 1e12;
        case ModelClass::GemmBf16:
        case ModelClass::AttentionFwd:
        case ModelClass::AttentionBwd: return w.gpu.bf16_dense_TFLOPS * 1e12;
        case ModelClass::MemoryBound:
        case ModelClass::Rotary:
        case ModelClass::Elementwise: return w.gpu.hbm_GBps * 1e9;
        case ModelClass::DeepEpDispatch:
        case ModelClass::DeepEpCombine: return w.ep_group.nic_GBps * 1e9;
        default: return 0;
    }
}

std::string basis(const PairWork& w, ModelClass c) {
    std::ostringstream s;
    s.precision(4);
    if (c == ModelClass::DeepEpNotify) s << w.ep_calls << " DeepEP calls (dispatch or combine)";
    else if (by_bytes(c) && !is_deepep(c)) s << w.bytes[idx(c)] << " HBM bytes at " << w.gpu.hbm_GBps << " GB/s";
    else if (is_deepep(c)) s << w.bytes[idx(c)] << " counted RDMA bytes at " << w.ep_group.nic_GBps << " GB/s per NIC";
    else s << w.flops[idx(c)] << " FLOPs at " << peak(w, c) / 1e12 << " TFLOPS";
    return s.str();
}

// The citation of a point fitted from class `c`.
std::string citation(const TraceSummary& s, const PairWork& w, const FittedClass& f, const TraceFitOptions& o) {
    std::ostringstream out;
    out << "moesim calibrate --from-trace " << o.trace_name << " (sha256 " << o.trace_sha256 << "): class "
        << to_string(f.model) << ", " << f.kernels << " kernels, " << fixed(f.real_s * 1e6, 1) << " us for "
        << basis(w, f.model) << " (scenario " << w.scenario << ", " << w.what << "): "
        << (f.model == ModelClass::DeepEpNotify ? "latency per call " + fixed(f.latency_s * 1e6, 3) + " us"
                                                : "efficiency " + fixed(f.efficiency, 6))
        << "; kernels:";
    for (const auto& c : s.classes)
        if (c.model == f.model)
            for (const auto& k : c.kernels) out << " [" << c.klass << "] " << k << ";";
    return out.str();
}

// What the base profile prices class `c`'s traced work at: its shapes' FLOPs at the base's
// efficiency for each shape (the denominator of the class's ratio, trace_fit.h).
double base_time_s(const PairWork& w, ModelClass c, const hw::CalibrationProfile& base) {
    double t = 0, flops = 0;
    for (const auto& g : w.gemm)
        if (g.model == c && g.flops > 0) {
            t += g.flops / (peak(w, c) * hw::gemm_efficiency(g.shape, g.dtype, w.gpu, base));
            flops += g.flops;
        }
    for (const auto& g : w.grouped)
        if (g.model == c && g.flops > 0) {
            t += g.flops / (peak(w, c) * hw::grouped_gemm_efficiency(g.shape, hw::Dtype::FP8, w.gpu, base));
            flops += g.flops;
        }
    MOESIM_CHECK(std::abs(flops - w.flops[idx(c)]) <= 1e-9 * w.flops[idx(c)],
                 std::string("the pair's shapes do not add up to class ") + to_string(c) + "'s FLOPs");
    return t;
}

double capped(double efficiency) { return round6(std::min(1.0, efficiency)); }

// A base point at `ratio` times its efficiency, saying so (its TFLOPS no longer applies).
json scaled_point(json p, double ratio, const std::string& why) {
    if (ratio == 1.0) return p;
    p["efficiency"] = capped(p.at("efficiency").get<double>() * ratio);
    p.erase("TFLOPS");
    p.erase("GBps");
    p["source"] = p.at("source").get<std::string>() + " | scaled x" + fixed(ratio, 6) + " " + why;
    return p;
}

// The points `mine` selects of `table`, scaled by `ratio`, merged with `traced` into series by
// (dtype, N, K) in first-appearance order, each sorted along `axis` (M or m_per_group); a traced
// point replaces a base point at the same coordinate. The points `mine` leaves stay first, as
// they were.
template <typename Mine>
json merge_series(const json& table, Mine&& mine, double ratio, const std::string& why, const json& traced,
                  const char* axis) {
    json out = json::array();
    std::vector<std::tuple<std::string, double, double>> order;
    std::map<std::tuple<std::string, double, double>, std::map<double, json>> series;
    const auto add = [&](const json& p, bool replace) {
        const auto key = std::make_tuple(p.at("dtype").get<std::string>(), p.at("n").get<double>(), p.at("k").get<double>());
        auto [it, fresh] = series.try_emplace(key);
        if (fresh) order.push_back(key);
        const double at = p.at(axis).get<double>();
        if (replace) it->second[at] = p;
        else it->second.emplace(at, p);
    };
    for (const auto& p : table) {
        if (!mine(p)) out.push_back(p);
        else add(scaled_point(p, ratio, why), false);
    }
    for (const auto& p : traced) add(p, true);
    for (const auto& key : order)
        for (auto& [at, p] : series.at(key)) out.push_back(std::move(p));
    return out;
}

// A point at each shape the pair runs of a fitted class: the base's efficiency there times
// the class's ratio. A shape two classes share keeps the first.
json traced_gemm_points(const PairWork& w, const std::array<FittedClass, kModelClasses>& fits,
                        const std::array<std::string, kModelClasses>& sources, const hw::CalibrationProfile& base,
                        hw::Dtype dtype) {
    std::map<std::tuple<double, double, double>, const GemmAt*> first;
    for (const auto& g : w.gemm)
        if (g.dtype == dtype && fits[idx(g.model)].base_ratio > 0) first.emplace(std::make_tuple(g.shape.n, g.shape.k, g.shape.m), &g);
    json out = json::array();
    for (const auto& [key, g] : first)
        out.push_back({{"m", g->shape.m}, {"n", g->shape.n}, {"k", g->shape.k}, {"dtype", hw::to_string(dtype)},
                       {"efficiency", capped(hw::gemm_efficiency(g->shape, dtype, w.gpu, base) * fits[idx(g->model)].base_ratio)},
                       {"source", sources[idx(g->model)]}});
    return out;
}

json traced_grouped_points(const PairWork& w, const std::array<FittedClass, kModelClasses>& fits,
                           const std::array<std::string, kModelClasses>& sources, const hw::CalibrationProfile& base) {
    std::map<std::tuple<double, double, double>, const GroupedGemmAt*> first;
    for (const auto& g : w.grouped)
        if (fits[idx(g.model)].base_ratio > 0) first.emplace(std::make_tuple(g.shape.n, g.shape.k, g.shape.m_per_group), &g);
    json out = json::array();
    for (const auto& [key, g] : first)
        out.push_back({{"groups", g->shape.groups}, {"m_per_group", g->shape.m_per_group}, {"n", g->shape.n},
                       {"k", g->shape.k}, {"dtype", "fp8"}, {"layout", "contiguous"},
                       {"efficiency", capped(hw::grouped_gemm_efficiency(g->shape, hw::Dtype::FP8, w.gpu, base) * fits[idx(g->model)].base_ratio)},
                       {"source", sources[idx(g->model)]}});
    return out;
}

// `table` without the points `drop` selects.
template <typename Drop>
json without(const json& table, Drop&& drop) {
    json out = json::array();
    for (const auto& p : table)
        if (!drop(p)) out.push_back(p);
    return out;
}

}  // namespace

double ideal_s(const PairWork& w, ModelClass c) {
    const double p = peak(w, c);
    if (p <= 0) return 0;
    return (by_bytes(c) ? w.bytes[idx(c)] : w.flops[idx(c)]) / p;
}

void check_trace_matches(const Trace& trace, const TraceSummary& s, const PairWork& w) {
    const std::string& file = trace.file;
    if (!trace.device_name.empty() && upper(trace.device_name).find(upper(w.gpu.name)) == std::string::npos)
        throw CalibrationError(file + ": /deviceProperties/0/name: the trace ran on \"" + trace.device_name +
                               "\", the scenario " + w.scenario + " on " + w.gpu.name + " (give a scenario of the traced GPU)");
    if (trace.device_sms > 0 && w.gpu.sm_count > 0 && trace.device_sms != w.gpu.sm_count)
        throw CalibrationError(file + ": /deviceProperties/0/numSms: " + std::to_string(trace.device_sms) + " SMs, the " +
                               w.gpu.name + " spec has " + std::to_string(w.gpu.sm_count));
    if (s.forward_layers != w.forward_layers || s.backward_layers != w.backward_layers)
        throw CalibrationError(file + ": the trace shows " + std::to_string(s.forward_layers) + " forward and " +
                               std::to_string(s.backward_layers) + " backward layers (attention kernels), the scenario " +
                               w.scenario + "'s pair " + std::to_string(w.forward_layers) + " and " +
                               std::to_string(w.backward_layers) + " (" + w.what + ")");
    const std::int64_t ep_calls = s.model_count(ModelClass::DeepEpDispatch);
    const std::int64_t expected = w.has_ep ? w.moe_layers_forward + w.moe_layers_backward : 0;
    if (ep_calls != expected)
        throw CalibrationError(file + ": the trace has " + std::to_string(ep_calls) + " DeepEP dispatch kernels, the scenario " +
                               w.scenario + "'s pair " + std::to_string(expected) + " (one per MoE layer and pass" +
                               (w.has_ep ? ")" : "; its ep is 1)"));
    for (ModelClass c : model_classes()) {
        if (c == ModelClass::None) continue;
        if (c == ModelClass::DeepEpNotify) {
            if (s.model_count(c) > 0 && w.ep_calls <= 0)
                throw CalibrationError(file + ": the trace has " + std::to_string(s.model_count(c)) +
                                       " DeepEP notify kernels, the scenario " + w.scenario + " no DeepEP call (" + w.what + ")");
            continue;
        }
        if (s.model_count(c) > 0 && ideal_s(w, c) <= 0)
            throw CalibrationError(file + ": the trace has " + std::to_string(s.model_count(c)) + " kernels of class " +
                                   to_string(c) + ", the scenario " + w.scenario + " no work of it (" + w.what + ")");
    }
}

TraceFit fit_trace(const Trace& trace, const TraceSummary& s, const PairWork& w, const hw::CalibrationProfile& base,
                   const TraceFitOptions& o) {
    check_trace_matches(trace, s, w);
    std::array<FittedClass, kModelClasses> fits{};
    std::array<std::string, kModelClasses> sources{};
    TraceFit out;
    for (ModelClass c : model_classes()) {
        if (c == ModelClass::None) continue;
        FittedClass& f = fits[idx(c)];
        f.model = c;
        f.real_s = s.model_time_us(c) * 1e-6;
        f.kernels = s.model_count(c);
        f.ideal_s = ideal_s(w, c);
        if (f.kernels == 0) f.why_not = "no kernel of this class in the trace: the base profile's points are kept";
        else if (f.real_s <= 0) f.why_not = "its kernels last 0 us";
        else if (c == ModelClass::DeepEpNotify) {
            f.latency_s = f.real_s / w.ep_calls;
            sources[idx(c)] = citation(s, w, f, o);
        } else {
            f.efficiency = f.ideal_s / (f.real_s * (is_deepep(c) ? 1.0 : w.compute_sm_share));
            if (f.efficiency > 1.0)
                throw CalibrationError(trace.file + ": class " + std::string(to_string(c)) + ": the trace's kernels took " +
                                       fixed(f.real_s * 1e6, 1) + " us, less than the scenario " + w.scenario + "'s " +
                                       basis(w, c) + " needs at the peak (" + fixed(f.ideal_s * 1e6, 1) +
                                       " us): the trace is of another configuration (hidden size, experts, tokens?)");
            sources[idx(c)] = citation(s, w, f, o);
        }
        out.classes.push_back(f);
    }
    // The trace's speed against the base profile's on the same work (trace_fit.h).
    for (ModelClass c : {ModelClass::GemmFp8, ModelClass::GemmWgrad, ModelClass::GemmBf16, ModelClass::GroupedGemmFp8}) {
        FittedClass& f = fits[idx(c)];
        if (f.efficiency > 0) f.base_ratio = base_time_s(w, c, base) / (f.real_s * w.compute_sm_share);
    }
    const double memory_size = std::round(w.bytes[idx(ModelClass::MemoryBound)] / std::max(1.0, w.memory_ops));
    if (fits[idx(ModelClass::MemoryBound)].efficiency > 0)
        fits[idx(ModelClass::MemoryBound)].base_ratio =
            fits[idx(ModelClass::MemoryBound)].efficiency / base.memory_efficiency(memory_size);
    for (auto& f : out.classes) f.base_ratio = fits[idx(f.model)].base_ratio;
    const auto fitted = [&](ModelClass c) { return fits[idx(c)].efficiency > 0; };
    const auto ratio_of = [&](ModelClass c) { return fitted(c) ? fits[idx(c)].base_ratio : 1.0; };
    const std::string scaled_why = "by moesim calibrate --from-trace " + o.trace_name + " (sha256 " + o.trace_sha256 +
                                   "): the traced class's speed against this profile's";

    json doc = json::parse(base.document());
    const std::string gpu = w.gpu.name;
    doc["name"] = o.name.empty() ? lower(gpu) + "-trace-" + o.date : o.name;
    doc["gpu"] = gpu;
    doc["kind"] = "measured";
    doc["created"] = o.date;
    doc["versions"] = {{"driver", "not recorded in the trace"}, {"cuda", "not recorded in the trace"},
                       {"nccl", "not recorded in the trace"}};
    doc["source"] = "Fitted by " + o.tool_version + " (moesim calibrate --from-trace) from the profiler trace " +
                    o.trace_name + " (sha256 " + o.trace_sha256 + "; " +
                    (trace.device_name.empty() ? std::string("no deviceProperties") : trace.device_name) + ") against the "
                    "operators of scenario " + w.scenario + " (" + w.what + "); efficiency = the class's work at the " +
                    gpu + " spec's peak / its traced kernel time. Tables the trace does not fit are base profile '" +
                    base.name() + "''s.";
    json notes = json::array();
    for (const auto& f : out.classes) {
        if (f.latency_s > 0)
            notes.push_back(std::string(to_string(f.model)) + ": " + std::to_string(f.kernels) + " kernels, " +
                            fixed(f.real_s * 1e6, 1) + " us, " + fixed(f.latency_s * 1e6, 3) + " us per DeepEP call");
        else if (f.efficiency > 0)
            notes.push_back(std::string(to_string(f.model)) + ": " + std::to_string(f.kernels) + " kernels, " +
                            fixed(f.real_s * 1e6, 1) + " us, efficiency " + fixed(f.efficiency, 6) +
                            (f.base_ratio > 0 ? ", " + fixed(f.base_ratio, 6) + " x the base profile's at its shapes" : ""));
        else
            notes.push_back(std::string(to_string(f.model)) + ": not fitted (" + f.why_not + ")");
    }
    notes.push_back("Kernels of classes the operator model lacks (not fitted, not in any table): " +
                    fixed(s.model_time_us(ModelClass::None), 1) + " us; kernels no rule names: " +
                    fixed(s.unclassified_us(), 1) + " us (" + std::to_string(s.unclassified.size()) + " names).");
    for (const auto& n : base.document().empty() ? json::array() : json::parse(base.document()).value("notes", json::array()))
        notes.push_back("base profile '" + base.name() + "': " + n.get<std::string>());
    doc["notes"] = notes;

    // Points of another kernel than the dtype's default (the software section's tables) stay as they are.
    const auto default_kernel = [](const json& p, const char* kernel) { return p.value("kernel", std::string(kernel)) == kernel; };
    for (auto dt : {hw::Dtype::BF16, hw::Dtype::FP8}) {
        const std::string name = hw::to_string(dt);
        const ModelClass main = dt == hw::Dtype::FP8 ? ModelClass::GemmFp8 : ModelClass::GemmBf16;
        const char* kernel = hw::default_gemm_kernel(dt);
        doc["gemm"] = merge_series(
            doc.at("gemm"), [&](const json& p) { return p.at("dtype") == name && default_kernel(p, kernel); }, ratio_of(main),
            scaled_why, traced_gemm_points(w, fits, sources, base, dt), "m");
    }
    doc["grouped_gemm"] = merge_series(
        doc.at("grouped_gemm"), [&](const json& p) { return p.at("dtype") == "fp8" && default_kernel(p, hw::default_gemm_kernel(hw::Dtype::FP8)); },
        ratio_of(ModelClass::GroupedGemmFp8),
        scaled_why, traced_grouped_points(w, fits, sources, base), "m_per_group");

    for (auto& p : doc.at("attention")) {
        const std::string phase = p.at("phase").get<std::string>();
        const ModelClass c = phase == "prefill" ? ModelClass::AttentionFwd : phase == "backward" ? ModelClass::AttentionBwd : ModelClass::Invalid;
        if (c == ModelClass::Invalid || !fitted(c) || !default_kernel(p, hw::default_attention_kernel(c == ModelClass::AttentionFwd ? hw::AttentionPhase::Prefill : hw::AttentionPhase::Backward))) continue;
        p = json{{"phase", phase}, {"compute_efficiency", round6(fits[idx(c)].efficiency)}, {"source", sources[idx(c)]}};
    }
    if (fitted(ModelClass::AttentionBwd) &&
        std::none_of(doc.at("attention").begin(), doc.at("attention").end(), [&](const json& p) { return p.at("phase") == "backward" && default_kernel(p, hw::default_attention_kernel(hw::AttentionPhase::Backward)); }))
        doc["attention"].push_back({{"phase", "backward"},
                                    {"compute_efficiency", round6(fits[idx(ModelClass::AttentionBwd)].efficiency)},
                                    {"source", sources[idx(ModelClass::AttentionBwd)]}});

    if (fitted(ModelClass::MemoryBound)) {
        json memory = json::array();
        for (const auto& p : doc.at("memory_bound"))
            memory.push_back(scaled_point(p, ratio_of(ModelClass::MemoryBound),
                                          scaled_why + " at " + fixed(memory_size, 0) + " bytes (" +
                                              sources[idx(ModelClass::MemoryBound)] + ")"));
        doc["memory_bound"] = memory;
    }

    // A class of its own replaces the base's point of that class (kept: the others).
    const auto replace_point = [&](const char* table, const char* key, const std::string& value, json point) {
        json t = doc.contains(table) ? without(doc.at(table), [&](const json& p) { return p.at(key) == value; }) : json::array();
        t.push_back(std::move(point));
        doc[table] = t;
    };
    for (auto [c, op] : {std::pair{ModelClass::Rotary, "rotary"}, std::pair{ModelClass::Elementwise, "elementwise"}})
        if (fitted(c))
            replace_point("memory_bound_ops", "op", op,
                          {{"op", op}, {"efficiency", round6(fits[idx(c)].efficiency)}, {"source", sources[idx(c)]}});
    if (fits[idx(ModelClass::DeepEpNotify)].latency_s > 0)
        replace_point("latencies", "what", "deepep_notify",
                      {{"what", "deepep_notify"},
                       {"latency_us", std::round(fits[idx(ModelClass::DeepEpNotify)].latency_s * 1e9) / 1e3},
                       {"source", sources[idx(ModelClass::DeepEpNotify)]}});

    if (w.has_ep && fitted(ModelClass::DeepEpDispatch) && fitted(ModelClass::DeepEpCombine)) {
        // DeepEP's "bottleneck bandwidth" of one call: counted RDMA bytes over the mean kernel time.
        const auto rate = [&](ModelClass c, double bytes_per_call) {
            const FittedClass& f = fits[idx(c)];
            return std::round(bytes_per_call / (f.real_s / static_cast<double>(f.kernels)) / 1e9 * 1e3) / 1e3;
        };
        const double per_dispatch = w.bytes[idx(ModelClass::DeepEpDispatch)] / static_cast<double>(fits[idx(ModelClass::DeepEpDispatch)].kernels);
        const double per_combine = w.bytes[idx(ModelClass::DeepEpCombine)] / static_cast<double>(fits[idx(ModelClass::DeepEpCombine)].kernels);
        json deepep = without(doc.at("deepep_normal"), [](const json& p) { return p.at("scope") == "internode"; });
        deepep.push_back({{"scope", "internode"},
                          {"ep", w.ep_group.ep_size},
                          {"gpus_per_node", w.ep_group.gpus_per_node},
                          {"tokens", w.ep_shape.tokens},
                          {"hidden", w.ep_shape.hidden},
                          {"top_k", w.ep_shape.top_k},
                          {"max_nodes_per_token", w.ep_shape.max_nodes_per_token},
                          {"num_experts", w.ep_shape.num_experts},
                          {"dispatch_GBps", rate(ModelClass::DeepEpDispatch, per_dispatch)},
                          {"combine_GBps", rate(ModelClass::DeepEpCombine, per_combine)},
                          {"source", sources[idx(ModelClass::DeepEpDispatch)] + " | " + sources[idx(ModelClass::DeepEpCombine)]}});
        doc["deepep_normal"] = deepep;
    }
    // The document must load as a profile (a point this fit wrote that the format refuses is our bug).
    try {
        (void)hw::CalibrationProfile::from_json(doc, doc.at("name").get<std::string>());
    } catch (const CalibrationError& e) {
        MOESIM_CHECK(false, std::string("the profile fitted from the trace does not load: ") + e.what());
    }
    out.profile = std::move(doc);
    return out;
}

}  // namespace moesim::calib
