// The event-driven training step (event_sim.h): costs per operation from stage_costs(), the
// schedule's task graph on the engine, then the same result fields as the analytic mode.
#include <algorithm>
#include <cmath>
#include <string>

#include "event_graph.h"
#include "full_program.h"
#include "moesim/common/error.h"
#include "moesim/training/analytic.h"
#include "pair_order.h"
#include "ps_time.h"
#include "result_fill.h"
#include "setup_schedule.h"
#include "step_tail.h"
#include "moesim/training/event_sim.h"

namespace moesim::training {

using detail::ActivityKind;
using detail::OpCost;
using detail::to_ps;
using detail::to_s;
using workload::PipelineOpKind;
using workload::PipelineOp;
using workload::Schedule;

namespace {

bool overlaps_communication(Schedule s) { return s == Schedule::DualPipe || s == Schedule::DualPipeV; }

// Per stage, in seconds: the pieces an operation is made of.
struct StagePieces {
    double f = 0, b = 0, w = 0;            // F work; B work (input grad + recompute); W work
    double comm_f = 0, comm_b = 0;         // EP + TP collectives, forward / backward
    double pp_f = 0, pp_b = 0;             // PP sends
};

StagePieces pieces(const StageCosts& c) {
    StagePieces p;
    p.f = c.forward.total_s();
    p.b = c.backward_input.total_s() + c.recompute.total_s();
    p.w = c.backward_weight.total_s();
    p.comm_f = c.forward_comm.ep_s + c.forward_comm.tp_s;
    p.comm_b = c.backward_comm.ep_s + c.backward_comm.tp_s;
    p.pp_f = c.forward_comm.pp_s;
    p.pp_b = c.backward_comm.pp_s;
    return p;
}

// Seconds of exposed communication by kind, and of work by phase, on one rank.
struct RankTally {
    WorkTimes forward, backward_input, recompute, backward_weight;
    double sm_contention_s = 0;
    double ep_s = 0, tp_s = 0, pp_s = 0;  // exposed
    Picoseconds busy_ps = 0;
    Picoseconds exposed_ps = 0;
};

std::string activity_name(const workload::PipelineSchedule& s, const detail::ActivityInfo& a) {
    const PipelineOp& o = s.ranks[static_cast<std::size_t>(a.rank)][static_cast<std::size_t>(a.op)];
    switch (a.kind) {
        case ActivityKind::Compute: return workload::describe(o);
        case ActivityKind::Collective: return "EP/TP " + workload::describe(o);
        case ActivityKind::PpSendForward: {
            const auto& p = o.part;
            return "PP send F mb" + std::to_string(p.micro_batch) + " s" + std::to_string(p.stage);
        }
        case ActivityKind::PpSendBackward: {
            const auto& p = o.kind == PipelineOpKind::FB ? o.backward : o.part;
            return "PP send B mb" + std::to_string(p.micro_batch) + " s" + std::to_string(p.stage);
        }
    }
    return "?";
}

}  // namespace

EventRun run_step_event(const TrainingSetup& st, const EventOptions& options) {
    const auto& p = st.scenario.parallelism;
    EventRun run;
    run.schedule = detail::setup_schedule(st);
    const auto& sched = run.schedule;

    std::vector<StageCosts> costs;
    std::vector<StagePieces> piece;
    for (int s = 0; s < sched.stages; ++s) {
        costs.push_back(stage_costs(st, s));
        piece.push_back(pieces(costs.back()));
    }
    const bool overlap = overlaps_communication(p.schedule);
    const double slowdown = overlap ? static_cast<double>(st.gpu.sm_count) / (st.gpu.sm_count - p.comm_sms) : 1.0;

    // DualPipe's pairs timed layer by layer (pair_order.h), every GPU at each layer's slowest load.
    const detail::FullProgram prog = overlap ? detail::build_full_program(st, sched) : detail::FullProgram{};

    const auto cost = [&](int, const PipelineOp& o) {
        const StagePieces& a = piece[static_cast<std::size_t>(o.part.stage)];
        OpCost c;
        switch (o.kind) {
            case PipelineOpKind::F:
                c.compute_ps = to_ps(a.f);
                c.comm_ps = to_ps(a.comm_f);
                c.pp_forward_ps = to_ps(a.pp_f);
                break;
            case PipelineOpKind::B:
                c.compute_ps = to_ps(a.b);
                c.comm_ps = to_ps(a.comm_b);
                c.pp_backward_ps = to_ps(a.pp_b);
                break;
            case PipelineOpKind::BW:
                c.compute_ps = to_ps(a.b + a.w);
                c.comm_ps = to_ps(a.comm_b);
                c.pp_backward_ps = to_ps(a.pp_b);
                break;
            case PipelineOpKind::W: c.compute_ps = to_ps(a.w); break;
            case PipelineOpKind::FB: {
                const StagePieces& b = piece[static_cast<std::size_t>(o.backward.stage)];
                const detail::PairTiming& pt = detail::pair_timing_of(prog, o.part.stage, o.backward.stage);
                c.compute_ps = pt.span_ps;
                c.ep_wait_ps = pt.ep_wait_ps;
                c.tp_wait_ps = pt.tp_wait_ps;
                c.comm_ps = to_ps(a.comm_f + b.comm_b);
                c.comm_overlapped = true;
                c.pp_forward_ps = to_ps(a.pp_f);
                c.pp_backward_ps = to_ps(b.pp_b);
                break;
            }
        }
        return c;
    };
    const detail::GraphRun g = detail::run_schedule_graph(sched, cost);
    run.makespan_ps = g.makespan_ps;

    // Per rank: work by phase, and the part of each communication activity that no compute
    // activity of the same rank covers (exposed).
    std::vector<RankTally> tally(static_cast<std::size_t>(p.pp));
    std::vector<std::vector<std::pair<Picoseconds, Picoseconds>>> compute_iv(static_cast<std::size_t>(p.pp));
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
            const OpCost oc = o.kind == PipelineOpKind::FB ? cost(a.rank, o) : OpCost{};
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
                    const double work = c.forward.total_s() + bc.backward_input.total_s() + bc.recompute.total_s() +
                                        bc.backward_weight.total_s();
                    t.sm_contention_s += work * (slowdown - 1.0);
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
    // The critical rank: the busiest compute stream (ties: the lowest rank).
    int critical = 0;
    for (int r = 1; r < p.pp; ++r)
        if (tally[static_cast<std::size_t>(r)].busy_ps > tally[static_cast<std::size_t>(critical)].busy_ps) critical = r;
    run.critical_rank = critical;
    const RankTally& t = tally[static_cast<std::size_t>(critical)];

    // Data parallelism after each rank's last operation (step_tail.h); the step ends when the
    // last rank's has.
    std::vector<Picoseconds> end_ps(static_cast<std::size_t>(p.pp), 0);
    for (const auto& a : g.activities)
        if (a.kind == ActivityKind::Compute || a.kind == ActivityKind::Collective)
            end_ps[static_cast<std::size_t>(a.rank)] = std::max(end_ps[static_cast<std::size_t>(a.rank)], a.end_ps);
    double step_s = 0, dp_exposed = 0, optimizer_s = 0;
    for (int rank = 0; rank < p.pp; ++rank) {
        const detail::ChunkWindows w = detail::chunk_windows(costs, st.layout.ranks.at(static_cast<std::size_t>(rank)).stages);
        const DataParallelTimes dp = data_parallel_times(st, rank);
        const double exposed = detail::reduce_scatter_exposed_s(dp, w) + detail::all_gather_exposed_s(dp, w);
        step_s = std::max(step_s, to_s(end_ps[static_cast<std::size_t>(rank)]) + exposed + dp.optimizer_s);
        if (rank == critical) dp_exposed = exposed, optimizer_s = dp.optimizer_s;
    }

    TrainingResult& r = run.result;
    r.fidelity = "event";
    r.step_time_s = step_s;
    detail::fill_throughput_and_cost(r, st);
    // The critical rank's idle time: within the pipeline, and waiting after its data-parallel
    // tail for the last rank's.
    const double bubble_s = step_s - to_s(t.busy_ps + t.exposed_ps) - dp_exposed - optimizer_s;
    r.bubble_fraction = bubble_s / r.step_time_s;
    r.exposed_comm = {t.ep_s, t.pp_s, dp_exposed, t.tp_s};

    // Breakdown of the critical rank: its compute by phase (durations in picoseconds are
    // rounded per activity, so the entries add up to the step within a picosecond per
    // activity), its exposed communication, its idle time otherwise (bubble), DP and Adam.
    detail::add_work_breakdown(r.breakdown, "forward", t.forward);
    detail::add_work_breakdown(r.breakdown, "backward", t.backward_input);
    detail::add_work_breakdown(r.breakdown, "backward_weight", t.backward_weight);
    detail::add_breakdown(r.breakdown, "backward", "recompute", t.recompute.total_s());
    detail::add_breakdown(r.breakdown, "overlap", "comm_sm_contention", t.sm_contention_s);
    detail::add_breakdown(r.breakdown, "communication", "ep_all_to_all", t.ep_s);
    detail::add_breakdown(r.breakdown, "communication", "tp", t.tp_s);
    detail::add_breakdown(r.breakdown, "communication", "pp_send_recv", t.pp_s);
    detail::add_breakdown(r.breakdown, "communication", "dp", dp_exposed);
    detail::add_breakdown(r.breakdown, "idle", "bubble", bubble_s);
    detail::add_breakdown(r.breakdown, "optimizer", "adam_step", optimizer_s);

    std::size_t ops = 0;
    for (const auto& ro : sched.ranks) ops += ro.size();
    r.assumptions = {
        "event-driven simulation (--fidelity event): the " + to_string(p.schedule) + " schedule's per-rank order of " +
            std::to_string(ops) + " operations for " + std::to_string(st.micro_batches) + " micro-batches on " +
            std::to_string(p.pp) + " pipeline ranks, run on the engine; rank " + std::to_string(critical) +
            " (the busiest compute stream) is reported",
        "one pipeline simulated: the " + std::to_string(p.dp) +
            " data-parallel replicas are taken as identical (one EP group's MoE routing draw stands for all)",
        detail::profile_assumption(st),
        overlap ? detail::describe_pair_overlap(to_string(p.schedule)) + "; chunks outside pairs expose their collectives"
                : to_string(p.schedule) + ": EP/TP collectives run after each chunk's computation (exposed)",
        "PP sends asynchronous on the sender's pipeline-send stream; the receiver waits for them",
        st.moe_imbalance.describe(),
        "data parallelism (ZeRO-" + std::to_string(p.zero_stage) +
            "): gradient reduce-scatter and parameter all-gather after each rank's last operation, overlapped with "
            "one chunk's backward and forward; Adam step memory-bound; the step ends with the last rank's",
    };

    if (options.record_timeline) {
        run.timeline.reserve(g.activities.size());
        for (const auto& a : g.activities) {
            const TraceThread th = a.kind == ActivityKind::Compute      ? TraceThread::Compute
                                   : a.kind == ActivityKind::Collective ? TraceThread::Collectives
                                                                        : TraceThread::PipelineSends;
            run.timeline.push_back({a.rank, a.kind != ActivityKind::Compute, activity_name(sched, a), a.start_ps, a.end_ps, th});
        }
    }
    return run;
}

TrainingResult simulate_step_event(const TrainingSetup& setup, const EventOptions& options) {
    return run_step_event(setup, options).result;
}

IdealRun simulate_schedule_ideal(Schedule schedule, int pp, int micro_batches, const IdealDurations& d, int virtual_stages) {
    MOESIM_CHECK(d.f_ps >= 0 && d.b_ps >= 0 && d.w_ps >= 0, "ideal durations must not be negative");
    IdealRun out;
    out.schedule = workload::make_pipeline_schedule(schedule, pp, micro_batches, virtual_stages);
    const Picoseconds fb = d.fb_ps < 0 ? d.f_ps + d.b_ps + d.w_ps : d.fb_ps;
    const auto cost = [&](int, const PipelineOp& o) {
        OpCost c;
        switch (o.kind) {
            case PipelineOpKind::F: c.compute_ps = d.f_ps; break;
            case PipelineOpKind::B: c.compute_ps = d.b_ps; break;
            case PipelineOpKind::W: c.compute_ps = d.w_ps; break;
            case PipelineOpKind::BW: c.compute_ps = d.b_ps + d.w_ps; break;
            case PipelineOpKind::FB: c.compute_ps = fb; break;
        }
        return c;
    };
    const detail::GraphRun g = detail::run_schedule_graph(out.schedule, cost);
    out.makespan_ps = g.makespan_ps;
    out.busy_ps.assign(static_cast<std::size_t>(pp), 0);
    out.op_times.resize(static_cast<std::size_t>(pp));
    for (int r = 0; r < pp; ++r) {
        auto& times = out.op_times[static_cast<std::size_t>(r)];
        for (engine::ActivityId a : g.compute_of[static_cast<std::size_t>(r)]) {
            const auto& info = g.activities[a];
            times.push_back({info.start_ps, info.end_ps});
            out.busy_ps[static_cast<std::size_t>(r)] += info.end_ps - info.start_ps;
        }
    }
    return out;
}

}  // namespace moesim::training
