// The closed-form executor (executors.h): per-rank work from the chunk program's stage costs,
// DualPipe's pairs from its pair timings, the schedule's bubble from its formula (PUBLISHED.md
// F, DualPipe README), data parallelism after the last backward.
#include <algorithm>

#include "executors.h"
#include "moesim/common/error.h"
#include "ps_time.h"

namespace moesim::training::detail {

using workload::Schedule;

namespace {

// What one pipeline rank does per micro-batch of the step, and its schedule's bubble.
struct RankStep {
    int rank = 0;
    StageCosts unit;          // per micro-batch, summed over the stages it runs for one
    double chunk_forward_s = 0, chunk_backward_s = 0;  // one chunk: the DP collectives' windows
    double compute_s = 0;     // per micro-batch
    double comm_s = 0;        // per micro-batch
    double busy_s = 0;        // per micro-batch, overlap applied
    double ep_exposed_s = 0, tp_exposed_s = 0;  // per micro-batch, inside overlapped pairs
    double bubble_s = 0;
    double total_s = 0;       // micro_batches · busy + bubble
};

double work(const StageCosts& c) {
    return c.forward.total_s() + c.backward_input.total_s() + c.backward_weight.total_s() + c.recompute.total_s();
}

RankStep rank_step(const TrainingSetup& st, const ChunkProgram& prog, int r) {
    const auto& p = st.scenario.parallelism;
    const auto& stages = st.layout.ranks.at(static_cast<std::size_t>(r)).stages;
    const double m = static_cast<double>(st.micro_batches);
    RankStep out;
    out.rank = r;
    for (int s : stages) out.unit += prog.stage_costs.at(static_cast<std::size_t>(s));
    // DualPipe sends half the micro-batches from each end, so each of a rank's two stages
    // sees half of them: per micro-batch the rank does the mean of its stages. Every other
    // schedule (DualPipeV's V included) takes each micro-batch through all of a rank's stages.
    if (p.schedule == Schedule::DualPipe) out.unit = out.unit.scaled(1.0 / static_cast<double>(stages.size()));
    const double chunks = p.schedule == Schedule::DualPipe ? 1.0 : static_cast<double>(stages.size());

    out.compute_s = work(out.unit);
    out.comm_s = out.unit.forward_comm.total_s() + out.unit.backward_comm.total_s();
    const double F = (out.unit.forward.total_s() + out.unit.forward_comm.total_s()) / chunks;
    const double W = out.unit.backward_weight.total_s() / chunks;
    const double B = (out.unit.backward_input.total_s() + out.unit.recompute.total_s() + out.unit.backward_comm.total_s()) / chunks + W;
    out.chunk_forward_s = F;
    out.chunk_backward_s = B;

    if (prog.overlap) {
        // Overlapped forward-and-backward pairs: one chunk's all-to-all and PP transfers hide
        // behind the other's computation, which runs on the SMs left by the comm kernels, as
        // far as the layers' dependencies let them (pair_order.h). A rank of two stages pairs
        // each stage's forward with the other's backward: DualPipe per micro-batch half of
        // each kind, DualPipeV both.
        MOESIM_CHECK(stages.size() == 2, "an overlapping schedule: two stages per rank");
        const double share = p.schedule == Schedule::DualPipe ? 0.5 : 1.0;
        for (const auto& [f, b] : {std::pair{stages[0], stages[1]}, std::pair{stages[1], stages[0]}}) {
            const PairTiming& t = prog.pair_timing(f, b);
            out.busy_s += share * to_s(t.span_ps);
            out.ep_exposed_s += share * to_s(t.ep_wait_ps);
            out.tp_exposed_s += share * to_s(t.tp_wait_ps);
        }
        const double fb = out.busy_s / chunks;
        const double pp_half = p.schedule == Schedule::DualPipe ? p.pp / 2.0 : static_cast<double>(p.pp);
        out.bubble_s = std::max(0.0, (pp_half - 1.0) * (fb + B - 3.0 * W));
    } else {
        out.busy_s = out.compute_s + out.comm_s;
        const double pp1 = p.pp - 1.0;
        switch (p.schedule) {
            case Schedule::ZB1P: out.bubble_s = pp1 * (F + B - 2.0 * W); break;
            default: out.bubble_s = pp1 * (F + B); break;  // GPipe, 1F1B, interleaved (per chunk)
        }
    }
    out.total_s = m * out.busy_s + out.bubble_s;
    return out;
}

}  // namespace

StepTrace run_analytic(const TrainingSetup& st, const ChunkProgram& prog) {
    const auto& p = st.scenario.parallelism;
    const double m = static_cast<double>(st.micro_batches);
    MOESIM_CHECK(m >= 1, "at least one micro-batch per step");

    std::vector<RankStep> ranks;
    std::vector<double> totals;
    for (int r = 0; r < p.pp; ++r) {
        ranks.push_back(rank_step(st, prog, r));
        totals.push_back(ranks.back().total_s);
    }
    const RankStep& critical = ranks[static_cast<std::size_t>(first_max(totals))];
    // Data parallelism after the last backward: only what outlasts the chunk it overlaps.
    const DataParallelTimes& dp = prog.data_parallel.at(static_cast<std::size_t>(critical.rank));
    const double dp_exposed = std::max(0.0, dp.reduce_scatter_s - critical.chunk_backward_s) +
                              std::max(0.0, dp.all_gather_s - critical.chunk_forward_s);

    StepTrace t;
    t.critical_rank = critical.rank;
    t.step_s = critical.total_s + dp_exposed + dp.optimizer_s;
    const StageCosts& u = critical.unit;
    t.forward = u.forward.scaled(m);
    t.backward_input = u.backward_input.scaled(m);
    t.backward_weight = u.backward_weight.scaled(m);
    t.recompute_s = m * u.recompute.total_s();
    if (prog.overlap) {
        t.sm_contention_s = m * prog.sm_contention_s(critical.compute_s);
        // What the pairs' compute stream waits for; the rest of busy_s is computation.
        t.exposed.ep_s = m * critical.ep_exposed_s;
        t.exposed.tp_s = m * critical.tp_exposed_s;
    } else {
        CommTimes comm = u.forward_comm;
        comm += u.backward_comm;
        t.exposed.ep_s = m * comm.ep_s;
        t.exposed.tp_s = m * comm.tp_s;
        t.exposed.pp_s = m * comm.pp_s;
    }
    t.exposed.dp_s = dp_exposed;
    t.bubble_s = critical.bubble_s;
    t.optimizer_s = dp.optimizer_s;
    return t;
}

}  // namespace moesim::training::detail
