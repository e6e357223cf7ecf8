// The full training step (full_sim.h): programs, the process walk, data parallelism per
// pipeline rank, then the same result fields as the other modes, for the busiest GPU.
#include <algorithm>
#include <numeric>
#include <string>

#include "full_engine.h"
#include "full_program.h"
#include "pair_order.h"
#include "moesim/common/error.h"
#include "moesim/training/full_sim.h"
#include "result_fill.h"
#include "setup_schedule.h"
#include "step_tail.h"

namespace moesim::training {

using detail::FullProgram;
using detail::FullShape;
using detail::PhaseWork;
using detail::RawEntry;
using detail::to_ps;
using detail::to_s;
using workload::PipelineOp;
using workload::PipelineOpKind;

namespace {

// Work of GPU r (simulated index) over the step by phase, and the SM contention of its pairs.
struct RankWork {
    PhaseWork work;
    double sm_contention_s = 0;
};

RankWork rank_work(const FullProgram& prog, const workload::PipelineSchedule& sched, const FullShape& shape, int r) {
    RankWork out;
    const auto experts = [&](const detail::StageProgram& sp, int mb) {
        PhaseWork w;
        for (int t : sp.moe)
            w += prog.moe[static_cast<std::size_t>(t)].work[static_cast<std::size_t>(detail::load_index(prog, shape, t, r, mb))];
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
    const auto total = [](const PhaseWork& w) {
        return w.forward.total_s() + w.backward_input.total_s() + w.backward_weight.total_s() + w.recompute.total_s();
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
                out.sm_contention_s += (total(f) + total(b)) * (prog.slowdown - 1.0);
                break;
            }
        }
    }
    return out;
}

const char* pass_name(int pass) {
    switch (pass) {
        case detail::kF: return "F";
        case detail::kB: return "B";
        case detail::kW: return "W";
        default: return "BW";
    }
}

TimelineEntry named(const TrainingSetup& st, const FullProgram& prog, const workload::PipelineSchedule& sched,
                    const FullShape& shape, const RawEntry& e) {
    TimelineEntry out;
    out.rank = shape.global_rank(e.rank);
    out.start_ps = e.start_ps;
    out.end_ps = e.end_ps;
    const PipelineOp& o = sched.ranks[static_cast<std::size_t>(e.rank / shape.span)][static_cast<std::size_t>(e.op)];
    const workload::OpPart& part = o.kind == PipelineOpKind::FB && e.half == 1 ? o.backward : o.part;
    const std::string chunk = " mb" + std::to_string(part.micro_batch) + " s" + std::to_string(part.stage);
    if (e.kind == detail::RawKind::PpSend) {
        const workload::OpPart& sent = o.kind == PipelineOpKind::FB && e.half == 1 ? o.backward : o.part;
        out.thread = TraceThread::PipelineSends;
        out.name = std::string("PP send ") + (e.half == 0 ? "F" : "B") + " mb" + std::to_string(sent.micro_batch) + " s" +
                   std::to_string(sent.stage);
    } else {
        const auto& list = prog.stages[static_cast<std::size_t>(part.stage)].steps[e.pass];
        const detail::Step& s = list.at(static_cast<std::size_t>(e.step));
        const std::string layer = st.model.layers.at(static_cast<std::size_t>(s.layer)).name;
        const bool compute = s.kind == detail::StepKind::Compute || s.kind == detail::StepKind::Experts;
        out.thread = compute ? TraceThread::Compute : TraceThread::Collectives;
        out.name = compute ? std::string(pass_name(e.pass)) + chunk + " " + layer + " " + detail::to_string(s.segment)
                           : std::string(e.kind == detail::RawKind::Wait ? "wait for " : "") +
                                 detail::to_string(s.segment) + " " + layer + " " + pass_name(e.pass) + chunk;
    }
    out.communication = out.thread != TraceThread::Compute;
    return out;
}

}  // namespace

FullRun run_step_full(const TrainingSetup& st, const FullOptions& options) {
    const auto& sc = st.scenario;
    const auto& p = sc.parallelism;
    FullRun run;
    run.schedule = detail::setup_schedule(st);
    const auto& sched = run.schedule;
    const FullProgram prog = detail::build_full_program(st, sched);

    FullShape shape;
    shape.pp = p.pp;
    shape.tp = p.tp;
    shape.ep = p.ep;
    shape.block = p.tp * p.dp;
    shape.span = options.one_ep_group ? std::lcm(p.ep, p.tp) : shape.block;
    shape.seed = sc.seed;
    MOESIM_CHECK(shape.block % shape.span == 0, "full simulation: the EP and TP groups tile a pipeline rank's GPUs");
    std::vector<char> recorded(static_cast<std::size_t>(shape.ranks()), 0);
    for (int g : options.record_ranks) {
        MOESIM_CHECK(g >= 0 && g < p.pp * shape.block, "full simulation: recorded rank out of range");
        recorded[static_cast<std::size_t>((g / shape.block) * shape.span + (g % shape.block) % shape.span)] = 1;
    }
    detail::EngineResult er = detail::run_full_engine(prog, sched, shape, recorded);
    const int n = shape.ranks();

    // Data parallelism per pipeline rank: the reduce-scatter of its GPUs starts when the last of
    // them issues it, one backward window before its last operation ends.
    std::vector<Picoseconds> done(static_cast<std::size_t>(n)), dp_end(static_cast<std::size_t>(n));
    std::vector<DataParallelTimes> dp(static_cast<std::size_t>(p.pp));
    std::vector<double> ag_exposed(static_cast<std::size_t>(p.pp));
    std::vector<Picoseconds> rs_start(static_cast<std::size_t>(p.pp)), rs_end(static_cast<std::size_t>(p.pp));
    for (int pr = 0; pr < p.pp; ++pr) {
        const auto u = static_cast<std::size_t>(pr);
        dp[u] = data_parallel_times(st, pr);
        const detail::ChunkWindows w = detail::chunk_windows(prog.stage_costs, st.layout.ranks.at(u).stages);
        ag_exposed[u] = detail::all_gather_exposed_s(dp[u], w);
        const Picoseconds window = to_ps(w.backward_s);
        Picoseconds issue = 0;
        for (int q = 0; q < shape.span; ++q)
            issue = std::max(issue, er.ranks[static_cast<std::size_t>(pr * shape.span + q)].end_ps - window);
        rs_start[u] = issue;
        rs_end[u] = issue + to_ps(dp[u].reduce_scatter_s);
        for (int q = 0; q < shape.span; ++q) {
            const auto r = static_cast<std::size_t>(pr * shape.span + q);
            dp_end[r] = std::max(er.ranks[r].end_ps, rs_end[u]);
            done[r] = dp_end[r] + to_ps(dp[u].optimizer_s + ag_exposed[u]);
        }
    }
    run.end_ps.reserve(static_cast<std::size_t>(n));
    for (const auto& t : er.ranks) {
        run.end_ps.push_back(t.end_ps);
        run.makespan_ps = std::max(run.makespan_ps, t.end_ps);
    }
    const Picoseconds step_ps = *std::max_element(done.begin(), done.end());

    // The busiest compute stream is reported (ties: the lowest rank).
    int critical = 0;
    for (int r = 1; r < n; ++r)
        if (er.ranks[static_cast<std::size_t>(r)].busy_ps > er.ranks[static_cast<std::size_t>(critical)].busy_ps) critical = r;
    run.critical_rank = shape.global_rank(critical);
    const detail::RankTally& t = er.ranks[static_cast<std::size_t>(critical)];
    const auto cu = static_cast<std::size_t>(critical);
    const auto cp = static_cast<std::size_t>(critical / shape.span);
    const RankWork work = rank_work(prog, sched, shape, critical);

    TrainingResult& r = run.result;
    r.fidelity = "full";
    r.step_time_s = to_s(step_ps);
    detail::fill_throughput_and_cost(r, st);
    const double dp_exposed = to_s(dp_end[cu] - t.end_ps) + ag_exposed[cp];
    const double optimizer = dp[cp].optimizer_s;
    r.exposed_comm = {to_s(t.ep_exposed_ps), to_s(t.pp_exposed_ps), dp_exposed, to_s(t.tp_exposed_ps)};
    const double wait = to_s(t.wait_ps);
    const double bubble = r.step_time_s - to_s(t.busy_ps) - r.exposed_comm.ep_s - r.exposed_comm.pp_s -
                          r.exposed_comm.tp_s - wait - dp_exposed - optimizer;
    r.bubble_fraction = bubble / r.step_time_s;

    detail::add_work_breakdown(r.breakdown, "forward", work.work.forward);
    detail::add_work_breakdown(r.breakdown, "backward", work.work.backward_input);
    detail::add_work_breakdown(r.breakdown, "backward_weight", work.work.backward_weight);
    detail::add_breakdown(r.breakdown, "backward", "recompute", work.work.recompute.total_s());
    detail::add_breakdown(r.breakdown, "overlap", "comm_sm_contention", work.sm_contention_s);
    detail::add_breakdown(r.breakdown, "communication", "ep_all_to_all", r.exposed_comm.ep_s);
    detail::add_breakdown(r.breakdown, "communication", "tp", r.exposed_comm.tp_s);
    detail::add_breakdown(r.breakdown, "communication", "pp_send_recv", r.exposed_comm.pp_s);
    detail::add_breakdown(r.breakdown, "communication", "dp", dp_exposed);
    detail::add_breakdown(r.breakdown, "idle", "straggler_wait", wait);
    detail::add_breakdown(r.breakdown, "idle", "bubble", bubble);
    detail::add_breakdown(r.breakdown, "optimizer", "adam_step", optimizer);

    const bool overlap = p.schedule == workload::Schedule::DualPipe || p.schedule == workload::Schedule::DualPipeV;
    std::size_t ops = 0;
    for (const auto& ro : sched.ranks) ops += ro.size();
    const std::string gpus = std::to_string(p.pp * shape.block);
    r.assumptions = {
        "full simulation (--fidelity full): all " + gpus + " GPUs" +
            (shape.span < shape.block ? " (symmetry shortcut: the first EP group of each pipeline rank stands for the " +
                                            std::to_string(shape.block / shape.span) + " groups)"
                                      : "") +
            ", each running its pipeline rank's " + to_string(p.schedule) + " order (" + std::to_string(ops) +
            " chunk operations on " + std::to_string(p.pp) + " pipeline ranks, " + std::to_string(st.micro_batches) +
            " micro-batches) layer by layer: " + std::to_string(er.activities) + " activities, " +
            std::to_string(er.collectives) + " group collectives; GPU " + std::to_string(run.critical_rank) +
            " (the busiest compute stream) is reported",
        "each GPU's own MoE load from the routing draws sets its grouped-GEMM time and its dispatch/combine volumes; "
        "an EP or TP collective starts when its last member arrives and ends after its slowest member's time, so the "
        "slowest GPU holds its group up (idle/straggler_wait: this GPU waiting for others)" +
            std::string(prog.exchangeable ? "; under uniform popularity each layer's draw is rotated over the EP ranks "
                                            "per EP group and micro-batch"
                                          : ""),
        detail::profile_assumption(st),
        overlap ? detail::describe_pair_overlap(to_string(p.schedule)) +
                      "; outside pairs each layer's dispatch and combine are exposed"
                : to_string(p.schedule) + ": each layer's EP/TP collectives run between its computations (exposed)",
        "PP sends asynchronous on the sender's pipeline-send stream; the receiver waits for them",
        st.moe_imbalance.describe(),
        "data parallelism (ZeRO-" + std::to_string(p.zero_stage) +
            "): each pipeline rank's gradient reduce-scatter starts when the last of its GPUs is one backward chunk "
            "from the end, the parameter all-gather overlaps the next step's first forward chunk; Adam step "
            "memory-bound",
    };
    if (!st.memory.fits)
        r.assumptions.push_back("the layout does NOT fit in GPU memory (simulated anyway, as asked): it needs " +
                                workload::describe_memory(st.memory) + " against " + st.gpu.name + "'s capacity");

    // Traces: the recorded GPUs' activities, then their data-parallel tail.
    run.timeline.reserve(er.entries.size() + 3 * options.record_ranks.size());
    for (const RawEntry& e : er.entries) run.timeline.push_back(named(st, prog, sched, shape, e));
    for (int rr = 0; rr < n; ++rr) {
        if (!recorded[static_cast<std::size_t>(rr)]) continue;
        const auto u = static_cast<std::size_t>(rr);
        const auto pr = static_cast<std::size_t>(rr / shape.span);
        const int g = shape.global_rank(rr);
        const auto add = [&](TraceThread th, const std::string& name, Picoseconds s0, Picoseconds s1) {
            if (s1 > s0) run.timeline.push_back({g, th != TraceThread::Compute, name, s0, s1, th});
        };
        add(TraceThread::DataParallel, p.zero_stage == 0 ? "DP all-reduce" : "DP reduce-scatter", rs_start[pr], rs_end[pr]);
        add(TraceThread::Compute, "Adam step", dp_end[u], dp_end[u] + to_ps(dp[pr].optimizer_s));
        add(TraceThread::DataParallel, "DP all-gather (beyond the next forward chunk)", dp_end[u] + to_ps(dp[pr].optimizer_s),
            done[u]);
    }

    run.stats.ranks_simulated = n;
    run.stats.activities = er.activities;
    run.stats.collectives = er.collectives;
    run.stats.wakeups = er.wakeups;
    run.stats.state_bytes = er.state_bytes;
    return run;
}

TrainingResult simulate_step_full(const TrainingSetup& setup, const FullOptions& options) {
    return run_step_full(setup, options).result;
}

}  // namespace moesim::training
