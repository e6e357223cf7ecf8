// The chunk program (chunk_program.h): stage costs, step lists from the operator costs that
// stage_costs() sums (operator_costs.h), so that a chunk at the mean load costs its stage
// costs, MoE tables, pair orders and timings, data-parallel times.
#include "moesim/training/chunk_program.h"

#include <algorithm>
#include <string>

#include "moesim/common/error.h"
#include "operator_costs.h"
#include "ps_time.h"

namespace moesim::training::detail {

using workload::OpKind;
using workload::ParamPlacement;
using workload::Recompute;

const char* to_string(Segment s) {
    switch (s) {
        case Segment::Layer: return "layer";
        case Segment::Attention: return "attention";
        case Segment::Ffn: return "ffn";
        case Segment::Gate: return "gate";
        case Segment::Shared: return "shared expert";
        case Segment::Experts: return "experts";
        case Segment::Post: return "post";
        case Segment::Recompute: return "recompute";
        case Segment::Weight: return "weight grads";
        case Segment::Dispatch: return "EP dispatch";
        case Segment::Combine: return "EP combine";
        case Segment::TpGather: return "TP all-gather";
        case Segment::TpScatter: return "TP reduce-scatter";
    }
    return "?";
}

bool overlaps_communication(workload::Schedule s) {
    return s == workload::Schedule::DualPipe || s == workload::Schedule::DualPipeV;
}

PhaseWork& PhaseWork::operator+=(const PhaseWork& o) {
    forward += o.forward;
    backward_input += o.backward_input;
    backward_weight += o.backward_weight;
    recompute += o.recompute;
    return *this;
}

double PhaseWork::total_s() const {
    return forward.total_s() + backward_input.total_s() + backward_weight.total_s() + recompute.total_s();
}

const PairOrder& ChunkProgram::pair_order(int forward_stage, int backward_stage) const {
    return pair_orders.at(static_cast<std::size_t>(forward_stage) * stages.size() + static_cast<std::size_t>(backward_stage));
}

const PairTiming& ChunkProgram::pair_timing(int forward_stage, int backward_stage) const {
    return pair_timings.at(static_cast<std::size_t>(forward_stage) * stages.size() + static_cast<std::size_t>(backward_stage));
}

Picoseconds ChunkProgram::pair_comm_ps(int forward_stage, int backward_stage) const {
    return to_ps(stages.at(static_cast<std::size_t>(forward_stage)).chunk.forward_comm_s +
                 stages.at(static_cast<std::size_t>(backward_stage)).chunk.backward_comm_s);
}

Picoseconds ChunkProgram::slowest_experts_ps(const Step& s, int chain) const {
    const auto& ps = moe[static_cast<std::size_t>(s.moe)].ps[chain == 0 ? kFs : kBWs];
    return *std::max_element(ps.begin(), ps.end());
}

Picoseconds ChunkProgram::slowest_experts_side_ps(const Step& s, int chain) const {
    if (chain == 0) return 0;
    const MoeTable& t = moe[static_cast<std::size_t>(s.moe)];
    const auto& ps = t.ps[kBWs];
    return t.side_ps[static_cast<std::size_t>(std::max_element(ps.begin(), ps.end()) - ps.begin())];
}

namespace {

// One layer's work cut into the parts its activities run, per pass.
struct LayerParts {
    bool transformer = false, moe = false;
    OpTimes attention, ffn, gate, shared, post;  // ffn: a dense FFN; layer without parts: attention
    WorkTimes recompute;                         // fixed part of the forward rerun in backward
    bool recompute_experts = false;              // full recompute reruns the routed experts too
};

void add(OpTimes& to, const OpTimes& t) {
    to.fwd += t.fwd;
    to.bwd_input += t.bwd_input;
    to.bwd_weight += t.bwd_weight;
}

// The operators of a block in order: [attention …] ffn_norm [router, shared …, permute,
// experts …, combine-sum, …] or [dense FFN …] (model_operators.cpp).
LayerParts layer_parts(const TrainingSetup& st, const workload::Layer& layer) {
    const auto& p = st.scenario.parallelism;
    LayerParts out;
    out.transformer = layer.is_transformer();
    const LayerImbalance mean;  // routed experts are costed per load elsewhere
    enum class Where { Attention, Ffn, Shared, Experts, Post } where = Where::Attention;
    WorkTimes layer_forward_fixed;
    for (const auto& op : layer.ops) {
        if (out.transformer && op.name == "ffn_norm") where = Where::Ffn;
        if (op.kind == OpKind::Router) out.moe = true;
        const OpTimes t = op_times(st, op, mean);
        if (p.recompute == Recompute::Selective && op.recomputed_by_selective) out.recompute += t.fwd;
        if (op.placement == ParamPlacement::Expert || (where == Where::Experts && op.kind != OpKind::MoeCombine)) {
            where = Where::Experts;
            continue;  // per load: moe_table()
        }
        layer_forward_fixed += t.fwd;
        switch (op.kind) {
            case OpKind::Router: add(out.gate, t); where = Where::Shared; continue;
            case OpKind::MoeDispatch: add(out.gate, t); where = Where::Experts; continue;
            case OpKind::MoeCombine: add(out.post, t); where = Where::Post; continue;
            default: break;
        }
        switch (where) {
            case Where::Attention: add(out.attention, t); break;
            case Where::Ffn: add(out.moe ? out.gate : out.ffn, t); break;
            case Where::Shared: add(out.shared, t); break;
            case Where::Experts: break;
            case Where::Post: add(out.post, t); break;
        }
    }
    // ffn_norm precedes the router: in an MoE layer it belongs to the gate (moved above only
    // once the router is seen, so move what went to `ffn` before it).
    if (out.moe) {
        add(out.gate, out.ffn);
        out.ffn = {};
    }
    if (p.recompute == Recompute::Full && out.transformer) {
        out.recompute = layer_forward_fixed;
        out.recompute_experts = out.moe;
    }
    return out;
}

// The routed experts of `layer` at each load of its draw, and the EP collectives' times (the
// slowest rank's, which every member waits for) of each call (EpCalls).
struct EpPs {
    Picoseconds dispatch = 0, combine = 0, grad_dispatch = 0;
};
MoeTable moe_table(const TrainingSetup& st, const workload::Layer& layer, double slowdown, EpPs& ep_ps) {
    const auto& p = st.scenario.parallelism;
    MoeTable t;
    t.layer_id = moe_layer_id(layer, st.model.model.num_layers);
    const auto* ranks = st.moe_imbalance.ranks_of(layer);
    std::vector<LayerImbalance> loads = ranks ? *ranks : std::vector<LayerImbalance>{st.moe_imbalance.of(layer)};
    if (ranks) MOESIM_CHECK(static_cast<int>(loads.size()) == p.ep, "MoE draw: one load per EP rank");
    t.loads = static_cast<int>(loads.size());
    for (auto& v : t.ps) v.assign(loads.size(), 0);
    t.side_ps.assign(loads.size(), 0);
    t.work.assign(loads.size(), {});
    EpCalls slowest;
    for (std::size_t j = 0; j < loads.size(); ++j) {
        const LayerImbalance& load = loads[j];
        OpTimes e;
        bool in_experts = false;
        for (const auto& op : layer.ops) {
            if (op.kind == OpKind::MoeDispatch) in_experts = true;
            if (op.kind == OpKind::MoeCombine) in_experts = false;
            if (op.kind != OpKind::MoeDispatch && (in_experts || op.placement == ParamPlacement::Expert))
                add(e, op_times(st, op, LayerImbalance{load.rows, 1.0, 1.0}));
        }
        const bool full = p.recompute == Recompute::Full;
        PhaseWork& w = t.work[j];
        w.forward = e.fwd;
        w.backward_input = e.bwd_input;
        w.backward_weight = e.bwd_weight;
        if (full) w.recompute = e.fwd;
        const double f = e.fwd.total_s(), b = e.bwd_input.total_s() + (full ? f : 0.0), wg = e.bwd_weight.total_s();
        t.ps[kF][j] = to_ps(f);
        t.ps[kB][j] = to_ps(b);
        t.ps[kW][j] = to_ps(wg);
        t.ps[kBW][j] = to_ps(b + wg);
        t.ps[kFs][j] = to_ps(f * slowdown);
        t.ps[kBWs][j] = to_ps((b + wg) * slowdown);
        t.side_ps[j] = std::min(t.ps[kBWs][j], to_ps(wg * slowdown));
        if (p.ep > 1) {
            const EpCalls c = moe_comm(st, LayerImbalance{1.0, load.ib, load.nvlink});
            slowest.dispatch_s = std::max(slowest.dispatch_s, c.dispatch_s);
            slowest.combine_s = std::max(slowest.combine_s, c.combine_s);
            slowest.grad_dispatch_s = std::max(slowest.grad_dispatch_s, c.grad_dispatch_s);
        }
    }
    ep_ps = EpPs{to_ps(slowest.dispatch_s), to_ps(slowest.combine_s), to_ps(slowest.grad_dispatch_s)};
    return t;
}

Step compute(Segment seg, int layer, const WorkTimes& w, double slowdown) {
    Step s;
    s.kind = StepKind::Compute;
    s.segment = seg;
    s.layer = static_cast<std::int16_t>(layer);
    s.ps = to_ps(w.total_s());
    s.slow_ps = to_ps(w.total_s() * slowdown);
    return s;
}

Step collective(StepKind kind, Segment seg, int layer, Picoseconds ps) {
    Step s;
    s.kind = kind;
    s.segment = seg;
    s.layer = static_cast<std::int16_t>(layer);
    s.ps = s.slow_ps = ps;
    return s;
}

Step experts(int layer, int table) {
    Step s;
    s.kind = StepKind::Experts;
    s.segment = Segment::Experts;
    s.layer = static_cast<std::int16_t>(layer);
    s.moe = table;
    return s;
}

// Appends to `out` the steps of one pass over one layer. `pass` is kF, kB, kW or kBW.
struct LayerSteps {
    int layer = 0;
    const LayerParts& parts;
    int table = -1;                     // MoE table, or −1
    EpPs ep_ps;
    Picoseconds tp_ps = 0;              // one TP collective of this pass (0: none)
    double slowdown = 1.0;

    void emit(int pass, std::vector<Step>& out) const {
        const auto put = [&](Segment seg, const WorkTimes& w) {
            if (w.total_s() > 0) out.push_back(compute(seg, layer, w, slowdown));
        };
        const auto tp = [&](Segment seg) {
            if (tp_ps > 0) out.push_back(collective(StepKind::TpCollective, seg, layer, tp_ps));
        };
        const auto ep = [&](Segment seg, Picoseconds ps) {
            if (ps > 0) out.push_back(collective(StepKind::EpCollective, seg, layer, ps));
        };
        const auto& a = parts;
        if (pass == kF) {
            if (!a.transformer) return put(Segment::Layer, a.attention.fwd);
            tp(Segment::TpGather), put(Segment::Attention, a.attention.fwd), tp(Segment::TpScatter);
            tp(Segment::TpGather);
            if (a.moe) {
                put(Segment::Gate, a.gate.fwd);
                ep(Segment::Dispatch, ep_ps.dispatch);
                out.push_back(experts(layer, table));
                put(Segment::Shared, a.shared.fwd);
                ep(Segment::Combine, ep_ps.combine);
            } else {
                put(Segment::Ffn, a.ffn.fwd);
            }
            put(Segment::Post, a.post.fwd);
            tp(Segment::TpScatter);
            return;
        }
        if (pass == kW) {
            WorkTimes w = a.attention.bwd_weight;
            w += a.ffn.bwd_weight;
            w += a.gate.bwd_weight;
            w += a.shared.bwd_weight;
            w += a.post.bwd_weight;
            put(a.transformer ? Segment::Weight : Segment::Layer, w);
            if (table >= 0) out.push_back(experts(layer, table));
            return;
        }
        // kB or kBW: the input gradient in reverse order, weight gradients with it for kBW.
        const bool weight = pass == kBW;
        // The weight-gradient part of a BW step is its side_ps (pair_order.h: a pair may run it
        // on the side stream).
        const auto back = [&](Segment seg, const OpTimes& t, const WorkTimes* extra = nullptr) {
            WorkTimes w = t.bwd_input;
            if (extra) w += *extra;
            if (weight) w += t.bwd_weight;
            if (w.total_s() <= 0) return;
            Step st = compute(seg, layer, w, slowdown);
            if (weight) st.side_ps = std::min(st.slow_ps, to_ps(t.bwd_weight.total_s() * slowdown));
            out.push_back(st);
        };
        if (!a.transformer) return back(Segment::Layer, a.attention, &a.recompute);
        put(Segment::Recompute, a.recompute);
        tp(Segment::TpGather);
        back(Segment::Post, a.post);
        if (a.moe) {
            ep(Segment::Combine, ep_ps.grad_dispatch);  // the combine's gradient goes to the experts (a BF16 dispatch)
            back(Segment::Shared, a.shared);
            out.push_back(experts(layer, table));
            ep(Segment::Dispatch, ep_ps.combine);  // the dispatch's gradient comes back (a combine)
            back(Segment::Gate, a.gate);
        } else {
            back(Segment::Ffn, a.ffn);
        }
        tp(Segment::TpScatter);
        tp(Segment::TpGather), back(Segment::Attention, a.attention), tp(Segment::TpScatter);
    }
};

PhaseWork fixed_work(const LayerParts& a) {
    PhaseWork w;
    for (const OpTimes* t : {&a.attention, &a.ffn, &a.gate, &a.shared, &a.post}) {
        w.forward += t->fwd;
        w.backward_input += t->bwd_input;
        w.backward_weight += t->bwd_weight;
    }
    w.recompute = a.recompute;
    return w;
}

// The whole chunk of stage costs `c`, for the one-replica event executor.
ChunkPs whole_chunk(const StageCosts& c) {
    ChunkPs k;
    const double f = c.forward.total_s(), b = c.backward_input.total_s() + c.recompute.total_s(),
                 w = c.backward_weight.total_s();
    k.forward = to_ps(f);
    k.backward = to_ps(b);
    k.weight = to_ps(w);
    k.backward_weight = to_ps(b + w);
    k.forward_comm_s = c.forward_comm.ep_s + c.forward_comm.tp_s;
    k.backward_comm_s = c.backward_comm.ep_s + c.backward_comm.tp_s;
    k.forward_comm = to_ps(k.forward_comm_s);
    k.backward_comm = to_ps(k.backward_comm_s);
    return k;
}

// Stage `s` of the program: its stage costs, whole chunk, MoE tables (appended to prog.moe) and
// step lists.
void build_stage(const TrainingSetup& st, int s, ChunkProgram& prog) {
    const auto& stage = st.layout.stages[static_cast<std::size_t>(s)];
    StageProgram& sp = prog.stages[static_cast<std::size_t>(s)];
    // The stage costs give what is per stage rather than per operator: the PP sends, the TP
    // collectives (the same for every transformer layer: 2 all-gathers and 2 reduce-scatters
    // per pass, the closed form taking them as equal), and the DP overlap windows
    // (step_tail.h).
    prog.stage_costs.push_back(stage_costs(st, s));
    const StageCosts& c = prog.stage_costs.back();
    sp.chunk = whole_chunk(c);
    sp.pp_forward_ps = to_ps(c.forward_comm.pp_s);
    sp.pp_backward_ps = to_ps(c.backward_comm.pp_s);
    int transformer = 0;
    for (const auto* l : stage.layers) transformer += l->is_transformer() ? 1 : 0;
    const double tp_f = transformer > 0 ? c.forward_comm.tp_s / transformer / 4.0 : 0.0;
    const double tp_b = transformer > 0 ? c.backward_comm.tp_s / transformer / 4.0 : 0.0;

    std::vector<LayerParts> parts;
    std::vector<int> tables;
    std::vector<EpPs> ep;
    for (const auto* l : stage.layers) {
        parts.push_back(layer_parts(st, *l));
        EpPs calls;
        int table = -1;
        if (has_routed_experts(*l)) {
            table = static_cast<int>(prog.moe.size());
            prog.moe.push_back(moe_table(st, *l, prog.slowdown, calls));
            sp.moe.push_back(table);
        }
        tables.push_back(table);
        ep.push_back(calls);
        sp.fixed_work += fixed_work(parts.back());
    }
    const int n = static_cast<int>(parts.size());
    for (int pass : {kF, kB, kW, kBW}) {
        auto& out = sp.steps[static_cast<std::size_t>(pass)];
        const bool forward = pass == kF;
        const Picoseconds tp_ps = to_ps(forward ? tp_f : tp_b);
        for (int i = 0; i < n; ++i) {
            const int li = forward || pass == kW ? i : n - 1 - i;  // backward runs the layers in reverse
            const auto u = static_cast<std::size_t>(li);
            const LayerSteps ls{static_cast<int>(stage.layers[u] - st.model.layers.data()), parts[u], tables[u],
                                ep[u], parts[u].transformer ? (pass == kW ? 0 : tp_ps) : 0,
                                prog.slowdown};
            ls.emit(pass, out);
        }
        prog.steps += static_cast<std::int64_t>(out.size());
    }
    for (int half = 0; half < 2; ++half) {
        const auto& list = sp.steps[half == 0 ? kF : kBW];
        sp.collectives[static_cast<std::size_t>(half)] =
            static_cast<std::int32_t>(std::count_if(list.begin(), list.end(), is_collective));
    }
}

}  // namespace

ChunkProgram build_chunk_program(const TrainingSetup& st) {
    const auto& p = st.scenario.parallelism;
    ChunkProgram prog;
    prog.overlap = overlaps_communication(p.schedule);
    prog.slowdown = prog.overlap ? static_cast<double>(st.gpu.sm_count) / (st.gpu.sm_count - p.comm_sms) : 1.0;
    prog.exchangeable = st.moe_imbalance.ranks_exchangeable;
    const int stages = static_cast<int>(st.layout.stages.size());
    prog.stages.resize(static_cast<std::size_t>(stages));
    for (int s = 0; s < stages; ++s) build_stage(st, s, prog);
    for (int r = 0; r < p.pp; ++r) prog.data_parallel.push_back(data_parallel_times(st, r));
    if (prog.overlap) {
        const auto slowest = [&](const Step& s, int chain) { return prog.slowest_experts_ps(s, chain); };
        const auto side = [&](const Step& s, int chain) { return prog.slowest_experts_side_ps(s, chain); };
        prog.pair_orders.reserve(static_cast<std::size_t>(stages * stages));
        prog.pair_timings.reserve(static_cast<std::size_t>(stages * stages));
        for (int f = 0; f < stages; ++f)
            for (int b = 0; b < stages; ++b) {
                const auto& forward = prog.stages[static_cast<std::size_t>(f)].steps[kF];
                const auto& backward = prog.stages[static_cast<std::size_t>(b)].steps[kBW];
                prog.pair_orders.push_back(make_pair_order(forward, backward, slowest));
                prog.pair_timings.push_back(time_pair(prog.pair_orders.back(), forward, backward, slowest, side));
            }
    }
    return prog;
}

}  // namespace moesim::training::detail
