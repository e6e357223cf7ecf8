// The compute and memory tables of a measured profile: gemm, grouped_gemm, attention,
// memory_bound (rules in moesim/calib/fit.h).
#include <cmath>
#include <map>
#include <sstream>
#include <string_view>
#include <tuple>

#include "fit_tables.h"
#include "moesim/calib/points.h"
#include "moesim/common/error.h"
#include "moesim/hw/types.h"

namespace moesim::calib::detail {

using nlohmann::json;

namespace {

// The FP8 GEMM the simulated workload runs: DeepSeek-V3's 1x128 / 128x128 block scaling
// ("moesim_fp8_block" on sm_90 tensor cores, "moesim_fp8_block_portable" elsewhere).
constexpr std::string_view kFineGrainedFp8 = "moesim_fp8_block";

bool fine_grained(const kernels::Measurement& m) { return m.impl.rfind(kFineGrainedFp8, 0) == 0; }

hw::Dtype dtype_of(const kernels::Measurement& m) {
    const hw::Dtype d = hw::dtype_from_string(m.dtype);
    if (d == hw::Dtype::Invalid)
        throw CalibrationError("measured point " + describe(m) + ": dtype \"" + m.dtype + "\" is not \"bf16\" or \"fp8\"");
    return d;
}

double peak_TFLOPS(const hw::GpuSpec& gpu, hw::Dtype d) { return hw::dense_peak_TFLOPS(gpu, d); }

std::string rate_text(double v, const char* unit) {
    std::ostringstream s;
    s.precision(5);
    s << v << " " << unit;
    return s.str();
}

// Which of two measurements of one GEMM shape the table takes.
const kernels::Measurement* preferred_gemm(const kernels::Measurement* a, const kernels::Measurement* b) {
    const bool a_fine = fine_grained(*a), b_fine = fine_grained(*b);
    if (a_fine != b_fine) return a_fine ? a : b;
    return achieved_TFLOPS(*b) > achieved_TFLOPS(*a) ? b : a;
}

bool is_bf16_attention(const kernels::Measurement& m) { return m.dtype.empty() || m.dtype == "bf16"; }

}  // namespace

double shape_value(const kernels::Measurement& m, const char* key) {
    const auto it = m.shape.find(key);
    if (it == m.shape.end()) throw CalibrationError("measured point " + describe(m) + ": its shape has no \"" + key + "\"");
    if (!std::isfinite(it->second) || it->second <= 0)
        throw CalibrationError("measured point " + describe(m) + ": shape " + key + " = " + number_text(it->second) +
                               " is not a positive number");
    return it->second;
}

double efficiency_of(const kernels::Measurement& m, double achieved, const char* unit, double peak,
                     const char* peak_name, const hw::GpuSpec& gpu) {
    if (!std::isfinite(achieved) || achieved <= 0)
        throw CalibrationError("measured point " + describe(m) + ": no positive rate (time " +
                               number_text(m.time_s) + " s)");
    const double e = achieved / peak;
    if (e > 1)
        throw CalibrationError("measured point " + describe(m) + ": " + rate_text(achieved, unit) + " exceeds the " +
                               peak_name + " peak " + rate_text(peak, unit) + " of GPU spec " + gpu.name +
                               ": that spec does not describe this GPU (pass --gpu with the right spec)");
    return e;
}

std::string measured_citation(const kernels::Measurement& m, const kernels::SuitePlan& plan, const std::string& rate) {
    std::ostringstream s;
    s.precision(6);
    s << "measured by moesim calibrate: " << describe(m) << ": " << rate << " (median of " << plan.repetitions
      << " after " << plan.warmup << " warm-up, " << m.time_s * 1e6 << " us); reference check max error "
      << m.max_error;
    if (!m.check_detail.empty()) s << " (" << m.check_detail << ")";
    return s.str();
}

json fit_gemm(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan) {
    // (dtype, N, K, M): map order puts each (dtype, N, K) series together, M increasing.
    std::map<std::tuple<int, double, double, double>, const kernels::Measurement*> chosen;
    for (const auto& m : points) {
        if (m.kind != "gemm") continue;
        const auto key = std::make_tuple(static_cast<int>(dtype_of(m)), shape_value(m, "n"), shape_value(m, "k"),
                                         shape_value(m, "m"));
        auto& c = chosen[key];
        c = c ? preferred_gemm(c, &m) : &m;
    }
    if (chosen.empty()) throw CalibrationError("the suite measured no GEMM: cannot fit the gemm table");
    json table = json::array();
    for (const auto& [key, m] : chosen) {
        const hw::Dtype d = dtype_of(*m);
        const double tflops = achieved_TFLOPS(*m);
        const double e = efficiency_of(*m, tflops, "TFLOPS", peak_TFLOPS(gpu, d),
                                       d == hw::Dtype::FP8 ? "FP8 dense" : "BF16 dense", gpu);
        table.push_back({{"m", std::get<3>(key)},
                         {"n", std::get<1>(key)},
                         {"k", std::get<2>(key)},
                         {"dtype", hw::to_string(d)},
                         {"efficiency", e},
                         {"TFLOPS", tflops},
                         {"source", measured_citation(*m, plan, rate_text(tflops, "TFLOPS"))}});
    }
    return table;
}

json fit_grouped_gemm(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan) {
    std::map<std::tuple<int, double, double, double>, std::vector<const kernels::Measurement*>> sizes;
    for (const auto& m : points) {
        if (m.kind != "grouped_gemm") continue;
        shape_value(m, "groups");
        sizes[{static_cast<int>(dtype_of(m)), shape_value(m, "n"), shape_value(m, "k"), shape_value(m, "m_per_group")}]
            .push_back(&m);
    }
    if (sizes.empty()) throw CalibrationError("the suite measured no grouped GEMM: cannot fit the grouped_gemm table");
    json table = json::array();
    for (const auto& [key, ms] : sizes) {
        const hw::Dtype d = static_cast<hw::Dtype>(std::get<0>(key));
        const double peak = peak_TFLOPS(gpu, d);
        double sum = 0;
        std::string source;
        for (const auto* m : ms) {
            const double tflops = achieved_TFLOPS(*m);
            sum += efficiency_of(*m, tflops, "TFLOPS", peak, d == hw::Dtype::FP8 ? "FP8 dense" : "BF16 dense", gpu);
            source += (source.empty() ? "" : " | ") + measured_citation(*m, plan, rate_text(tflops, "TFLOPS"));
        }
        const double e = sum / ms.size();
        if (ms.size() > 1) source = "mean efficiency of " + std::to_string(ms.size()) + " measurements: " + source;
        table.push_back({{"groups", shape_value(*ms.front(), "groups")},
                         {"m_per_group", std::get<3>(key)},
                         {"n", std::get<1>(key)},
                         {"k", std::get<2>(key)},
                         {"dtype", hw::to_string(d)},
                         {"layout", ms.front()->op},
                         {"efficiency", e},
                         {"TFLOPS", e * peak},
                         {"source", source}});
        if (table.back()["layout"].get<std::string>().empty()) table.back().erase("layout");
    }
    return table;
}

json fit_attention(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan) {
    const kernels::Measurement *decode_compute = nullptr, *decode_memory = nullptr, *prefill = nullptr;
    std::map<double, const kernels::Measurement*> by_len;  // prefill: the fastest point of each seq_len
    for (const auto& m : points) {
        if (m.kind != "attention" || !is_bf16_attention(m)) continue;
        if (m.op == "decode") {
            if (!decode_compute || achieved_TFLOPS(m) > achieved_TFLOPS(*decode_compute)) decode_compute = &m;
            if (!decode_memory || achieved_GBps(m) > achieved_GBps(*decode_memory)) decode_memory = &m;
        } else if (m.op == "prefill") {
            if (!prefill || achieved_TFLOPS(m) > achieved_TFLOPS(*prefill)) prefill = &m;
            if (m.shape.count("seq_len")) {
                auto& b = by_len[m.shape.at("seq_len")];
                if (!b || achieved_TFLOPS(m) > achieved_TFLOPS(*b)) b = &m;
            }
        } else {
            throw CalibrationError("measured point " + describe(m) + ": attention op \"" + m.op +
                                   "\" is not \"decode\" or \"prefill\"");
        }
    }
    if (!decode_compute) throw CalibrationError("the suite measured no BF16 decode attention: cannot fit /attention");
    if (!prefill) throw CalibrationError("the suite measured no BF16 prefill attention: cannot fit /attention");
    const double bf16 = gpu.bf16_dense_TFLOPS;
    const double dc = achieved_TFLOPS(*decode_compute), dm = achieved_GBps(*decode_memory), pc = achieved_TFLOPS(*prefill);
    json decode = {{"phase", "decode"},
                   {"compute_efficiency", efficiency_of(*decode_compute, dc, "TFLOPS", bf16, "BF16 dense", gpu)},
                   {"TFLOPS", dc},
                   {"memory_efficiency", efficiency_of(*decode_memory, dm, "GB/s", gpu.hbm_GBps, "HBM", gpu)},
                   {"GBps", dm},
                   {"source", "compute: the fastest decode point, " +
                                  measured_citation(*decode_compute, plan, rate_text(dc, "TFLOPS")) +
                                  " | memory: the highest-bandwidth decode point, " +
                                  measured_citation(*decode_memory, plan, rate_text(dm, "GB/s"))}};
    json pre = {{"phase", "prefill"},
                {"compute_efficiency", efficiency_of(*prefill, pc, "TFLOPS", bf16, "BF16 dense", gpu)},
                {"TFLOPS", pc},
                {"source", "the fastest prefill point, " + measured_citation(*prefill, plan, rate_text(pc, "TFLOPS"))}};
    // Measured at several lengths: the fastest point of each is the curve along seq_len.
    if (by_len.size() >= 2) {
        json curve = json::array();
        for (const auto& [len, m] : by_len) {
            const double t = achieved_TFLOPS(*m);
            curve.push_back({{"seq_len", len},
                             {"compute_efficiency", efficiency_of(*m, t, "TFLOPS", bf16, "BF16 dense", gpu)},
                             {"TFLOPS", t}});
        }
        pre["by_seq_len"] = curve;
        pre["source"] = pre["source"].get<std::string>() + "; by_seq_len: the fastest point of each measured seq_len";
    }
    return json::array({pre, decode});
}

json fit_memory_bound(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan) {
    std::map<double, const kernels::Measurement*> best;  // bytes moved -> fastest point
    for (const auto& m : points) {
        if (m.kind != "memory") continue;
        if (!std::isfinite(m.bytes) || m.bytes <= 0)
            throw CalibrationError("measured point " + describe(m) + ": no byte count");
        auto& b = best[m.bytes];
        if (!b || achieved_GBps(m) > achieved_GBps(*b)) b = &m;
    }
    if (best.empty()) throw CalibrationError("the suite measured no HBM copy: cannot fit the memory_bound table");
    json table = json::array();
    for (const auto& [bytes, m] : best) {
        const double gbps = achieved_GBps(*m);
        table.push_back({{"size_bytes", bytes},
                         {"efficiency", efficiency_of(*m, gbps, "GB/s", gpu.hbm_GBps, "HBM", gpu)},
                         {"GBps", gbps},
                         {"source", measured_citation(*m, plan, rate_text(gbps, "GB/s") + " moving " +
                                                                     number_text(bytes) + " bytes (read + write)")}});
    }
    return table;
}

}  // namespace moesim::calib::detail
