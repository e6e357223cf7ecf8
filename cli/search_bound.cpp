#include "search_bound.h"

#include <algorithm>
#include <vector>

#include "moesim/common/units.h"

namespace moesim::cli {

namespace {

double best_efficiency(const hw::CalibrationProfile& p) {
    double e = 0;
    for (const auto& g : p.gemm_points()) e = std::max(e, g.efficiency);
    for (const auto& g : p.grouped_gemm_points()) e = std::max(e, g.efficiency);
    for (const auto phase : {hw::AttentionPhase::Prefill, hw::AttentionPhase::Backward})
        e = std::max(e, p.attention(phase).peak_compute_efficiency());
    return e > 0 && e < 1 ? e : 1.0;
}

}  // namespace

double step_time_lower_bound_s(const training::TrainingSetup& st) {
    const auto& s = st.scenario;
    const auto& par = s.parallelism;
    const double tokens_per_gpu =
        static_cast<double>(s.training.global_batch_size) * s.training.seq_len / par.dp / par.tp;
    // A stage held by k ranks (DualPipe's two copies of the model) sees 1/k of the tokens on each.
    std::vector<int> holders(st.layout.stages.size(), 0);
    for (const auto& rank : st.layout.ranks)
        for (const int stage : rank.stages) ++holders.at(static_cast<std::size_t>(stage));
    double busiest_flops = 0;
    for (const auto& rank : st.layout.ranks) {
        double flops_per_token = 0;
        for (const int stage : rank.stages) {
            double stage_flops = 0;
            for (const workload::Layer* layer : st.layout.stages.at(static_cast<std::size_t>(stage)).layers)
                if (layer->kind == workload::LayerKind::Dense || layer->kind == workload::LayerKind::Moe)
                    stage_flops += layer->flops_training() + layer->recompute_flops(par.recompute);
            flops_per_token += stage_flops / holders[static_cast<std::size_t>(stage)];
        }
        busiest_flops = std::max(busiest_flops, flops_per_token * tokens_per_gpu);
    }
    const double peak_TFLOPS = s.training.precision == workload::Precision::FP8 ? st.gpu.fp8_dense_TFLOPS
                                                                                : st.gpu.bf16_dense_TFLOPS;
    return busiest_flops / (units::TFLOPS_to_FLOPS(peak_TFLOPS) * best_efficiency(st.profile));
}

training::TrainingResult figures_at_step(const training::TrainingSetup& st, double step_time_s) {
    const auto& s = st.scenario;
    training::TrainingResult r;
    r.step_time_s = step_time_s;
    r.tokens_per_step = static_cast<double>(s.training.global_batch_size) * s.training.seq_len;
    r.tokens_per_s = r.tokens_per_step / r.step_time_s;
    r.tokens_per_s_per_gpu = r.tokens_per_s / s.cluster.gpus();
    const double run_s = s.training.total_tokens / r.tokens_per_s;
    r.gpu_hours = run_s * s.cluster.gpus() / units::kSecondsPerHour;
    r.cost_usd = r.gpu_hours * s.cluster.gpu_hour_usd;
    r.usd_per_million_tokens = r.cost_usd / s.training.total_tokens * 1e6;
    return r;
}

}  // namespace moesim::cli
