#include "moesim/workload/memory.h"

#include <algorithm>
#include <cstdio>

#include "moesim/common/error.h"
#include "moesim/common/units.h"

namespace moesim::workload {

namespace {

struct BytesPerParam {
    double fp8_weight, weight, gradient, optimizer;
};

BytesPerParam bytes_per_param(Precision p) {
    if (p == Precision::FP8) return {1.0, 2.0, 4.0, 4.0 + 2.0 + 2.0};
    return {2.0, 2.0, 4.0, 4.0 + 4.0 + 4.0};
}

// Micro-batches whose activations for `stage` (held by `rank`) are kept at the peak.
double in_flight(const Parallelism& p, int rank, int stage, long long m) {
    const double mb = static_cast<double>(m);
    const int pp = p.pp, v = std::max(1, p.virtual_stages);
    switch (p.schedule) {
        case Schedule::GPipe: return mb;
        case Schedule::OneFOneB: return std::min<double>(pp - stage, mb);
        case Schedule::Interleaved1F1B:
            // Megatron's warm-up count for the rank plus the one in steady state, in model
            // chunks, spread over the rank's v chunks.
            return std::min<double>((pp - rank - 1) * 2 + (v - 1) * pp + 1, mb * v) / v;
        case Schedule::ZB1P: return std::min<double>(pp - stage, mb);  // ZB-H1: 1F1B's peak
        case Schedule::DualPipe:
            // Direction A enters at rank 0: stage r is its (r+1)-th stage, pp − r in flight;
            // direction B enters at rank pp−1: stage pp−1−r holds r + 1. Sum pp + 1.
            return std::min<double>(stage == rank ? pp - rank : rank + 1, mb);
        case Schedule::DualPipeV:
            // A 1F1B over the 2·pp stages of the V: stage s holds 2·pp − s; rank r's two
            // stages r and 2·pp−1−r sum to 2·pp + 1.
            return std::min<double>(2 * pp - stage, mb);
        case Schedule::Invalid: break;
    }
    MOESIM_CHECK(false, "invalid schedule");
    return 0;
}

std::string gb(double bytes) { return units::memory_text(bytes); }

}  // namespace

MemoryEstimate estimate_training_memory(const ModelAccounting& a, const Scenario& s, double hbm_capacity_bytes,
                                        const hw::ReservePolicy& reserve) {
    const Parallelism& p = s.parallelism;
    const Training& t = s.training;
    MOESIM_CHECK(p.tp > 0 && p.pp > 0 && p.dp > 0 && p.ep > 0 && p.micro_batch_size > 0, "parallelism not validated");
    const BytesPerParam bpp = bytes_per_param(t.precision);
    const double dp = p.dp;
    const double expert_dp = std::max(1.0, static_cast<double>(p.tp) * p.dp / p.ep);
    const double tokens = static_cast<double>(p.micro_batch_size) * t.seq_len;

    MemoryEstimate out;
    out.micro_batches = std::max<long long>(1, t.global_batch_size / (static_cast<long long>(p.dp) * p.micro_batch_size));
    const PipelineLayout layout = pipeline_layout(a, p);

    for (const RankLayout& rl : layout.ranks) {
        RankMemory rm;
        rm.rank = rl.rank;
        rm.stages = rl.stages;
        rm.transformer_layers = rl.transformer_layers;
        rm.params = rank_share(rl.params, p.tp, p.ep);
        const RankParams& rp = rm.params;

        MemoryBreakdown& mem = rm.memory;
        const double w_non_expert = rp.fp8_non_expert * bpp.fp8_weight + (rp.non_expert - rp.fp8_non_expert) * bpp.weight;
        const double w_expert = rp.fp8_expert * bpp.fp8_weight + (rp.expert - rp.fp8_expert) * bpp.weight;
        mem.weights_bytes = w_non_expert / (p.zero_stage >= 3 ? dp : 1.0) + w_expert / (p.zero_stage >= 3 ? expert_dp : 1.0);
        mem.gradients_bytes = bpp.gradient * (rp.non_expert / (p.zero_stage >= 2 ? dp : 1.0) +
                                              rp.expert / (p.zero_stage >= 2 ? expert_dp : 1.0));
        mem.optimizer_bytes = bpp.optimizer * (rp.non_expert / (p.zero_stage >= 1 ? dp : 1.0) +
                                               rp.expert / (p.zero_stage >= 1 ? expert_dp : 1.0));

        double largest_layer = 0;
        for (int st : rl.stages) {
            double per_micro_batch = 0;
            for (const Layer* l : layout.stages[st].layers) {
                per_micro_batch += l->saved_bytes(p.recompute, t.precision) * tokens / p.tp;
                largest_layer = std::max(largest_layer, l->saved_bytes(Recompute::None, t.precision) * tokens / p.tp);
            }
            const double n = in_flight(p, rl.rank, st, out.micro_batches);
            rm.chunks_in_flight += n;
            mem.activations_bytes += n * per_micro_batch;
        }
        rm.activation_bytes_per_chunk = rm.chunks_in_flight > 0 ? mem.activations_bytes / rm.chunks_in_flight : 0.0;
        if (p.recompute == Recompute::Full) mem.activations_bytes += largest_layer;
        mem.reserve = hw::memory_reserve(reserve, mem.activations_bytes, p.ep > 1);
        out.ranks.push_back(std::move(rm));
    }

    for (std::size_t r = 0; r < out.ranks.size(); ++r)
        if (out.ranks[r].memory.total_bytes() > out.ranks[out.worst_rank].memory.total_bytes())
            out.worst_rank = static_cast<int>(r);
    out.worst = out.ranks[out.worst_rank].memory;
    out.needed_bytes = out.worst.total_bytes();
    out.available_bytes = hbm_capacity_bytes;
    out.fits = out.needed_bytes <= out.available_bytes;
    return out;
}

std::string describe_memory(const MemoryEstimate& m) {
    const MemoryBreakdown& w = m.worst;
    return gb(m.needed_bytes) + " per GPU (weights " + gb(w.weights_bytes) + ", gradients " +
           gb(w.gradients_bytes) + ", optimizer " + gb(w.optimizer_bytes) + ", activations " +
           gb(w.activations_bytes) + ", reserve " + gb(w.reserve.total_bytes()) + ", pipeline rank " + std::to_string(m.worst_rank) + ")";
}

void require_memory_fits(const MemoryEstimate& m, const std::string& gpu_name) {
    if (m.fits) return;
    throw MemoryFitError("", "/parallelism",
                        "the layout needs " + describe_memory(m) + " but the " + gpu_name + " has " +
                            gb(m.available_bytes) +
                            "; use more pipeline or expert parallelism, a higher ZeRO stage, recompute, "
                            "or a smaller micro_batch_size");
}

}  // namespace moesim::workload
