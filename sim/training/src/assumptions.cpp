// The assumption lines of a step's result (assemble.h): how each fidelity models the step,
// the schedule's overlap, the MoE load, data parallelism, and where the costs come from.
#include <string>

#include "assemble.h"
#include "moesim/workload/resolve.h"

namespace moesim::training::detail {

namespace {

std::string profile_line(const TrainingSetup& st) {
    return "efficiencies from calibration profile '" + st.profile.name() + "' (" + st.profile.kind() + ", " +
           st.profile.gpu() + "): GEMM and grouped GEMM by shape, attention by phase and sequence length, memory-bound and collectives";
}

// DualPipe's pairs (pair_order.h), or no overlap; `outside` says what the fidelity does with
// collectives outside pairs.
std::string overlap_line(const workload::Schedule schedule, bool overlap, const std::string& outside,
                         const std::string& without) {
    const std::string name = to_string(schedule);
    if (!overlap) return name + without;
    return name +
           ": in each overlapped forward-and-backward pair, the two chunks' layers interleave on a compute stream "
           "(slowed by SMs/(SMs - comm_sms)) and a collective stream, each step after its chunk's previous one, in "
           "one fixed order per pair of stages (greedy list schedule, backward first: V3TR Fig. 4's arrangement); "
           "an all-to-all hides behind the other chunk's computation beside it, and what outlasts it is exposed; " +
           outside;
}

std::size_t operations(const workload::PipelineSchedule& s) {
    std::size_t ops = 0;
    for (const auto& r : s.ranks) ops += r.size();
    return ops;
}

std::vector<std::string> analytic_lines(const TrainingSetup& st, const ChunkProgram& prog, const StepTrace& t) {
    const auto& p = st.scenario.parallelism;
    return {
        "closed-form estimate (--fidelity analytic): per-micro-batch operator times summed per pipeline rank, the "
        "schedule's bubble from its formula (PUBLISHED.md F); the slowest of the " + std::to_string(p.pp) +
            " pipeline ranks (rank " + std::to_string(t.critical_rank) + ") sets the step",
        profile_line(st),
        workload::software_line(st.scenario, &st.profile),
        overlap_line(p.schedule, prog.overlap, "PP transfers hide behind the pair",
                     ": no overlap of computation and EP/TP/PP communication (all of it exposed)"),
        st.moe_imbalance.describe(),
        "EP group of ep consecutive GPUs, min(gpus_per_node, ep) per node; scale-out bandwidth per GPU = "
        "nics_per_node x nic_Gbps / gpus_per_node, over max(1, oversubscription x the share of the group's "
        "traffic that leaves its leaf switch)",
        "data parallelism (ZeRO-" + std::to_string(p.zero_stage) +
            "): FP32 gradient reduce-scatter and BF16 parameter all-gather, overlapped with one chunk's backward "
            "and forward; Adam step memory-bound",
        "every step at the full global batch of " + std::to_string(st.scenario.training.global_batch_size) +
            " sequences (no batch-size warm-up); no failures, restarts or evaluation",
    };
}

// The lines the event and full fidelities share after their own: the costs' source, the
// overlap (`outside`: collectives outside pairs; `without`: schedules without pairs), PP sends,
// the MoE load, data parallelism (`dp`: how the fidelity places it).
void add_simulation_lines(std::vector<std::string>& lines, const TrainingSetup& st, const ChunkProgram& prog,
                          const std::string& outside, const std::string& without, const std::string& dp) {
    const auto& p = st.scenario.parallelism;
    lines.push_back(profile_line(st));
    lines.push_back(workload::software_line(st.scenario, &st.profile));
    lines.push_back(overlap_line(p.schedule, prog.overlap, outside, without));
    lines.push_back("PP sends asynchronous on the sender's pipeline-send stream; the receiver waits for them");
    lines.push_back(st.moe_imbalance.describe());
    lines.push_back("data parallelism (ZeRO-" + std::to_string(p.zero_stage) + "): " + dp);
}

std::vector<std::string> event_lines(const TrainingSetup& st, const ChunkProgram& prog,
                                     const workload::PipelineSchedule& sched, const StepTrace& t) {
    const auto& p = st.scenario.parallelism;
    std::vector<std::string> lines = {
        "event-driven simulation (--fidelity event): the " + to_string(p.schedule) + " schedule's per-rank order of " +
            std::to_string(operations(sched)) + " operations for " + std::to_string(st.micro_batches) +
            " micro-batches on " + std::to_string(p.pp) + " pipeline ranks, run on the engine; rank " +
            std::to_string(t.critical_rank) + " (the busiest compute stream) is reported",
        "one pipeline simulated: the " + std::to_string(p.dp) +
            " data-parallel replicas are taken as identical (one EP group's MoE routing draw stands for all)",
    };
    add_simulation_lines(lines, st, prog, "chunks outside pairs expose their collectives",
                         ": EP/TP collectives run after each chunk's computation (exposed)",
                         "gradient reduce-scatter and parameter all-gather after each rank's last operation, overlapped "
                         "with one chunk's backward and forward; Adam step memory-bound; the step ends with the last "
                         "rank's");
    return lines;
}

std::vector<std::string> full_lines(const TrainingSetup& st, const ChunkProgram& prog,
                                    const workload::PipelineSchedule& sched, const StepTrace& t) {
    const auto& p = st.scenario.parallelism;
    const long long block = static_cast<long long>(p.tp) * p.dp;
    const long long span = t.stats.ranks_simulated / p.pp;
    std::vector<std::string> lines = {
        "full simulation (--fidelity full): all " + std::to_string(p.pp * block) + " GPUs" +
            (span < block ? " (symmetry shortcut: the first EP group of each pipeline rank stands for the " +
                                std::to_string(block / span) + " groups)"
                          : "") +
            ", each running its pipeline rank's " + to_string(p.schedule) + " order (" +
            std::to_string(operations(sched)) + " chunk operations on " + std::to_string(p.pp) +
            " pipeline ranks, " + std::to_string(st.micro_batches) + " micro-batches) layer by layer: " +
            std::to_string(t.stats.activities) + " activities, " + std::to_string(t.stats.collectives) +
            " group collectives; GPU " + std::to_string(t.critical_rank) + " (the busiest compute stream) is reported",
        "each GPU's own MoE load from the routing draws sets its grouped-GEMM time and its dispatch/combine volumes; "
        "an EP or TP collective starts when its last member arrives and ends after its slowest member's time, so the "
        "slowest GPU holds its group up (idle/straggler_wait: this GPU waiting for others)" +
            std::string(prog.exchangeable ? "; under uniform popularity each layer's draw is rotated over the EP ranks "
                                            "per EP group and micro-batch"
                                          : ""),
    };
    add_simulation_lines(lines, st, prog, "outside pairs each layer's dispatch and combine are exposed",
                         ": each layer's EP/TP collectives run between its computations (exposed)",
                         "each pipeline rank's gradient reduce-scatter starts when the last of its GPUs is one backward "
                         "chunk from the end, the parameter all-gather overlaps the next step's first forward chunk; "
                         "Adam step memory-bound");
    return lines;
}

}  // namespace

std::vector<std::string> step_assumptions(const TrainingSetup& st, Fidelity fidelity, const ChunkProgram& prog,
                                          const workload::PipelineSchedule& sched, const StepTrace& t) {
    std::vector<std::string> lines;
    switch (fidelity) {
        case Fidelity::Analytic: lines = analytic_lines(st, prog, t); break;
        case Fidelity::Event: lines = event_lines(st, prog, sched, t); break;
        case Fidelity::Full: lines = full_lines(st, prog, sched, t); break;
        case Fidelity::Invalid: break;
    }
    if (!st.memory.fits)
        lines.push_back("the layout does NOT fit in GPU memory (simulated anyway, as asked): it needs " +
                        workload::describe_memory(st.memory) + " against " + st.gpu.name + "'s capacity");
    if (fidelity == Fidelity::Analytic && st.scenario.parallelism.tp > 1)
        lines.push_back("TP with sequence parallelism: per layer and pass, 2 all-gathers and 2 reduce-scatters of the "
                        "layer's activations");
    return lines;
}

}  // namespace moesim::training::detail
