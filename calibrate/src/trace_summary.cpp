#include "moesim/calib/trace_summary.h"

#include <algorithm>
#include <unordered_map>

namespace moesim::calib {

double TraceSummary::unclassified_us() const {
    double t = 0;
    for (const auto& u : unclassified) t += u.time_us;
    return t;
}

double TraceSummary::model_time_us(ModelClass model) const {
    double t = 0;
    for (const auto& c : classes)
        if (c.model == model) t += c.time_us;
    return t;
}

std::int64_t TraceSummary::model_count(ModelClass model) const {
    std::int64_t n = 0;
    for (const auto& c : classes)
        if (c.model == model) n += c.count;
    return n;
}

TraceSummary summarize(const Trace& trace, const RuleTable& rules) {
    TraceSummary s;
    // The rule of each distinct name, looked up once.
    std::vector<const TraceRule*> rule_of(trace.names.size());
    for (std::size_t i = 0; i < trace.names.size(); ++i) rule_of[i] = rules.match(trace.names[i]);

    std::map<std::string, std::size_t> class_index;     // class name -> index in s.classes
    std::map<std::size_t, std::size_t> rule_position;   // class index -> position of its first rule
    std::unordered_map<std::uint32_t, std::size_t> unclassified_index;
    std::map<std::int64_t, StreamSummary> streams;
    std::vector<std::pair<double, double>> compute_intervals;
    std::vector<bool> seen_name(trace.names.size(), false);
    double first = 0, last = 0;
    bool started = false;

    for (const auto& k : trace.kernels) {
        const TraceRule* r = rule_of[k.name];
        auto& st = streams[k.stream];
        st.stream = k.stream;
        ++st.kernels;
        st.busy_us += k.dur_us;
        if (!started) first = k.ts_us, last = k.ts_us + k.dur_us, started = true;
        first = std::min(first, k.ts_us);
        last = std::max(last, k.ts_us + k.dur_us);
        s.span_us = last - first;
        if (!r) {
            auto [it, added] = unclassified_index.try_emplace(k.name, s.unclassified.size());
            if (added) s.unclassified.push_back({trace.name_of(k), 0, 0});
            ++s.unclassified[it->second].count;
            s.unclassified[it->second].time_us += k.dur_us;
            continue;
        }
        if (r->model == ModelClass::DeepEpDispatch || r->model == ModelClass::DeepEpCombine ||
            r->model == ModelClass::DeepEpNotify)
            st.communication = true;
        if (r->layer == LayerMark::Forward) ++s.forward_layers;
        if (r->layer == LayerMark::Backward) ++s.backward_layers;
        auto [it, added] = class_index.try_emplace(r->klass, s.classes.size());
        if (added) {
            s.classes.push_back({r->klass, r->model, r->origin, {}, 0, 0});
            rule_position[it->second] = static_cast<std::size_t>(r - rules.rules().data());
        }
        ClassSummary& c = s.classes[it->second];
        if (!seen_name[k.name]) {
            seen_name[k.name] = true;
            c.kernels.push_back(trace.name_of(k));
        }
        ++c.count;
        c.time_us += k.dur_us;
    }
    // Classes in rule order; unclassified kernels by time.
    std::vector<std::size_t> order(s.classes.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return rule_position[a] < rule_position[b]; });
    std::vector<ClassSummary> sorted;
    for (auto i : order) sorted.push_back(std::move(s.classes[i]));
    s.classes = std::move(sorted);
    std::sort(s.unclassified.begin(), s.unclassified.end(), [](const auto& a, const auto& b) {
        return a.time_us != b.time_us ? a.time_us > b.time_us : a.name < b.name;
    });

    for (const auto& [id, st] : streams) s.streams.push_back(st);
    // Busy time of the computation: the union of the kernels' intervals on the streams that run
    // no communication kernel (a kernel on two compute streams at once counts once).
    for (const auto& k : trace.kernels)
        if (!streams[k.stream].communication) compute_intervals.emplace_back(k.ts_us, k.ts_us + k.dur_us);
    std::sort(compute_intervals.begin(), compute_intervals.end());
    double covered_to = -1e300;
    for (const auto& [a, b] : compute_intervals) {
        if (b <= covered_to) continue;
        s.compute_busy_us += b - std::max(a, covered_to);
        covered_to = b;
    }
    return s;
}

}  // namespace moesim::calib
