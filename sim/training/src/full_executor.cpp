// The full executor (executors.h): every GPU walking its pipeline rank's order over the chunk
// program's step lists (full_engine.h), data parallelism per pipeline rank, then the busiest
// GPU's time by kind.
#include <algorithm>
#include <limits>
#include <memory>
#include <numeric>

#include "executors.h"
#include "full_engine.h"
#include "full_flows.h"
#include "moesim/workload/resolve.h"
#include "moesim/common/error.h"
#include "ps_time.h"
#include "step_tail.h"

namespace moesim::training::detail {

using workload::PipelineOp;
using workload::PipelineOpKind;

namespace {

// Work of GPU r (simulated index) over the step by phase, and the SM contention of its pairs.
struct RankWork {
    PhaseWork work;
    double sm_contention_s = 0;
};

RankWork rank_work(const ChunkProgram& prog, const workload::PipelineSchedule& sched, const FullShape& shape, int r) {
    RankWork out;
    const auto experts = [&](const StageProgram& sp, int mb) {
        PhaseWork w;
        for (int t : sp.moe)
            w += prog.moe[static_cast<std::size_t>(t)].work[static_cast<std::size_t>(load_index(prog, shape, t, r, mb))];
        return w;
    };
    const auto chunk = [&](const workload::OpPart& part, bool f, bool b, bool w) {
        const auto& sp = prog.stages[static_cast<std::size_t>(part.stage)];
        PhaseWork all = sp.fixed_work;
        all += experts(sp, part.micro_batch);
        PhaseWork got;
        if (f) got.forward = all.forward;
        if (b) {
            got.backward_input = all.backward_input;
            got.recompute = all.recompute;
        }
        if (w) got.backward_weight = all.backward_weight;
        return got;
    };
    for (const PipelineOp& o : sched.ranks[static_cast<std::size_t>(r / shape.span)]) {
        switch (o.kind) {
            case PipelineOpKind::F: out.work += chunk(o.part, true, false, false); break;
            case PipelineOpKind::B: out.work += chunk(o.part, false, true, false); break;
            case PipelineOpKind::W: out.work += chunk(o.part, false, false, true); break;
            case PipelineOpKind::BW: out.work += chunk(o.part, false, true, true); break;
            case PipelineOpKind::FB: {
                const PhaseWork f = chunk(o.part, true, false, false), b = chunk(o.backward, false, true, true);
                out.work += f;
                out.work += b;
                out.sm_contention_s += prog.sm_contention_s(f.total_s() + b.total_s());
                break;
            }
        }
    }
    return out;
}

// Data parallelism per pipeline rank: the reduce-scatter of its GPUs starts when the last of
// them issues it, one backward window before its last operation ends; then the Adam step and
// what the parameter all-gather exposes beyond the next step's first forward chunk.
struct DataParallelTail {
    std::vector<double> ag_exposed;                 // per pipeline rank
    std::vector<Picoseconds> rs_start, rs_end;      // per pipeline rank
    std::vector<Picoseconds> dp_end, done;          // per simulated rank: reduce-scatter waited for; step done
};

DataParallelTail data_parallel_tail(const TrainingSetup& st, const ChunkProgram& prog, const FullShape& shape,
                                    const EngineResult& er) {
    const auto pp = static_cast<std::size_t>(shape.pp);
    DataParallelTail d;
    d.ag_exposed.resize(pp);
    d.rs_start.resize(pp);
    d.rs_end.resize(pp);
    d.dp_end.resize(static_cast<std::size_t>(shape.ranks()));
    d.done.resize(static_cast<std::size_t>(shape.ranks()));
    for (int pr = 0; pr < shape.pp; ++pr) {
        const auto u = static_cast<std::size_t>(pr);
        const DataParallelTimes& dp = prog.data_parallel.at(u);
        const ChunkWindows w = chunk_windows(prog.stage_costs, st.layout.ranks.at(u).stages);
        d.ag_exposed[u] = all_gather_exposed_s(dp, w);
        const Picoseconds window = to_ps(w.backward_s);
        Picoseconds issue = 0;
        for (int q = 0; q < shape.span; ++q)
            issue = std::max(issue, er.ranks[static_cast<std::size_t>(pr * shape.span + q)].end_ps - window);
        d.rs_start[u] = issue;
        d.rs_end[u] = issue + to_ps(dp.reduce_scatter_s);
        for (int q = 0; q < shape.span; ++q) {
            const auto r = static_cast<std::size_t>(pr * shape.span + q);
            d.dp_end[r] = std::max(er.ranks[r].end_ps, d.rs_end[u]);
            d.done[r] = d.dp_end[r] + to_ps(dp.optimizer_s + d.ag_exposed[u]);
        }
    }
    return d;
}

// The same tail with the DP collectives as flows (full_flows.h): every pipeline rank's
// reduce-scatter starts at its closed-form issue time and its all-gather after its Adam step,
// all of them sharing the fabric with each other (a second flow network: the pipeline's flows
// have ended by then in simulated order of events, so these do not meet the step's last EP and
// PP flows; see docs/STEP_FLOWS.md). The all-gather exposes what it takes beyond the forward
// window, as in closed form.
DataParallelTail data_parallel_tail_flows(const TrainingSetup& st, const ChunkProgram& prog, const FullShape& shape,
                                          const EngineResult& er, FullFlows& flows) {
    DataParallelTail d = data_parallel_tail(st, prog, shape, er);
    const int pp = shape.pp;
    std::vector<std::pair<Picoseconds, std::uint64_t>> starts;  // (time, token): RS pr, AG pp + pr
    std::vector<Picoseconds> ag_start(static_cast<std::size_t>(pp));
    for (int pr = 0; pr < pp; ++pr) starts.emplace_back(d.rs_start[static_cast<std::size_t>(pr)], static_cast<std::uint64_t>(pr));
    const auto later = [](const auto& a, const auto& b) { return a > b; };
    std::make_heap(starts.begin(), starts.end(), later);
    std::vector<std::uint64_t> done;
    for (;;) {
        const Picoseconds ts = starts.empty() ? std::numeric_limits<Picoseconds>::max() : starts.front().first;
        const Picoseconds t = std::min(ts, flows.next_time());
        if (t == std::numeric_limits<Picoseconds>::max()) break;
        done.clear();
        flows.advance(t, done);
        while (!starts.empty() && starts.front().first == t) {
            std::pop_heap(starts.begin(), starts.end(), later);
            const auto token = starts.back().second;
            starts.pop_back();
            const bool rs = token < static_cast<std::uint64_t>(pp);
            const int pr = static_cast<int>(rs ? token : token - static_cast<std::uint64_t>(pp));
            const DataParallelTimes& dp = prog.data_parallel.at(static_cast<std::size_t>(pr));
            flows.start_data_parallel(t, rs ? network::TrafficClass::DpReduceScatter : network::TrafficClass::DpAllGather, pr,
                                      rs ? dp.reduce_scatter_s : dp.all_gather_s, token);
        }
        flows.settle(t);
        for (const std::uint64_t token : done) {
            const bool rs = token < static_cast<std::uint64_t>(pp);
            const int pr = static_cast<int>(rs ? token : token - static_cast<std::uint64_t>(pp));
            const auto u = static_cast<std::size_t>(pr);
            const DataParallelTimes& dp = prog.data_parallel.at(u);
            if (rs) {
                d.rs_end[u] = t;
                Picoseconds adam = 0;
                for (int q = 0; q < shape.span; ++q) {
                    const auto r = static_cast<std::size_t>(pr * shape.span + q);
                    d.dp_end[r] = std::max(er.ranks[r].end_ps, t);
                    adam = std::max(adam, d.dp_end[r] + to_ps(dp.optimizer_s));
                }
                ag_start[u] = adam;
                starts.emplace_back(adam, static_cast<std::uint64_t>(pp + pr));
                std::push_heap(starts.begin(), starts.end(), later);
            } else {
                const ChunkWindows w = chunk_windows(prog.stage_costs, st.layout.ranks.at(u).stages);
                d.ag_exposed[u] = std::max(0.0, to_s(t - ag_start[u]) - w.forward_s);
                for (int q = 0; q < shape.span; ++q) {
                    const auto r = static_cast<std::size_t>(pr * shape.span + q);
                    d.done[r] = d.dp_end[r] + to_ps(dp.optimizer_s + d.ag_exposed[u]);
                }
            }
        }
    }
    return d;
}

// cluster.network.faults as topology links (both directions of each), checked against the
// cluster: ScenarioError naming the fault's JSON path.
std::vector<network::LinkFault> link_faults(const TrainingSetup& st, const hw::Topology& topo) {
    std::vector<network::LinkFault> out;
    const auto& faults = st.scenario.cluster.network.faults;
    const std::string& file = st.scenario.source_file;
    for (std::size_t i = 0; i < faults.size(); ++i) {
        const workload::LinkFaultSpec& f = faults[i];
        const std::string path = "/cluster/network/faults/" + std::to_string(i);
        std::uint32_t a = 0, b = 0;  // the link's ends (either direction)
        if (f.nic >= 0) {
            if (f.node >= topo.spec().nodes)
                throw ScenarioError(file, path + "/node", std::to_string(f.node) + ": the cluster has " +
                                                               std::to_string(topo.spec().nodes) + " nodes");
            if (f.nic >= topo.rails())
                throw ScenarioError(file, path + "/nic", std::to_string(f.nic) + ": a node has " +
                                                              std::to_string(topo.rails()) + " NICs");
            a = topo.nic_vertex(f.node * topo.rails() + f.nic);
        } else {
            if (f.leaf >= topo.leaf_count())
                throw ScenarioError(file, path + "/leaf", std::to_string(f.leaf) + ": the topology has " +
                                                               std::to_string(topo.leaf_count()) + " leaves");
            if (f.spine >= topo.spine_count())
                throw ScenarioError(file, path + "/spine", std::to_string(f.spine) + ": the topology has " +
                                                                std::to_string(topo.spine_count()) + " spines");
            a = topo.leaf_vertex(f.leaf);
            b = topo.spine_vertex(f.spine);
        }
        for (std::size_t l = 0; l < topo.links().size(); ++l) {
            const hw::TopoLink& link = topo.links()[l];
            const bool hit = f.nic >= 0 ? (link.from == a || link.to == a)
                                        : ((link.from == a && link.to == b) || (link.from == b && link.to == a));
            if (hit) out.push_back({static_cast<hw::LinkIndex>(l), f.rate_fraction, f.from_s});
        }
    }
    return out;
}

}  // namespace

StepTrace run_full(const TrainingSetup& st, const ChunkProgram& prog, const workload::PipelineSchedule& sched,
                   const StepOptions& options) {
    const auto& sc = st.scenario;
    const auto& p = sc.parallelism;
    FullShape shape;
    shape.pp = p.pp;
    shape.tp = p.tp;
    shape.ep = p.ep;
    shape.block = p.tp * p.dp;
    shape.span = options.one_ep_group ? std::lcm(p.ep, p.tp) : shape.block;
    shape.seed = sc.seed;
    MOESIM_CHECK(shape.block % shape.span == 0, "full simulation: the EP and TP groups tile a pipeline rank's GPUs");
    std::vector<char> recorded(static_cast<std::size_t>(shape.ranks()), 0);
    for (int g : options.trace_ranks) {
        MOESIM_CHECK(g >= 0 && g < p.pp * shape.block, "full simulation: recorded rank out of range");
        recorded[static_cast<std::size_t>((g / shape.block) * shape.span + (g % shape.block) % shape.span)] = 1;
    }
    std::unique_ptr<hw::Topology> topo;
    std::unique_ptr<FullFlows> flows, dp_flows;
    if (options.network_flows) {
        MOESIM_CHECK(!options.one_ep_group, "full simulation: flows need every GPU simulated");
        topo = std::make_unique<hw::Topology>(workload::topology_spec(sc, st.gpu));
        flows = std::make_unique<FullFlows>(st, *topo, link_faults(st, *topo));
        dp_flows = std::make_unique<FullFlows>(st, *topo, link_faults(st, *topo));
    }
    EngineResult er = run_full_engine(prog, sched, shape, recorded, options.progress, flows.get());
    const int n = shape.ranks();

    const DataParallelTail tail =
        flows ? data_parallel_tail_flows(st, prog, shape, er, *dp_flows) : data_parallel_tail(st, prog, shape, er);
    StepTrace out;
    out.end_ps.reserve(static_cast<std::size_t>(n));
    std::vector<Picoseconds> busy;
    busy.reserve(static_cast<std::size_t>(n));
    for (const auto& t : er.ranks) {
        out.end_ps.push_back(t.end_ps);
        out.makespan_ps = std::max(out.makespan_ps, t.end_ps);
        busy.push_back(t.busy_ps);
    }
    out.step_s = to_s(*std::max_element(tail.done.begin(), tail.done.end()));

    // The busiest compute stream is reported.
    const int critical = first_max(busy);
    out.critical_rank = shape.global_rank(critical);
    const RankTally& t = er.ranks[static_cast<std::size_t>(critical)];
    const auto cu = static_cast<std::size_t>(critical);
    const auto cp = static_cast<std::size_t>(critical / shape.span);
    const RankWork work = rank_work(prog, sched, shape, critical);
    out.forward = work.work.forward;
    out.backward_input = work.work.backward_input;
    out.backward_weight = work.work.backward_weight;
    out.recompute_s = work.work.recompute.total_s();
    out.sm_contention_s = work.sm_contention_s;
    out.exposed = {to_s(t.ep_exposed_ps), to_s(t.pp_exposed_ps), to_s(tail.dp_end[cu] - t.end_ps) + tail.ag_exposed[cp],
                   to_s(t.tp_exposed_ps)};
    out.straggler_wait_s = to_s(t.wait_ps);
    out.optimizer_s = prog.data_parallel[cp].optimizer_s;
    out.bubble_s = out.step_s - to_s(t.busy_ps) - out.exposed.ep_s - out.exposed.pp_s - out.exposed.tp_s -
                   out.straggler_wait_s - out.exposed.dp_s - out.optimizer_s;

    // Traces: the recorded GPUs' activities, then their data-parallel tail.
    out.records = std::move(er.entries);
    for (int rr = 0; rr < n; ++rr) {
        if (!recorded[static_cast<std::size_t>(rr)]) continue;
        const auto u = static_cast<std::size_t>(rr);
        const auto pr = static_cast<std::size_t>(rr / shape.span);
        const auto add = [&](RecordKind kind, Picoseconds s0, Picoseconds s1) {
            if (s1 <= s0) return;
            TimelineRecord x;
            x.rank = shape.global_rank(rr);
            x.pipe = static_cast<std::int32_t>(pr);
            x.kind = kind;
            x.start_ps = s0;
            x.end_ps = s1;
            out.records.push_back(x);
        };
        const Picoseconds adam_end = tail.dp_end[u] + to_ps(prog.data_parallel[pr].optimizer_s);
        add(RecordKind::DpReduce, tail.rs_start[pr], tail.rs_end[pr]);
        add(RecordKind::AdamStep, tail.dp_end[u], adam_end);
        add(RecordKind::DpGather, adam_end, tail.done[u]);
    }

    out.stats.ranks_simulated = n;
    out.stats.activities = er.activities;
    out.stats.collectives = er.collectives;
    out.stats.wakeups = er.wakeups;
    out.stats.state_bytes = er.state_bytes;
    if (flows) {
        for (int c = 0; c < network::kTrafficClasses; ++c) {
            const auto u = static_cast<std::size_t>(c);
            TrafficClassFigures f;
            f.name = network::to_string(static_cast<network::TrafficClass>(c));
            for (const FullFlows* ff : {flows.get(), dp_flows.get()}) {
                const network::ClassTally& t = ff->flows().tallies()[u];
                f.instances += t.instances;
                f.ideal_s += t.ideal_s;
                f.achieved_s += t.achieved_s;
                f.worst_slowdown = std::max(f.worst_slowdown, t.worst_slowdown);
                f.slowed += t.slowed;
            }
            out.stats.traffic.push_back(f);
        }
        out.stats.flows = flows->flows().flows_started() + dp_flows->flows().flows_started();
    }
    return out;
}

}  // namespace moesim::training::detail
