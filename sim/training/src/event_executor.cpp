// The one-replica event executor (executors.h): the schedule's chunk operations as a task graph
// on the engine (event_graph.h), durations from the chunk program (whole chunks at each MoE
// layer's slowest load; DualPipe's pairs from their layer-by-layer timing), then the critical
// rank's time by kind and data parallelism after each rank's last operation.
#include <algorithm>

#include "event_graph.h"
#include "executors.h"
#include "moesim/common/error.h"
#include "ps_time.h"
#include "step_tail.h"

namespace moesim::training::detail {

using workload::PipelineOp;
using workload::PipelineOpKind;

namespace {

// One chunk operation's durations.
OpCost op_cost(const ChunkProgram& prog, const PipelineOp& o) {
    const StageProgram& a = prog.stages[static_cast<std::size_t>(o.part.stage)];
    OpCost c;
    switch (o.kind) {
        case PipelineOpKind::F:
            c.compute_ps = a.chunk.forward;
            c.comm_ps = a.chunk.forward_comm;
            c.pp_forward_ps = a.pp_forward_ps;
            break;
        case PipelineOpKind::B:
            c.compute_ps = a.chunk.backward;
            c.comm_ps = a.chunk.backward_comm;
            c.pp_backward_ps = a.pp_backward_ps;
            break;
        case PipelineOpKind::BW:
            c.compute_ps = a.chunk.backward_weight;
            c.comm_ps = a.chunk.backward_comm;
            c.pp_backward_ps = a.pp_backward_ps;
            break;
        case PipelineOpKind::W: c.compute_ps = a.chunk.weight; break;
        case PipelineOpKind::FB: {
            const PairTiming& pt = prog.pair_timing(o.part.stage, o.backward.stage);
            c.compute_ps = pt.span_ps;
            c.ep_wait_ps = pt.ep_wait_ps;
            c.tp_wait_ps = pt.tp_wait_ps;
            c.comm_ps = prog.pair_comm_ps(o.part.stage, o.backward.stage);
            c.comm_overlapped = true;
            c.pp_forward_ps = a.pp_forward_ps;
            c.pp_backward_ps = prog.stages[static_cast<std::size_t>(o.backward.stage)].pp_backward_ps;
            break;
        }
    }
    return c;
}

// Seconds of exposed communication by kind, and of work by phase, on one rank.
struct RankTally {
    WorkTimes forward, backward_input, recompute, backward_weight;
    double sm_contention_s = 0;
    double ep_s = 0, tp_s = 0, pp_s = 0;  // exposed
    Picoseconds busy_ps = 0;
    Picoseconds exposed_ps = 0;
};

// Per rank: work by phase, and the part of each communication activity that no compute
// activity of the same rank covers (exposed).
std::vector<RankTally> tally_ranks(const ChunkProgram& prog, const workload::PipelineSchedule& sched, const GraphRun& g) {
    const auto& costs = prog.stage_costs;
    std::vector<RankTally> tally(static_cast<std::size_t>(sched.pp));
    std::vector<std::vector<std::pair<Picoseconds, Picoseconds>>> compute_iv(static_cast<std::size_t>(sched.pp));
    for (const auto& a : g.activities)
        if (a.kind == ActivityKind::Compute) compute_iv[static_cast<std::size_t>(a.rank)].push_back({a.start_ps, a.end_ps});
    for (auto& iv : compute_iv) std::sort(iv.begin(), iv.end());
    const auto covered = [&](int rank, Picoseconds s0, Picoseconds s1) {
        const auto& iv = compute_iv[static_cast<std::size_t>(rank)];
        auto it = std::lower_bound(iv.begin(), iv.end(), std::pair<Picoseconds, Picoseconds>{s0, s0});
        if (it != iv.begin()) --it;
        Picoseconds c = 0;
        for (; it != iv.end() && it->first < s1; ++it) c += std::max<Picoseconds>(0, std::min(s1, it->second) - std::max(s0, it->first));
        return c;
    };
    for (const auto& a : g.activities) {
        RankTally& t = tally[static_cast<std::size_t>(a.rank)];
        const PipelineOp& o = sched.ranks[static_cast<std::size_t>(a.rank)][static_cast<std::size_t>(a.op)];
        const StageCosts& c = costs[static_cast<std::size_t>(o.part.stage)];
        const Picoseconds len = a.end_ps - a.start_ps;
        if (a.kind == ActivityKind::Compute) {
            // An FB pair's compute stream waiting for its own collectives: exposed communication.
            const OpCost oc = o.kind == PipelineOpKind::FB ? op_cost(prog, o) : OpCost{};
            const Picoseconds waiting = oc.ep_wait_ps + oc.tp_wait_ps;
            t.busy_ps += len - waiting;
            t.exposed_ps += waiting;
            t.ep_s += to_s(oc.ep_wait_ps);
            t.tp_s += to_s(oc.tp_wait_ps);
            const auto backward = [&](const StageCosts& bc, bool weight) {
                t.backward_input += bc.backward_input;
                t.recompute += bc.recompute;
                if (weight) t.backward_weight += bc.backward_weight;
            };
            switch (o.kind) {
                case PipelineOpKind::F: t.forward += c.forward; break;
                case PipelineOpKind::B: backward(c, false); break;
                case PipelineOpKind::BW: backward(c, true); break;
                case PipelineOpKind::W: t.backward_weight += c.backward_weight; break;
                case PipelineOpKind::FB: {
                    const StageCosts& bc = costs[static_cast<std::size_t>(o.backward.stage)];
                    t.forward += c.forward;
                    backward(bc, true);
                    t.sm_contention_s += prog.sm_contention_s(c.forward.total_s() + bc.backward_input.total_s() +
                                                              bc.recompute.total_s() + bc.backward_weight.total_s());
                    break;
                }
            }
            continue;
        }
        const Picoseconds exposed = len - covered(a.rank, a.start_ps, a.end_ps);
        t.exposed_ps += exposed;
        const double ex = to_s(exposed);
        if (a.kind == ActivityKind::PpSendForward || a.kind == ActivityKind::PpSendBackward) {
            t.pp_s += ex;
            continue;
        }
        // A collective activity: EP and TP in proportion to their times.
        CommTimes m;
        if (o.kind == PipelineOpKind::F) m = c.forward_comm;
        else if (o.kind == PipelineOpKind::FB) {
            m = c.forward_comm;
            m += costs[static_cast<std::size_t>(o.backward.stage)].backward_comm;
        } else m = c.backward_comm;
        const double both = m.ep_s + m.tp_s;
        if (both > 0) {
            t.ep_s += ex * m.ep_s / both;
            t.tp_s += ex * m.tp_s / both;
        }
    }
    return tally;
}

RecordKind record_kind(ActivityKind k) {
    switch (k) {
        case ActivityKind::Compute: return RecordKind::Chunk;
        case ActivityKind::Collective: return RecordKind::ChunkCollectives;
        case ActivityKind::PpSendForward:
        case ActivityKind::PpSendBackward: return RecordKind::PpSend;
    }
    return RecordKind::Chunk;
}

}  // namespace

StepTrace run_event(const TrainingSetup& st, const ChunkProgram& prog, const workload::PipelineSchedule& sched,
                    const StepOptions& options) {
    const auto& p = st.scenario.parallelism;
    const GraphRun g = run_schedule_graph(sched, [&](int, const PipelineOp& o) { return op_cost(prog, o); });
    const std::vector<RankTally> tally = tally_ranks(prog, sched, g);

    StepTrace out;
    out.makespan_ps = g.makespan_ps;
    // The critical rank: the busiest compute stream.
    std::vector<Picoseconds> busy;
    for (const RankTally& t : tally) busy.push_back(t.busy_ps);
    const int critical = first_max(busy);
    out.critical_rank = critical;
    const RankTally& t = tally[static_cast<std::size_t>(critical)];

    // Data parallelism after each rank's last operation (step_tail.h); the step ends when the
    // last rank's has.
    out.end_ps.assign(static_cast<std::size_t>(p.pp), 0);
    for (const auto& a : g.activities)
        if (a.kind == ActivityKind::Compute || a.kind == ActivityKind::Collective)
            out.end_ps[static_cast<std::size_t>(a.rank)] = std::max(out.end_ps[static_cast<std::size_t>(a.rank)], a.end_ps);
    double step_s = 0, dp_exposed = 0, optimizer_s = 0;
    for (int rank = 0; rank < p.pp; ++rank) {
        const ChunkWindows w = chunk_windows(prog.stage_costs, st.layout.ranks.at(static_cast<std::size_t>(rank)).stages);
        const DataParallelTimes& dp = prog.data_parallel.at(static_cast<std::size_t>(rank));
        const double exposed = reduce_scatter_exposed_s(dp, w) + all_gather_exposed_s(dp, w);
        step_s = std::max(step_s, to_s(out.end_ps[static_cast<std::size_t>(rank)]) + exposed + dp.optimizer_s);
        if (rank == critical) dp_exposed = exposed, optimizer_s = dp.optimizer_s;
    }
    out.step_s = step_s;
    out.forward = t.forward;
    out.backward_input = t.backward_input;
    out.backward_weight = t.backward_weight;
    out.recompute_s = t.recompute.total_s();
    out.sm_contention_s = t.sm_contention_s;
    out.exposed = {t.ep_s, t.pp_s, dp_exposed, t.tp_s};
    // The critical rank's idle time: within the pipeline, and waiting after its data-parallel
    // tail for the last rank's. Durations in picoseconds are rounded per activity, so the
    // breakdown adds up to the step within a picosecond per activity.
    out.bubble_s = step_s - to_s(t.busy_ps + t.exposed_ps) - dp_exposed - optimizer_s;
    out.optimizer_s = optimizer_s;

    out.stats.ranks_simulated = p.pp;
    out.stats.activities = static_cast<std::int64_t>(g.activities.size());
    if (!options.trace_ranks.empty()) {
        std::vector<char> traced(static_cast<std::size_t>(p.pp), 0);
        for (int r : options.trace_ranks) {
            MOESIM_CHECK(r >= 0 && r < p.pp, "event simulation: traced rank out of range");
            traced[static_cast<std::size_t>(r)] = 1;
        }
        for (const auto& a : g.activities) {
            if (!traced[static_cast<std::size_t>(a.rank)]) continue;
            TimelineRecord x;
            x.rank = x.pipe = a.rank;
            x.op = a.op;
            x.kind = record_kind(a.kind);
            x.half = a.kind == ActivityKind::PpSendBackward ? 1 : 0;
            x.start_ps = a.start_ps;
            x.end_ps = a.end_ps;
            out.records.push_back(x);
        }
    }
    return out;
}

}  // namespace moesim::training::detail
