// Per-micro-batch costs of a pipeline stage and of the data-parallel step, in closed form.
#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/hw/costs.h"
#include "moesim/network/ep_exchange.h"
#include "moesim/training/analytic.h"
#include "operator_costs.h"

namespace moesim::training {

using workload::OpKind;
using workload::ParamPlacement;
using workload::Precision;
using workload::Recompute;

WorkTimes& WorkTimes::operator+=(const WorkTimes& o) {
    gemm_s += o.gemm_s;
    experts_s += o.experts_s;
    attention_s += o.attention_s;
    memory_bound_s += o.memory_bound_s;
    return *this;
}
WorkTimes WorkTimes::scaled(double f) const { return {gemm_s * f, experts_s * f, attention_s * f, memory_bound_s * f}; }

CommTimes& CommTimes::operator+=(const CommTimes& o) {
    ep_s += o.ep_s;
    tp_s += o.tp_s;
    pp_s += o.pp_s;
    return *this;
}
CommTimes CommTimes::scaled(double f) const { return {ep_s * f, tp_s * f, pp_s * f}; }

StageCosts& StageCosts::operator+=(const StageCosts& o) {
    forward += o.forward;
    backward_input += o.backward_input;
    backward_weight += o.backward_weight;
    recompute += o.recompute;
    forward_comm += o.forward_comm;
    backward_comm += o.backward_comm;
    return *this;
}
StageCosts StageCosts::scaled(double f) const {
    return {forward.scaled(f), backward_input.scaled(f), backward_weight.scaled(f), recompute.scaled(f),
            forward_comm.scaled(f), backward_comm.scaled(f)};
}

namespace {

// The first GPU of a pipeline rank: its groups stand for the rank's (all alike in the layout
// of workload/rank_map.h, up to where leaf blocks fall).
int first_gpu(const TrainingSetup& st, int pipeline_rank) { return st.ranks.rank(pipeline_rank, 0, 0); }

// The three GEMMs of a linear layer y = x·Wᵀ (W: n×k) over m rows: forward m×n×k,
// input gradient m×k×n, weight gradient n×k×m (DeepGEMM's M is the rows of the output).
void linear_times(const TrainingSetup& st, double m, double n, double k, double count, hw::Dtype dt, double& fwd,
                  double& bwd_in, double& bwd_w) {
    fwd = hw::gemm_time_s({m, n, k, count}, dt, st.gpu, st.profile);
    bwd_in = hw::gemm_time_s({m, k, n, count}, dt, st.gpu, st.profile);
    bwd_w = hw::gemm_time_s({n, k, m, count}, dt, st.gpu, st.profile);
}

// The FP8 quantization kernels around an FP8 GEMM over `rows` token rows (operators.h):
// memory-bound, forward and input-gradient side (the wgrad casts run before dgrad's GEMM).
void add_fp8_casts(const TrainingSetup& st, const workload::Operator& op, double rows, OpTimes& t) {
    t.fwd.memory_bound_s += hw::memory_bound_time_s(op.fp8_cast_bytes_fwd * rows, st.gpu, st.profile);
    t.bwd_input.memory_bound_s += hw::memory_bound_time_s(op.fp8_cast_bytes_bwd * rows, st.gpu, st.profile);
}

}  // namespace

hw::AttentionShape attention_shape(const TrainingSetup& st, const workload::Operator& op, hw::AttentionPhase phase) {
    const auto& s = st.scenario;
    const auto& p = s.parallelism;
    hw::AttentionShape a;
    a.phase = phase;
    a.batch = p.micro_batch_size;
    a.q_len = a.kv_len = s.training.seq_len;
    a.heads_q = static_cast<double>(op.attn.heads) / p.tp;
    a.qk_head_dim = static_cast<double>(op.attn.d_qk);
    a.v_head_dim = static_cast<double>(op.attn.d_v);
    a.causal = op.attn.causal;
    return a;
}

// `imbalance`: the layer's slowest EP rank over the mean one (moe_imbalance.h).
OpTimes op_times(const TrainingSetup& st, const workload::Operator& op, const LayerImbalance& imbalance) {
    const auto& s = st.scenario;
    const auto& p = s.parallelism;
    const auto& cfg = st.model.model;
    const double tokens = static_cast<double>(p.micro_batch_size) * s.training.seq_len;
    // Sequence parallelism with TP: token-wise work is split over the TP ranks.
    const double tokens_per_rank = tokens / p.tp;
    const bool fp8 = s.training.precision == Precision::FP8 && op.fp8_gemm;
    const hw::Dtype dt = fp8 ? hw::Dtype::FP8 : hw::Dtype::BF16;
    OpTimes t;
    switch (op.kind) {
        case OpKind::Gemm:
        case OpKind::Router: {
            const double n = static_cast<double>(op.gemm.n), k = static_cast<double>(op.gemm.k);
            if (op.placement == ParamPlacement::Expert) {
                // The EP group's ep·T·top-k expert rows average T·top-k per GPU over its local
                // experts (slots include redundant replicas); the slowest GPU, which everyone
                // waits for at the combine, runs imbalance.rows times that.
                const double slots = static_cast<double>(cfg.n_routed_experts + s.training.moe.redundant_experts) / p.ep;
                const double rows = tokens_per_rank * static_cast<double>(op.gemm.count) * imbalance.rows;
                const double m = rows / slots;
                t.fwd.experts_s = hw::grouped_gemm_time_s({slots, m, n, k}, dt, st.gpu, st.profile);
                t.bwd_input.experts_s = hw::grouped_gemm_time_s({slots, m, k, n}, dt, st.gpu, st.profile);
                t.bwd_weight.experts_s = hw::grouped_gemm_time_s({slots, n, k, m}, dt, st.gpu, st.profile);
                if (fp8) add_fp8_casts(st, op, tokens_per_rank * imbalance.rows, t);
                break;
            }
            const bool split = op.placement == ParamPlacement::TensorSplit || op.placement == ParamPlacement::VocabSplit;
            const double n_rank = split ? n / p.tp : n;
            linear_times(st, tokens, n_rank, k, static_cast<double>(op.gemm.count), dt, t.fwd.gemm_s, t.bwd_input.gemm_s,
                         t.bwd_weight.gemm_s);
            if (fp8) add_fp8_casts(st, op, tokens * (split ? 1.0 / p.tp : 1.0), t);
            if (op.kind == OpKind::Router) {  // scores, top-k: memory-bound around the GEMM
                t.fwd.memory_bound_s = hw::memory_bound_time_s(op.hbm_bytes_fwd * tokens_per_rank, st.gpu, st.profile);
                t.bwd_input.memory_bound_s = hw::memory_bound_time_s(op.hbm_bytes_bwd * tokens_per_rank, st.gpu, st.profile);
            }
            break;
        }
        case OpKind::AttentionCore:
            t.fwd.attention_s = hw::attention_time_s(attention_shape(st, op, hw::AttentionPhase::Prefill), st.gpu, st.profile);
            t.bwd_input.attention_s =
                hw::attention_time_s(attention_shape(st, op, hw::AttentionPhase::Backward), st.gpu, st.profile);
            break;
        default: {  // norms, SwiGLU, permute/unpermute, embedding lookup, loss, rotary, residual adds: HBM-bound
            const std::string klass = workload::memory_class(op.kind);
            t.fwd.memory_bound_s = hw::memory_op_time_s(klass, op.hbm_bytes_fwd * tokens_per_rank, st.gpu, st.profile);
            t.bwd_input.memory_bound_s = hw::memory_op_time_s(klass, op.hbm_bytes_bwd * tokens_per_rank, st.gpu, st.profile);
            break;
        }
    }
    return t;
}

namespace {

int rank_of_stage(const workload::PipelineLayout& layout, int stage) {
    for (const auto& r : layout.ranks)
        if (std::find(r.stages.begin(), r.stages.end(), stage) != r.stages.end()) return r.rank;
    MOESIM_CHECK(false, "stage " + std::to_string(stage) + " is on no pipeline rank");
    return -1;
}

}  // namespace

// EP dispatch + combine of one micro-batch through one MoE layer: forward dispatches FP8 and
// combines BF16. Backward runs them the other way round: the combine's gradient goes to the
// experts by a dispatch kernel carrying BF16 (TrainingSetup::ep_grad_dispatch, priced with
// BF16 tokens), the dispatch's gradient comes back by a
// combine kernel (which reduces the top-k copies). Each call pays its kernel's notify first
// (network::ep_notify_latency_s: DeepEP's normal kernels only, the profile's "deepep_notify",
// as serving's LayerPricer::ep_comm charges it).
// The slowest rank's volumes: DeepEP's time is max(IB term, NVLink term) (hw::deepep_times,
// priced by the network once per setup: TrainingSetup::ep_dispatch and the others); each term
// is taken alone and scaled by that link class's max/mean volume of the layer's routing draw.
EpCalls moe_comm(const TrainingSetup& st, const LayerImbalance& imbalance) {
    const auto slowest_rank_time = [&](const hw::DeepEpTimes& t) {
        if (imbalance.ib == 1.0 && imbalance.nvlink == 1.0) return t.time_s;
        return std::max(t.rdma_s * imbalance.ib, t.nvlink_s * imbalance.nvlink);
    };
    const double notify = network::ep_notify_latency_s(st.ep_kernel, st.profile);
    EpCalls c;
    c.dispatch_s = slowest_rank_time(st.ep_dispatch) + notify;
    c.combine_s = slowest_rank_time(st.ep_combine) + notify;
    c.grad_dispatch_s = slowest_rank_time(st.ep_grad_dispatch) + notify;
    return c;
}

StageCosts stage_costs(const TrainingSetup& st, int stage_index) {
    const auto& stage = st.layout.stages.at(static_cast<std::size_t>(stage_index));
    const auto& s = st.scenario;
    const auto& p = s.parallelism;
    const double tokens = static_cast<double>(p.micro_batch_size) * s.training.seq_len;
    const double act_bytes = tokens * static_cast<double>(st.model.model.hidden_size) * 2.0;  // BF16 layer I/O
    const int pipeline_rank = rank_of_stage(st.layout, stage_index);
    StageCosts c;
    for (const workload::Layer* layer : stage.layers) {
        WorkTimes layer_forward;
        const LayerImbalance& imbalance = st.moe_imbalance.of(*layer);
        for (const auto& op : layer->ops) {
            const OpTimes t = op_times(st, op, imbalance);
            c.forward += t.fwd;
            c.backward_input += t.bwd_input;
            c.backward_weight += t.bwd_weight;
            layer_forward += t.fwd;
            if (p.recompute == Recompute::Selective && op.recomputed_by_selective) c.recompute += t.fwd;
        }
        if (p.recompute == Recompute::Full && layer->is_transformer()) c.recompute += layer_forward;
        if (p.ep > 1 && has_routed_experts(*layer)) {
            const EpCalls ep = moe_comm(st, imbalance);
            c.forward_comm.ep_s += ep.forward_s();
            c.backward_comm.ep_s += ep.backward_s();
        }
        if (p.tp > 1 && layer->is_transformer()) {
            // Sequence parallelism: per pass, all-gather the layer input before attention and
            // before the FFN, reduce-scatter after each (S = the gathered activation).
            const std::vector<int> tp_group = st.ranks.tp_group(first_gpu(st, pipeline_rank));
            const double pass =
                2.0 * (st.network->collective_time_s(hw::CollectiveKind::AllGather, act_bytes, tp_group) +
                       st.network->collective_time_s(hw::CollectiveKind::ReduceScatter, act_bytes, tp_group));
            c.forward_comm.tp_s += pass;
            c.backward_comm.tp_s += pass;
        }
    }
    if (p.pp > 1) {
        // One activation to the next stage going forward, one gradient back going backward,
        // each GPU to its peer on the neighbouring pipeline rank; none where the neighbouring
        // stage is on the same rank (the turn of DualPipeV's V).
        const int stages = static_cast<int>(st.layout.stages.size());
        const auto send_s = [&](int to_stage) {
            const int to = rank_of_stage(st.layout, to_stage);
            if (to == pipeline_rank) return 0.0;
            const int from = first_gpu(st, pipeline_rank), peer = st.ranks.peer_in_pipeline_rank(from, to);
            return st.network->p2p_time_s(act_bytes / p.tp, std::span(&from, 1), std::span(&peer, 1));
        };
        if (stage_index + 1 < stages) c.forward_comm.pp_s += send_s(stage_index + 1);
        if (stage_index > 0) c.backward_comm.pp_s += send_s(stage_index - 1);
    }
    return c;
}

DataParallelTimes data_parallel_times(const TrainingSetup& st, int pipeline_rank) {
    const auto& s = st.scenario;
    const auto& p = s.parallelism;
    const auto& rank = st.layout.ranks.at(static_cast<std::size_t>(pipeline_rank));
    const workload::RankParams share = workload::rank_share(rank.params, p.tp, p.ep);
    const int expert_dp = p.tp * p.dp / p.ep;  // ranks holding the same experts
    const bool fp8 = s.training.precision == Precision::FP8;
    // FP32 gradients are reduced (V3TR §3.3.3 keeps them in FP32; Megatron accumulates
    // main_grad in FP32); updated BF16 parameters are gathered.
    constexpr double kGradBytes = 4, kParamBytes = 2;
    DataParallelTimes t;
    // The ranks holding the same parameters as this pipeline rank's first GPU: its DP group
    // for the non-expert ones, its expert-DP group (same place in every EP group) for experts.
    auto add_group = [&](double params, const std::vector<int>& group) {
        if (group.size() <= 1 || params <= 0) return;
        const network::Network& net = *st.network;
        if (p.zero_stage == 0) {
            t.reduce_scatter_s += net.collective_time_s(hw::CollectiveKind::AllReduce, params * kGradBytes, group);
        } else {
            t.reduce_scatter_s += net.collective_time_s(hw::CollectiveKind::ReduceScatter, params * kGradBytes, group);
            t.all_gather_s += net.collective_time_s(hw::CollectiveKind::AllGather, params * kParamBytes, group);
        }
    };
    const int first = first_gpu(st, pipeline_rank);
    add_group(share.non_expert, st.ranks.dp_group(first));
    add_group(share.expert, st.ranks.expert_dp_group(first));
    // Adam over this GPU's shard: read gradient, master weight and both moments, write the
    // master weight, both moments and the compute copy of the weight.
    const double moment_bytes = fp8 ? 2 : 4;  // BF16 moments in DeepSeek's recipe (V3TR §3.3.3)
    const double weight_bytes = fp8 ? 1 : 2;
    const double per_param = kGradBytes + 4 + 2 * moment_bytes + 4 + 2 * moment_bytes + weight_bytes;
    const double shard = p.zero_stage >= 1 ? share.non_expert / p.dp + share.expert / std::max(expert_dp, 1) : share.total();
    t.adam_s = hw::memory_bound_time_s(shard * per_param, st.gpu, st.profile);
    // Gradient clipping by the global norm (V3TR and Megatron clip at 1.0): the sum of squares
    // of this GPU's gradient shard (read once), all-reduced over every GPU as one FP32 value,
    // then the shard scaled in place (read and written).
    std::vector<int> world(static_cast<std::size_t>(st.ranks.gpus()));
    for (int g = 0; g < st.ranks.gpus(); ++g) world[static_cast<std::size_t>(g)] = g;
    t.grad_norm_s = hw::memory_bound_time_s(shard * kGradBytes, st.gpu, st.profile) +
                    (world.size() > 1 ? st.network->collective_time_s(hw::CollectiveKind::AllReduce, 4.0, world) : 0.0);
    t.clip_s = hw::memory_bound_time_s(shard * kGradBytes * 2.0, st.gpu, st.profile);
    t.optimizer_s = t.grad_norm_s + t.clip_s + t.adam_s;
    return t;
}

}  // namespace moesim::training
