// The closed-form training step: per-rank work from stage_costs(), the schedule's bubble
// from its formula (PUBLISHED.md F, DualPipe README), then throughput, MFU and dollars.
#include <algorithm>
#include <cmath>

#include "moesim/common/error.h"
#include "moesim/common/units.h"
#include "moesim/training/analytic.h"
#include "full_program.h"
#include "pair_order.h"
#include "ps_time.h"
#include "result_fill.h"
#include "setup_schedule.h"

namespace moesim::training {

using workload::Schedule;

namespace {

bool overlaps_communication(Schedule s) { return s == Schedule::DualPipe || s == Schedule::DualPipeV; }

// What one pipeline rank does per micro-batch of the step, and its schedule's bubble.
struct RankStep {
    int rank = 0;
    StageCosts unit;          // per micro-batch, summed over the stages it runs for one
    double chunk_forward_s = 0, chunk_backward_s = 0, chunk_weight_s = 0;  // one chunk, for the bubble
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

RankStep rank_step(const TrainingSetup& st, const detail::FullProgram* prog, int r) {
    const auto& p = st.scenario.parallelism;
    const auto& stages = st.layout.ranks.at(static_cast<std::size_t>(r)).stages;
    const double m = static_cast<double>(st.micro_batches);
    RankStep out;
    out.rank = r;
    for (int s : stages) out.unit += stage_costs(st, s);
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
    out.chunk_weight_s = W;

    if (overlaps_communication(p.schedule)) {
        // Overlapped forward-and-backward pairs: one chunk's all-to-all and PP transfers hide
        // behind the other's computation, which runs on the SMs left by the comm kernels, as
        // far as the layers' dependencies let them (pair_order.h). A rank of two stages pairs
        // each stage's forward with the other's backward: DualPipe per micro-batch half of
        // each kind, DualPipeV both.
        MOESIM_CHECK(prog != nullptr && stages.size() == 2, "an overlapping schedule: two stages per rank");
        const double share = p.schedule == Schedule::DualPipe ? 0.5 : 1.0;
        for (const auto& [f, b] : {std::pair{stages[0], stages[1]}, std::pair{stages[1], stages[0]}}) {
            const detail::PairTiming& t = detail::pair_timing_of(*prog, f, b);
            out.busy_s += share * detail::to_s(t.span_ps);
            out.ep_exposed_s += share * detail::to_s(t.ep_wait_ps);
            out.tp_exposed_s += share * detail::to_s(t.tp_wait_ps);
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

std::string describe_schedule_overlap(const workload::Scenario& s) {
    if (overlaps_communication(s.parallelism.schedule))
        return detail::describe_pair_overlap(to_string(s.parallelism.schedule)) + "; PP transfers hide behind the pair";
    return to_string(s.parallelism.schedule) + ": no overlap of computation and EP/TP/PP communication (all of it exposed)";
}

}  // namespace

TrainingResult estimate_step_analytic(const TrainingSetup& st) {
    const auto& s = st.scenario;
    const auto& p = s.parallelism;
    const double m = static_cast<double>(st.micro_batches);
    MOESIM_CHECK(m >= 1, "at least one micro-batch per step");

    const detail::FullProgram prog =
        overlaps_communication(p.schedule) ? detail::build_full_program(st, detail::setup_schedule(st)) : detail::FullProgram{};
    RankStep critical;
    for (int r = 0; r < p.pp; ++r) {
        RankStep rs = rank_step(st, overlaps_communication(p.schedule) ? &prog : nullptr, r);
        if (r == 0 || rs.total_s > critical.total_s) critical = rs;
    }
    // Data parallelism after the last backward: the gradient reduce-scatter overlaps the last
    // chunk's backward and the parameter all-gather the next step's first forward
    // (Megatron's overlap-grad-reduce / overlap-param-gather); only the excess is exposed.
    const DataParallelTimes dp = data_parallel_times(st, critical.rank);
    const double dp_exposed = std::max(0.0, dp.reduce_scatter_s - critical.chunk_backward_s) +
                              std::max(0.0, dp.all_gather_s - critical.chunk_forward_s);

    TrainingResult r;
    r.fidelity = "analytic";
    r.step_time_s = critical.total_s + dp_exposed + dp.optimizer_s;
    detail::fill_throughput_and_cost(r, st);
    r.bubble_fraction = critical.bubble_s / r.step_time_s;

    // Breakdown of the critical rank's step; the entries add up to step_time_s.
    const StageCosts& u = critical.unit;
    detail::add_work_breakdown(r.breakdown, "forward", u.forward.scaled(m));
    detail::add_work_breakdown(r.breakdown, "backward", u.backward_input.scaled(m));
    detail::add_work_breakdown(r.breakdown, "backward_weight", u.backward_weight.scaled(m));
    detail::add_breakdown(r.breakdown, "backward", "recompute", m * u.recompute.total_s());
    CommTimes comm = u.forward_comm;
    comm += u.backward_comm;
    if (overlaps_communication(p.schedule)) {
        const double slowdown = static_cast<double>(st.gpu.sm_count) / (st.gpu.sm_count - p.comm_sms);
        const double contention = critical.compute_s * (slowdown - 1.0);
        detail::add_breakdown(r.breakdown, "overlap", "comm_sm_contention", m * contention);
        // What the pairs' compute stream waits for; the rest of busy_s is computation.
        r.exposed_comm.ep_s = m * critical.ep_exposed_s;
        r.exposed_comm.tp_s = m * critical.tp_exposed_s;
    } else {
        r.exposed_comm.ep_s = m * comm.ep_s;
        r.exposed_comm.tp_s = m * comm.tp_s;
        r.exposed_comm.pp_s = m * comm.pp_s;
    }
    r.exposed_comm.dp_s = dp_exposed;
    detail::add_breakdown(r.breakdown, "communication", "ep_all_to_all", r.exposed_comm.ep_s);
    detail::add_breakdown(r.breakdown, "communication", "tp", r.exposed_comm.tp_s);
    detail::add_breakdown(r.breakdown, "communication", "pp_send_recv", r.exposed_comm.pp_s);
    detail::add_breakdown(r.breakdown, "communication", "dp", r.exposed_comm.dp_s);
    detail::add_breakdown(r.breakdown, "idle", "bubble", critical.bubble_s);
    detail::add_breakdown(r.breakdown, "optimizer", "adam_step", dp.optimizer_s);

    r.assumptions = {
        "closed-form estimate (--fidelity analytic): per-micro-batch operator times summed per pipeline rank, the "
        "schedule's bubble from its formula (PUBLISHED.md F); the slowest of the " + std::to_string(p.pp) +
            " pipeline ranks (rank " + std::to_string(critical.rank) + ") sets the step",
        "efficiencies from calibration profile '" + st.profile.name() + "' (" + st.profile.kind() + ", " +
            st.profile.gpu() + "): GEMM and grouped GEMM by shape, attention, memory-bound and collectives",
        describe_schedule_overlap(s),
        st.moe_imbalance.describe(),
        "EP group of ep consecutive GPUs, min(gpus_per_node, ep) per node; scale-out bandwidth per GPU = "
        "nics_per_node x nic_Gbps / gpus_per_node / oversubscription",
        "data parallelism (ZeRO-" + std::to_string(p.zero_stage) +
            "): FP32 gradient reduce-scatter and BF16 parameter all-gather, overlapped with one chunk's backward "
            "and forward; Adam step memory-bound",
        "every step at the full global batch of " + std::to_string(s.training.global_batch_size) +
            " sequences (no batch-size warm-up); no failures, restarts or evaluation",
    };
    if (!st.memory.fits)
        r.assumptions.push_back("the layout does NOT fit in GPU memory (simulated anyway, as asked): it needs " +
                                workload::describe_memory(st.memory) + " against " + st.gpu.name + "'s capacity");
    if (p.tp > 1)
        r.assumptions.push_back("TP with sequence parallelism: per layer and pass, 2 all-gathers and 2 reduce-scatters of the "
                                "layer's activations");
    return r;
}

}  // namespace moesim::training
