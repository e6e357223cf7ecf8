#include "result_fill.h"

#include "moesim/common/units.h"

namespace moesim::training::detail {

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
    const double run_s = s.training.total_tokens / r.tokens_per_s;
    r.gpu_hours = run_s * s.cluster.gpus() / units::kSecondsPerHour;
    r.cost_usd = r.gpu_hours * s.cluster.gpu_hour_usd;
    r.usd_per_million_tokens = r.cost_usd / s.training.total_tokens * 1e6;
    r.wall_days = run_s / units::kSecondsPerDay;
}

std::string profile_assumption(const TrainingSetup& st) {
    return "efficiencies from calibration profile '" + st.profile.name() + "' (" + st.profile.kind() + ", " +
           st.profile.gpu() + "): GEMM and grouped GEMM by shape, attention, memory-bound and collectives";
}

void add_breakdown(std::vector<BreakdownEntry>& b, const std::string& phase, const std::string& category, double seconds) {
    if (seconds > 0) b.push_back({phase, category, seconds});
}

void add_work_breakdown(std::vector<BreakdownEntry>& b, const std::string& phase, const WorkTimes& w) {
    add_breakdown(b, phase, "gemm", w.gemm_s);
    add_breakdown(b, phase, "moe_experts", w.experts_s);
    add_breakdown(b, phase, "attention", w.attention_s);
    add_breakdown(b, phase, "memory_bound", w.memory_bound_s);
}

}  // namespace moesim::training::detail
