// The full executor (executors.h): every GPU walking its pipeline rank's order over the chunk
// program's step lists (full_engine.h), data parallelism per pipeline rank, then the busiest
// GPU's time by kind.
#include <algorithm>
#include <numeric>

#include "executors.h"
#include "full_engine.h"
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
    EngineResult er = run_full_engine(prog, sched, shape, recorded, options.progress);
    const int n = shape.ranks();

    const DataParallelTail tail = data_parallel_tail(st, prog, shape, er);
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
    return out;
}

}  // namespace moesim::training::detail
