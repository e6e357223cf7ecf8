// Intranode collective series from the NCCL sweeps (rules in moesim/calib/fit.h): a latency
// per op from the small sizes, then the efficiency at each size that makes the cost model's
// t = steps·α + factor·S/(B·e) reproduce the measured time.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "fit_tables.h"
#include "moesim/calib/points.h"
#include "moesim/common/collective_traits.h"
#include "moesim/common/error.h"

namespace moesim::calib::detail {

using nlohmann::json;

namespace {

// Sizes up to this are latency-dominated on NVLink: the latency line is fitted through them.
constexpr double kLatencyFitMaxBytes = 64.0 * 1024;

struct Sample {
    double size_bytes = 0;
    double time_s = 0;
    const kernels::Measurement* m = nullptr;
};

// Intercept of the least-squares line t = a + b·S through `samples`.
double intercept(const std::vector<Sample>& samples) {
    double ms = 0, mt = 0;
    for (const auto& s : samples) ms += s.size_bytes, mt += s.time_s;
    ms /= samples.size();
    mt /= samples.size();
    double sst = 0, sss = 0;
    for (const auto& s : samples) sst += (s.size_bytes - ms) * (s.time_s - mt), sss += (s.size_bytes - ms) * (s.size_bytes - ms);
    return sss > 0 ? mt - sst / sss * ms : mt;
}

std::string us(double s) {
    std::ostringstream o;
    o.precision(4);
    o << s * 1e6 << " us";
    return o.str();
}

}  // namespace

CollectiveFit fit_intranode_collectives(const Points& points, const hw::GpuSpec& gpu, const kernels::SuitePlan& plan) {
    CollectiveFit fit;
    for (const auto& m : points) {
        if (m.kind != "collective") continue;
        const CollectiveTraits* traits = find_collective_traits(m.op);
        const bool known = traits != nullptr && traits->nccl_name == m.op;
        if (!known)
            throw CalibrationError("measured point " + describe(m) +
                                   ": collective op is not all_reduce, all_gather, reduce_scatter, all_to_all or send_recv");
        shape_value(m, "size_bytes");
        fit.ranks = std::max(fit.ranks, static_cast<int>(shape_value(m, "ranks")));
    }
    if (fit.ranks < 2) {
        fit.ranks = 0;
        return fit;
    }
    const int n = fit.ranks;
    const double B = gpu.nvlink_GBps * 1e9;
    json any;
    for (const CollectiveTraits& op : kCollectiveTraits) {
        std::map<double, Sample> by_size;  // the fastest time per size
        for (const auto& m : points) {
            if (m.kind != "collective" || m.op != op.nccl_name || static_cast<int>(shape_value(m, "ranks")) != n) continue;
            if (!std::isfinite(m.time_s) || m.time_s <= 0)
                throw CalibrationError("measured point " + describe(m) + ": time " + number_text(m.time_s) + " s is not positive");
            const double size = shape_value(m, "size_bytes");
            auto it = by_size.find(size);
            if (it == by_size.end() || m.time_s < it->second.time_s) by_size[size] = {size, m.time_s, &m};
        }
        if (by_size.empty()) continue;
        std::vector<Sample> samples;
        for (const auto& [size, s] : by_size) samples.push_back(s);
        if (samples.size() < 2)
            throw CalibrationError("NCCL " + std::string(op.nccl_name) + " on " + std::to_string(n) +
                                   " ranks was measured at one size only: its latency cannot be fitted");

        std::vector<Sample> small;
        for (const auto& s : samples)
            if (s.size_bytes <= kLatencyFitMaxBytes) small.push_back(s);
        if (small.size() < 2) small.assign(samples.begin(), samples.begin() + 2);
        const double steps = latency_steps(op, n), factor = bus_factor(op, n);
        double a = intercept(small);
        std::string how = "intercept of the least-squares line through " + std::to_string(small.size()) +
                          " sizes up to " + number_text(small.back().size_bytes) + " B";
        if (a <= 0) {
            a = samples.front().time_s;
            how = "the smallest size's time (the line's intercept was not positive)";
        }
        const double alpha = a / steps;
        std::ostringstream note;
        note << "intranode " << op.name << " (" << n << " ranks): latency " << us(alpha) << " per step = " << how
             << " / " << number_text(steps) << " steps";
        std::string capped;

        json series = json::array();
        for (const auto& s : samples) {
            const double bandwidth_s = s.time_s - steps * alpha;
            double e = bandwidth_s > 0 ? factor * s.size_bytes / (B * bandwidth_s) : HUGE_VAL;  // all latency
            if (e > 1) {
                e = 1;
                capped += (capped.empty() ? "" : ", ") + number_text(s.size_bytes);
            }
            std::ostringstream rate;
            rate.precision(5);
            rate << "busbw " << s.m->busbw_GBps << " GB/s; e = " << number_text(factor) << "·S/(B·(t − "
                 << number_text(steps) << "·α)) with B = " << number_text(gpu.nvlink_GBps) << " GB/s, α = " << us(alpha);
            series.push_back({{"kind", std::string(op.name)},
                              {"span", "intranode"},
                              {"size_bytes", s.size_bytes},
                              {"efficiency", e},
                              {"latency_us", alpha * 1e6},
                              {"source", measured_citation(*s.m, plan, rate.str())}});
        }
        if (!capped.empty()) note << "; efficiency capped at 1 at sizes " << capped << " B";
        fit.notes.push_back(note.str());
        if (any.is_null()) any = series;
        for (auto& p : series) fit.points.push_back(std::move(p));
    }
    for (auto& p : any) {
        p["kind"] = "any";
        p["source"] = "kind \"any\" = the " + std::string(fit.points.front()["kind"]) + " series: " + p["source"].get<std::string>();
        fit.points.push_back(std::move(p));
    }
    return fit;
}

}  // namespace moesim::calib::detail
