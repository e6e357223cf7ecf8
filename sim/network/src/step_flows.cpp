#include "moesim/network/step_flows.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "moesim/common/error.h"
#include "moesim/common/units.h"
#include "moesim/engine/detail/slots.h"

namespace moesim::network {

namespace {

constexpr double kPsPerSecond = static_cast<double>(units::kPsPerSecond);
// Bytes per pair of a pattern's alone run (its time scales linearly: no latency).
constexpr double kProbeBytes = 1e6;
constexpr double kUnboundedRate = std::numeric_limits<double>::infinity();

engine::Picoseconds to_ps(double s) { return static_cast<engine::Picoseconds>(std::llround(s * kPsPerSecond)); }

}  // namespace

const char* to_string(TrafficClass c) {
    switch (c) {
        case TrafficClass::EpDispatch: return "ep_dispatch";
        case TrafficClass::EpCombine: return "ep_combine";
        case TrafficClass::Pp: return "pp";
        case TrafficClass::DpReduceScatter: return "dp_rs";
        case TrafficClass::DpAllGather: return "dp_ag";
        case TrafficClass::Tp: return "tp";
    }
    return "?";
}

StepFlows::StepFlows(const hw::Topology& topology, std::vector<LinkFault> faults)
    : topology_(topology),
      faults_(std::move(faults)),
      down_(topology.links().size(), 0),
      fraction_(topology.links().size(), 1.0),
      series_(topology) {
    std::stable_sort(faults_.begin(), faults_.end(), [](const LinkFault& a, const LinkFault& b) { return a.from_s < b.from_s; });
    for (std::uint32_t g = 0; g < series_.groups(); ++g) {
        net_.add_link(group_capacity_Bps(g, true));
        scratch_.add_link(group_capacity_Bps(g, true));
    }
    for (const LinkFault& f : faults_) {
        MOESIM_CHECK(f.link < topology_.links().size(), "fault on an unknown link");
        MOESIM_CHECK(f.rate_fraction >= 0 && f.rate_fraction <= 1 && f.from_s >= 0, "fault rate and time");
        MOESIM_CHECK(f.rate_fraction > 0 || f.from_s == 0, "a link down from a later time");
    }
    apply_faults(0);
}

double StepFlows::group_capacity_Bps(std::uint32_t group, bool healthy) const {
    double capacity = kUnboundedRate;
    for (const hw::LinkIndex l : series_.links_of(group)) {
        if (!healthy && down_[l]) continue;
        capacity = std::min(capacity, topology_.links()[l].capacity_Bps * (healthy ? 1.0 : fraction_[l]));
    }
    // Every link of the group down: no flow is routed over it; the capacity stays positive.
    return capacity == kUnboundedRate ? topology_.links()[series_.links_of(group)[0]].capacity_Bps : capacity;
}

void StepFlows::apply_faults(engine::Picoseconds now) {
    while (next_fault_ < faults_.size() && to_ps(faults_[next_fault_].from_s) <= now) {
        const LinkFault& f = faults_[next_fault_++];
        if (f.rate_fraction == 0) down_[f.link] = 1;  // no flow is routed over it
        else fraction_[f.link] = f.rate_fraction;
        const std::uint32_t g = series_.group_of(f.link);
        const double capacity = group_capacity_Bps(g, false);
        if (capacity != net_.link_capacity_Bps(g)) net_.set_link_capacity(g, capacity);
    }
}

std::span<const engine::LinkId> StepFlows::route(const GpuPair& p) {
    const std::uint64_t key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(p.from)) << 32) |
                              static_cast<std::uint32_t>(p.to);
    auto [it, added] = routes_.try_emplace(key);
    if (added) {
        const auto first = static_cast<std::uint32_t>(route_links_.size());
        topo_route_.clear();
        if (!topology_.route_avoiding(p.from, p.to, down_, topo_route_)) {
            routes_.erase(it);
            throw ScenarioError("cluster", "/cluster/network/faults",
                                "no route left from GPU " + std::to_string(p.from) + " to GPU " + std::to_string(p.to) +
                                    ": every shortest path crosses a link that is down");
        }
        series_.map_route(topo_route_, route_links_);
        it->second = {first, static_cast<std::uint32_t>(route_links_.size()) - first};
    }
    return std::span<const engine::LinkId>(route_links_).subspan(it->second.first, it->second.second);
}

const StepFlows::Pattern& StepFlows::pattern(const std::vector<GpuPair>& pairs) {
    const auto it = alone_ps_.find(pairs);
    if (it != alone_ps_.end()) return it->second;
    Pattern pat;
    const engine::Picoseconds t0 = scratch_now_;
    std::vector<engine::LinkId> path;
    for (const GpuPair& p : pairs) {
        topo_route_.clear();
        path.clear();
        topology_.route_avoiding(p.from, p.to, {}, topo_route_);  // the healthy fabric's route
        series_.map_route(topo_route_, path);
        scratch_.start_flow(t0, kProbeBytes, path);
    }
    std::vector<std::uint64_t> done;
    scratch_.advance_to(t0, done);
    scratch_.update_rates(t0);
    while (scratch_.active_flow_count() > 0) {
        const engine::Picoseconds t = scratch_.next_event_time();
        MOESIM_CHECK(t != engine::kNever, "a probe flow never ends");
        scratch_.advance_to(t, done);
        scratch_.update_rates(t);
        scratch_now_ = t;
    }
    pat.alone_ps = static_cast<double>(scratch_now_ - t0);
    pat.routes.reserve(pairs.size() + 1);
    for (const GpuPair& p : pairs) {
        const std::span<const engine::LinkId> r = route(p);
        pat.routes.push_back(static_cast<std::uint32_t>(r.data() - route_links_.data()));
        pat.routes.push_back(static_cast<std::uint32_t>(r.size()));
    }
    return alone_ps_.emplace(pairs, std::move(pat)).first->second;
}

void StepFlows::start(engine::Picoseconds now, TrafficClass cls, std::span<const FlowPart> parts, std::uint64_t token) {
    MOESIM_CHECK(now >= now_, "an instance started in the past");
    now_ = now;
    InstanceRecord rec;
    rec.cls = cls;
    rec.start_ps = now;
    rec.token = token;
    double ideal_s = 0;
    for (const FlowPart& part : parts) ideal_s = std::max(ideal_s, part.ideal_s);
    rec.ideal_ps = to_ps(ideal_s);
    const auto record = static_cast<std::uint32_t>(records_.size());
    records_.push_back(rec);
    const std::uint32_t id = engine::detail::take_slot(free_live_, live_);
    live_[id] = Live{record, 0};
    for (const FlowPart& part : parts) {
        if (part.ideal_s <= 0 || part.pairs.empty()) continue;
        const Pattern& pat = pattern(part.pairs);
        if (pat.alone_ps <= 0) continue;  // every pair inside one GPU
        const double bytes = kProbeBytes * part.ideal_s * kPsPerSecond / pat.alone_ps;
        for (std::size_t i = 0; i < part.pairs.size(); ++i) {
            if (part.pairs[i].from == part.pairs[i].to) continue;
            const std::span<const engine::LinkId> r(route_links_.data() + pat.routes[2 * i], pat.routes[2 * i + 1]);
            net_.start_flow(now, bytes, r, id);
            ++live_[id].outstanding;
            ++flows_started_;
        }
    }
    if (live_[id].outstanding == 0) empty_done_.push_back(id);
}

engine::Picoseconds StepFlows::next_time() const {
    if (!empty_done_.empty()) return now_;
    engine::Picoseconds t = net_.next_event_time();
    if (next_fault_ < faults_.size()) t = std::min(t, to_ps(faults_[next_fault_].from_s));
    return t;
}

void StepFlows::finish_instance(std::uint32_t id, engine::Picoseconds now, std::vector<std::uint64_t>& done) {
    InstanceRecord& rec = records_[live_[id].record];
    rec.end_ps = now;
    ClassTally& t = tallies_[static_cast<std::size_t>(rec.cls)];
    const double ideal = static_cast<double>(rec.ideal_ps) / kPsPerSecond;
    const double achieved = static_cast<double>(rec.end_ps - rec.start_ps) / kPsPerSecond;
    ++t.instances;
    t.ideal_s += ideal;
    t.achieved_s += achieved;
    if (ideal > 0) {
        t.worst_slowdown = std::max(t.worst_slowdown, achieved / ideal);
        if (achieved > ideal * 1.01) ++t.slowed;
    }
    done.push_back(rec.token);
    free_live_.push_back(id);
}

void StepFlows::advance(engine::Picoseconds now, std::vector<std::uint64_t>& done_tokens) {
    MOESIM_CHECK(now >= now_, "step flows moved back in time");
    now_ = now;
    apply_faults(now);
    for (const std::uint32_t id : empty_done_) finish_instance(id, now, done_tokens);
    empty_done_.clear();
    finished_.clear();
    net_.advance_to(now, finished_);
    for (const std::uint64_t tag : finished_) {
        const auto id = static_cast<std::uint32_t>(tag);
        if (--live_[id].outstanding == 0) finish_instance(id, now, done_tokens);
    }
}

void StepFlows::settle(engine::Picoseconds now) {
    now_ = std::max(now_, now);
    net_.update_rates(now_);
}

}  // namespace moesim::network
