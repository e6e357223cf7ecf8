#include "trace_pair.h"

#include <algorithm>

#include "moesim/common/error.h"
#include "moesim/hw/costs.h"

namespace moesim::cli {

namespace {

using calib::ModelClass;
using workload::OpKind;
using workload::ParamPlacement;

std::size_t idx(ModelClass c) { return static_cast<std::size_t>(c); }

// Adds one GEMM's FLOPs to its class and its shape to the list (forward, input and weight
// gradient of y = x·Wᵀ over m rows: m×n×k, m×k×n, n×k×m, as training/analytic_costs.cpp
// prices them).
void add_dense(calib::PairWork& w, hw::Dtype dt, double m, double n, double k, double count, bool forward,
               bool backward, bool recompute) {
    const ModelClass main = dt == hw::Dtype::FP8 ? ModelClass::GemmFp8 : ModelClass::GemmBf16;
    const ModelClass weight = dt == hw::Dtype::FP8 ? ModelClass::GemmWgrad : ModelClass::GemmBf16;
    const hw::GemmShape f{m, n, k, count}, d{m, k, n, count}, wg{n, k, m, count};
    const double runs_fwd = (forward ? 1.0 : 0.0) + (backward && recompute ? 1.0 : 0.0);
    const double runs_bwd = backward ? 1.0 : 0.0;
    w.flops[idx(main)] += runs_fwd * hw::gemm_flops(f) + runs_bwd * hw::gemm_flops(d);
    w.flops[idx(weight)] += runs_bwd * hw::gemm_flops(wg);
    w.gemm.push_back({main, dt, f, runs_fwd * hw::gemm_flops(f)});
    w.gemm.push_back({main, dt, d, runs_bwd * hw::gemm_flops(d)});
    w.gemm.push_back({weight, dt, wg, runs_bwd * hw::gemm_flops(wg)});
}

void add_bytes(calib::PairWork& w, double bytes, ModelClass c = ModelClass::MemoryBound) {
    if (bytes <= 0) return;
    w.bytes[idx(c)] += bytes;
    if (c == ModelClass::MemoryBound) w.memory_ops += 1;
}

// The class of a memory-bound operator's work: its own (rotary, residual adds) or the pool.
ModelClass memory_class(const workload::Operator& op) {
    if (op.kind == OpKind::Rotary) return ModelClass::Rotary;
    if (op.kind == OpKind::Elementwise) return ModelClass::Elementwise;
    return ModelClass::MemoryBound;
}

// The work of one operator: its forward in the forward chunk (`forward`), its backward (and
// its forward again when recomputed) in the backward chunk.
void add_op(calib::PairWork& w, const training::TrainingSetup& st, const workload::Operator& op, bool forward,
            bool backward, bool recompute) {
    const auto& s = st.scenario;
    const auto& p = s.parallelism;
    const auto& cfg = st.model.model;
    const double tokens = static_cast<double>(p.micro_batch_size) * s.training.seq_len;
    const double tokens_per_rank = tokens / p.tp;
    const bool fp8 = s.training.precision == workload::Precision::FP8 && op.fp8_gemm;
    const hw::Dtype dt = fp8 ? hw::Dtype::FP8 : hw::Dtype::BF16;
    const double runs_fwd = (forward ? 1.0 : 0.0) + (backward && recompute ? 1.0 : 0.0);
    switch (op.kind) {
        case OpKind::Gemm:
        case OpKind::Router: {
            const double n = static_cast<double>(op.gemm.n), k = static_cast<double>(op.gemm.k);
            double cast_rows = 0;
            if (op.placement == ParamPlacement::Expert) {
                const double slots = static_cast<double>(cfg.n_routed_experts + s.training.moe.redundant_experts) / p.ep;
                const double m = tokens_per_rank * static_cast<double>(op.gemm.count) / slots;
                const hw::GroupedGemmShape f{slots, m, n, k}, d{slots, m, k, n}, wg{slots, n, k, m};
                const ModelClass main = fp8 ? ModelClass::GroupedGemmFp8 : ModelClass::GemmBf16;
                const ModelClass weight = fp8 ? ModelClass::GemmWgrad : ModelClass::GemmBf16;
                w.flops[idx(main)] += runs_fwd * hw::grouped_gemm_flops(f);
                if (backward) {
                    w.flops[idx(main)] += hw::grouped_gemm_flops(d);
                    w.flops[idx(weight)] += hw::grouped_gemm_flops(wg);
                }
                if (fp8) {
                    w.grouped.push_back({main, f, runs_fwd * hw::grouped_gemm_flops(f)});
                    w.grouped.push_back({main, d, backward ? hw::grouped_gemm_flops(d) : 0.0});
                    w.grouped.push_back({weight, wg, backward ? hw::grouped_gemm_flops(wg) : 0.0});
                }
                cast_rows = tokens_per_rank;
            } else {
                const bool split = op.placement == ParamPlacement::TensorSplit || op.placement == ParamPlacement::VocabSplit;
                const double n_rank = split ? n / p.tp : n;
                add_dense(w, dt, tokens, n_rank, k, static_cast<double>(op.gemm.count), forward, backward, recompute);
                cast_rows = tokens * (split ? 1.0 / p.tp : 1.0);
                if (op.kind == OpKind::Router) {
                    add_bytes(w, runs_fwd * op.hbm_bytes_fwd * tokens_per_rank);
                    if (backward) add_bytes(w, op.hbm_bytes_bwd * tokens_per_rank);
                }
            }
            if (fp8) {
                add_bytes(w, runs_fwd * op.fp8_cast_bytes_fwd * cast_rows);
                if (backward) add_bytes(w, op.fp8_cast_bytes_bwd * cast_rows);
            }
            break;
        }
        case OpKind::AttentionCore:
            w.flops[idx(ModelClass::AttentionFwd)] +=
                runs_fwd * hw::attention_flops(training::attention_shape(st, op, hw::AttentionPhase::Prefill));
            if (backward)
                w.flops[idx(ModelClass::AttentionBwd)] +=
                    hw::attention_flops(training::attention_shape(st, op, hw::AttentionPhase::Backward));
            break;
        default:
            add_bytes(w, runs_fwd * op.hbm_bytes_fwd * tokens_per_rank, memory_class(op));
            if (backward) add_bytes(w, op.hbm_bytes_bwd * tokens_per_rank, memory_class(op));
            break;
    }
}

bool recomputed(const workload::Operator& op, workload::Recompute r) {
    return r == workload::Recompute::Full || (r == workload::Recompute::Selective && op.recomputed_by_selective);
}

}  // namespace

TracePair trace_pair(const training::TrainingSetup& st, int layers, const std::string& trace_file) {
    const auto& s = st.scenario;
    const auto& p = s.parallelism;
    TracePair pair;
    std::string counts;
    for (std::size_t i = 0; i < st.layout.stages.size(); ++i) {
        const auto& stage = st.layout.stages[i];
        counts += (counts.empty() ? "" : ", ") + std::to_string(stage.transformer_layers);
        const bool all_moe = std::all_of(stage.layers.begin(), stage.layers.end(),
                                         [](const workload::Layer* l) { return l->kind == workload::LayerKind::Moe; });
        if (pair.stage < 0 && stage.transformer_layers == layers && all_moe && !stage.embedding && !stage.head && !stage.mtp &&
            static_cast<int>(stage.layers.size()) == layers)
            pair.stage = static_cast<int>(i);
    }
    if (pair.stage < 0)
        throw CalibrationError(trace_file + ": the trace shows " + std::to_string(layers) + " layers per chunk; no pipeline stage of " +
                               s.source_file + " has " + std::to_string(layers) + " MoE layers and nothing else (its stages' layers: " +
                               counts + ")");
    const auto& stage = st.layout.stages[static_cast<std::size_t>(pair.stage)];
    calib::PairWork& w = pair.work;
    w.scenario = s.name;
    w.what = "forward and backward chunk of pipeline stage " + std::to_string(pair.stage) + ", layers " +
             std::to_string(stage.first_layer) + "-" + std::to_string(stage.first_layer + layers - 1) + ", one micro-batch of " +
             std::to_string(p.micro_batch_size) + " x " + std::to_string(s.training.seq_len) + " tokens";
    w.gpu = st.gpu;
    w.forward_layers = w.backward_layers = layers;
    w.moe_layers_forward = w.moe_layers_backward = layers;
    const double tokens_per_rank = static_cast<double>(p.micro_batch_size) * s.training.seq_len / p.tp;
    const auto op_s = [&](const workload::Operator& op, bool recompute) {
        const std::string klass = workload::memory_class(op.kind);
        return hw::memory_op_time_s(klass, op.hbm_bytes_fwd * tokens_per_rank, st.gpu, st.profile) * (recompute ? 2.0 : 1.0) +
               hw::memory_op_time_s(klass, op.hbm_bytes_bwd * tokens_per_rank, st.gpu, st.profile);
    };
    for (const workload::Layer* l : stage.layers)
        for (const auto& op : l->ops) {
            add_op(w, st, op, true, false, false);
            add_op(w, st, op, false, true, recomputed(op, p.recompute));
            if (op.kind == OpKind::Rotary) pair.rotary_s += op_s(op, recomputed(op, p.recompute));
            if (op.kind == OpKind::Elementwise) pair.elementwise_s += op_s(op, recomputed(op, p.recompute));
        }
    // DeepEP: forward dispatch (FP8) and combine (BF16); backward the gradients both ways in
    // BF16, the combine's bytes (training/analytic_costs.cpp moe_comm).
    w.has_ep = p.ep > 1;
    if (w.has_ep) {
        const auto& cfg = st.model.model;
        w.ep_shape.tokens = static_cast<double>(p.micro_batch_size) * s.training.seq_len / p.tp;
        w.ep_shape.hidden = static_cast<int>(cfg.hidden_size);
        w.ep_shape.top_k = static_cast<int>(cfg.experts_per_token);
        w.ep_shape.max_nodes_per_token = s.training.moe.max_nodes_per_token;
        w.ep_shape.num_experts = static_cast<int>(cfg.n_routed_experts);
        w.ep_group.ep_size = p.ep;
        w.ep_group.gpus_per_node = std::min(s.cluster.gpus_per_node, p.ep);
        w.ep_group.nvlink_GBps = st.gpu.nvlink_GBps;
        w.ep_group.nic_GBps = s.cluster.network.nics_per_node * s.cluster.network.nic_Gbps / 8.0 / s.cluster.gpus_per_node;
        w.dispatch_counted_bytes = hw::deepep_traffic(w.ep_shape, w.ep_group, hw::DeepEpOp::Dispatch).counted_rdma_bytes;
        w.combine_counted_bytes = hw::deepep_traffic(w.ep_shape, w.ep_group, hw::DeepEpOp::Combine).counted_rdma_bytes;
        w.bytes[idx(ModelClass::DeepEpDispatch)] = layers * (w.dispatch_counted_bytes + w.combine_counted_bytes);
        w.bytes[idx(ModelClass::DeepEpCombine)] = 2.0 * layers * w.combine_counted_bytes;
        w.ep_calls = 4.0 * layers;  // forward dispatch and combine, backward their gradients
        pair.notify_s = w.ep_calls * st.profile.latency_s("deepep_notify");
    }
    w.compute_sm_share = static_cast<double>(st.gpu.sm_count - p.comm_sms) / st.gpu.sm_count;

    pair.costs = training::stage_costs(st, pair.stage);
    const auto program = training::detail::build_chunk_program(st);
    pair.slowdown = program.slowdown;
    pair.rotary_s *= program.slowdown;
    pair.elementwise_s *= program.slowdown;
    pair.timing = program.pair_timing(pair.stage, pair.stage);
    const auto& sp = program.stages[static_cast<std::size_t>(pair.stage)];
    for (int pass : {training::detail::kF, training::detail::kBW})
        for (const auto& step : sp.steps[static_cast<std::size_t>(pass)])
            if (training::detail::is_collective(step)) pair.collective_busy_s += static_cast<double>(step.ps) / static_cast<double>(units::kPsPerSecond);
    return pair;
}

double simulated_s(const TracePair& pair, ModelClass model) {
    const auto& c = pair.costs;
    const double slow = pair.slowdown;
    switch (model) {
        case ModelClass::GemmFp8:  // dense GEMMs of both dtypes (the router's BF16 one among them)
            return slow * (c.forward.gemm_s + c.backward_input.gemm_s + c.recompute.gemm_s);
        case ModelClass::GroupedGemmFp8:
            return slow * (c.forward.experts_s + c.backward_input.experts_s + c.recompute.experts_s);
        case ModelClass::GemmWgrad:
            return slow * (c.backward_weight.gemm_s + c.backward_weight.experts_s);
        case ModelClass::AttentionFwd:
            return slow * (c.forward.attention_s + c.recompute.attention_s);
        case ModelClass::AttentionBwd:
            return slow * c.backward_input.attention_s;
        case ModelClass::MemoryBound:
            return slow * (c.forward.memory_bound_s + c.backward_input.memory_bound_s + c.backward_weight.memory_bound_s +
                           c.recompute.memory_bound_s) -
                   pair.rotary_s - pair.elementwise_s;
        case ModelClass::Rotary: return pair.rotary_s;
        case ModelClass::Elementwise: return pair.elementwise_s;
        case ModelClass::DeepEpNotify: return pair.notify_s;
        case ModelClass::DeepEpDispatch:
            return c.forward_comm.ep_s + c.backward_comm.ep_s - pair.notify_s;
        default:
            return 0;
    }
}

}  // namespace moesim::cli
