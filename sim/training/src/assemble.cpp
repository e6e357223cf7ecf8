// The assembler (assemble.h): what every fidelity derives the same way from its step trace.
#include "assemble.h"

#include <utility>

#include "moesim/common/units.h"
#include "moesim/common/error.h"
#include "setup_schedule.h"
#include "step_phases.h"

namespace moesim::training::detail {

namespace {

// Sets tokens_per_step … wall_days and peak_memory_GB from r.step_time_s (DESIGN.md §6:
// MFU against the dense BF16 peak whatever the precision, FP8 utilisation beside it).
void fill_throughput_and_cost(TrainingResult& r, const TrainingSetup& st) {
    const auto& s = st.scenario;
    r.tokens_per_step = static_cast<double>(s.training.global_batch_size) * s.training.seq_len;
    r.tokens_per_s = r.tokens_per_step / r.step_time_s;
    r.tokens_per_s_per_gpu = r.tokens_per_s / s.cluster.gpus();
    r.model_flops_per_token = workload::model_flops_per_token(st.model);
    const double achieved_flops_per_gpu = r.model_flops_per_token * r.tokens_per_s_per_gpu;
    r.mfu = achieved_flops_per_gpu / units::TFLOPS_to_FLOPS(st.gpu.bf16_dense_TFLOPS);
    r.fp8_utilization = s.training.precision == workload::Precision::FP8
                            ? achieved_flops_per_gpu / units::TFLOPS_to_FLOPS(st.gpu.fp8_dense_TFLOPS)
                            : 0.0;
    r.peak_memory_GB = st.memory.needed_bytes / units::kGB;
    r.memory_headroom_GB = (st.memory.available_bytes - st.memory.needed_bytes) / units::kGB;
    r.over_memory = !st.memory.fits;
    const double run_s = s.training.total_tokens / r.tokens_per_s;
    r.gpu_hours = run_s * s.cluster.gpus() / units::kSecondsPerHour;
    r.cost_usd = r.gpu_hours * s.cluster.gpu_hour_usd;
    r.usd_per_million_tokens = r.cost_usd / s.training.total_tokens * 1e6;
    r.wall_days = run_s / units::kSecondsPerDay;
}

// Appends (phase, category, seconds) when seconds > 0.
void add(std::vector<BreakdownEntry>& b, const std::string& phase, const std::string& category, double seconds) {
    if (seconds > 0) b.push_back({phase, category, seconds});
}

void add_work(std::vector<BreakdownEntry>& b, const std::string& phase, const WorkTimes& w) {
    add(b, phase, "gemm", w.gemm_s);
    add(b, phase, "moe_experts", w.experts_s);
    add(b, phase, "attention", w.attention_s);
    add(b, phase, "memory_bound", w.memory_bound_s);
}

// The critical rank's step; the entries add up to step_time_s.
std::vector<BreakdownEntry> breakdown(const StepTrace& t) {
    std::vector<BreakdownEntry> b;
    add_work(b, "forward", t.forward);
    add_work(b, "backward", t.backward_input);
    add_work(b, "backward_weight", t.backward_weight);
    add(b, "backward", "recompute", t.recompute_s);
    add(b, "overlap", "comm_sm_contention", t.sm_contention_s);
    add(b, "communication", "ep_all_to_all", t.exposed.ep_s);
    add(b, "communication", "tp", t.exposed.tp_s);
    add(b, "communication", "pp_send_recv", t.exposed.pp_s);
    add(b, "communication", "dp", t.exposed.dp_s);
    add(b, "idle", "straggler_wait", t.straggler_wait_s);
    add(b, "idle", "bubble", t.bubble_s);
    add(b, "optimizer", "optimizer_step", t.optimizer_s);  // grad norm, clipping, Adam (step_phases.h splits it)
    return b;
}

}  // namespace

TrainingRun assemble(const TrainingSetup& st, Fidelity fidelity, const ChunkProgram& prog,
                     workload::PipelineSchedule schedule, StepTrace trace) {
    TrainingRun run;
    TrainingResult& r = run.result;
    r.fidelity = to_string(fidelity);
    r.step_time_s = trace.step_s;
    fill_throughput_and_cost(r, st);
    r.bubble_fraction = trace.bubble_s / r.step_time_s;
    r.exposed_comm = trace.exposed;
    r.breakdown = breakdown(trace);
    // The full trace reports a GPU, the others a pipeline rank. The closed form ran without a
    // schedule: its phases read the critical rank's order when one can be made (none: no phases).
    const int pipeline_rank = fidelity == Fidelity::Full ? st.ranks.coords(trace.critical_rank).pp : trace.critical_rank;
    if (!schedule.ranks.empty()) {
        r.phases = step_phases(prog, schedule, trace, pipeline_rank);
    } else {
        try {
            r.phases = step_phases(prog, setup_schedule(st), trace, pipeline_rank);
        } catch (const ScenarioError&) {
        }
    }
    r.assumptions = step_assumptions(st, fidelity, prog, schedule, trace);
    run.timeline = name_timeline(st, prog, schedule, trace.records);
    run.critical_rank = trace.critical_rank;
    run.makespan_ps = trace.makespan_ps;
    run.end_ps = std::move(trace.end_ps);
    run.stats = trace.stats;
    run.schedule = std::move(schedule);
    return run;
}

}  // namespace moesim::training::detail
