#include "moesim/workload/pipeline_schedule.h"

#include <algorithm>
#include <array>
#include <deque>
#include <string>

#include "moesim/common/error.h"
#include "moesim/workload/layout.h"

namespace moesim::workload {

std::string to_string(PipelineOpKind k) {
    switch (k) {
        case PipelineOpKind::F: return "F";
        case PipelineOpKind::B: return "B";
        case PipelineOpKind::W: return "W";
        case PipelineOpKind::BW: return "BW";
        case PipelineOpKind::FB: return "FB";
    }
    return "?";
}

namespace {

std::string part_text(const char* kind, const OpPart& p) {
    return std::string(kind) + " mb" + std::to_string(p.micro_batch) + " s" + std::to_string(p.stage);
}

PipelineOp op(PipelineOpKind k, OpPart p) { return PipelineOp{k, p, {}}; }

// Megatron's non-interleaved 1F1B (and ZB-H1, which keeps its order of F and B).
std::vector<PipelineOp> one_f_one_b(int pp, int m, int r, bool split_w) {
    std::vector<PipelineOp> out;
    const int warmup = std::min(pp - r - 1, m);
    const int remaining = m - warmup;
    const auto part = [&](int mb) { return OpPart{mb, r, 0, 0}; };
    int next_w = 0;  // ZB-H1: W of micro-batch k runs r micro-batches after its B
    const auto backward = [&](int k) {
        if (!split_w) {
            out.push_back(op(PipelineOpKind::BW, part(k)));
            return;
        }
        out.push_back(op(PipelineOpKind::B, part(k)));
        if (k - r >= 0) out.push_back(op(PipelineOpKind::W, part(next_w++)));
    };
    for (int i = 0; i < warmup; ++i) out.push_back(op(PipelineOpKind::F, part(i)));
    for (int i = 0; i < remaining; ++i) {
        out.push_back(op(PipelineOpKind::F, part(warmup + i)));
        backward(i);
    }
    for (int i = remaining; i < m; ++i) backward(i);
    while (split_w && next_w < m) out.push_back(op(PipelineOpKind::W, part(next_w++)));
    return out;
}

std::vector<PipelineOp> gpipe(int m, int r) {
    std::vector<PipelineOp> out;
    for (int i = 0; i < m; ++i) out.push_back(op(PipelineOpKind::F, OpPart{i, r, 0, 0}));
    for (int i = 0; i < m; ++i) out.push_back(op(PipelineOpKind::BW, OpPart{i, r, 0, 0}));
    return out;
}

// Megatron's forward_backward_pipelining_with_interleaving, micro-batches in groups of pp.
std::vector<PipelineOp> interleaved(int pp, int v, int m, int r) {
    const int total = m * v;
    int warmup = (pp - r - 1) * 2 + (v - 1) * pp;
    if (m == pp) warmup = total;  // Megatron: all warm-up when micro-batches == pp
    warmup = std::min(warmup, total);
    const int remaining = total - warmup;
    const auto part = [&](int k, bool forward) {
        const int in_group = k % (pp * v);
        int chunk = in_group / pp;
        if (!forward) chunk = v - 1 - chunk;
        const int mb = (k / (pp * v)) * pp + k % pp;
        return OpPart{mb, chunk * pp + r, chunk, 0};
    };
    std::vector<PipelineOp> out;
    for (int k = 0; k < warmup; ++k) out.push_back(op(PipelineOpKind::F, part(k, true)));
    for (int k = 0; k < remaining; ++k) {
        out.push_back(op(PipelineOpKind::F, part(warmup + k, true)));
        out.push_back(op(PipelineOpKind::BW, part(k, false)));
    }
    for (int k = remaining; k < total; ++k) out.push_back(op(PipelineOpKind::BW, part(k, false)));
    return out;
}

// DualPipe.step() and DualPipeV.step() of deepseek-ai/DualPipe, one rank. `phase` is the
// reference's argument (before DualPipe's XOR with is_in_second_half); the model overlaps
// forward and backward chunks (overlapped_forward_backward exists), as DeepSeek-V3 does.
class DualPipeRank {
public:
    DualPipeRank(bool v_shape, int pp, int m, int r) : v_(v_shape), pp_(pp), m_(m), r_(r) {
        second_half_ = !v_ && r >= pp / 2;
        middle_ = v_ ? r == pp - 1 : (r == pp / 2 - 1 || r == pp / 2);
    }

    std::vector<PipelineOp> run() {
        const int ranks = pp_;
        const int half_rank = v_ ? r_ : std::min(r_, ranks - 1 - r_);
        const int half_ranks = v_ ? ranks : ranks / 2;  // DualPipeV's loops use num_ranks, rank
        const int chunks_per_direction = v_ ? m_ : m_ / 2;
        const int step_1 = (half_ranks - half_rank - 1) * 2;
        for (int i = 0; i < step_1; ++i) forward(0);
        const int step_2 = half_rank + 1;
        for (int i = 0; i < step_2; ++i) {
            forward(0);
            forward(1);
        }
        const int step_3 = half_ranks - half_rank - 1;
        for (int i = 0; i < step_3; ++i) {
            backward(1, true);
            weight();
            forward(1);
        }
        const int step_4 = v_ ? m_ - ranks * 2 + half_rank + 1 : chunks_per_direction - ranks + half_rank + 1;
        for (int i = 0; i < step_4; ++i) {
            if (i == 0 && middle_) {
                // The reference does not overlap these two chunks, to shorten the bubble.
                forward(0);
                backward(1, false);
            } else {
                forward_backward(0, 1);
            }
            forward_backward(1, 0);
        }
        const int step_5 = half_ranks - half_rank - 1;
        for (int i = 0; i < step_5; ++i) {
            backward(1, false);
            forward_backward(1, 0);
        }
        const int step_6 = half_rank + 1;
        bool zb = false;
        for (int i = 0; i < step_6; ++i) {
            if (i == step_6 / 2 && half_rank % 2 == 1) zb = true;
            backward(1, zb);
            if (i == step_6 / 2 && half_rank % 2 == 0) zb = true;
            backward(0, zb);
        }
        const int step_7 = half_ranks - half_rank - 1;
        for (int i = 0; i < step_7; ++i) {
            weight();
            backward(0, true);
        }
        const int step_8 = half_rank + 1;
        for (int i = 0; i < step_8; ++i) weight();
        MOESIM_CHECK(pending_w_.empty(), "DualPipe: every deferred weight gradient runs");
        return std::move(out_);
    }

private:
    OpPart part(int phase, int id) const {
        const int eff = v_ ? phase : phase ^ static_cast<int>(second_half_);
        if (v_) return OpPart{id, eff == 0 ? r_ : 2 * pp_ - 1 - r_, eff, 0};
        return OpPart{id + (eff == 1 ? m_ / 2 : 0), eff == 0 ? r_ : pp_ - 1 - r_, eff, eff};
    }
    int eff(int phase) const { return v_ ? phase : phase ^ static_cast<int>(second_half_); }
    OpPart next_forward(int phase) { return part(phase, f_id_[eff(phase)]++); }
    OpPart next_backward(int phase) { return part(phase, b_id_[eff(phase)]++); }

    void forward(int phase) { out_.push_back(op(PipelineOpKind::F, next_forward(phase))); }
    void backward(int phase, bool zb) {
        const OpPart p = next_backward(phase);
        if (zb) {
            out_.push_back(op(PipelineOpKind::B, p));
            pending_w_.push_back(p);  // WeightGradStore: FIFO
        } else {
            out_.push_back(op(PipelineOpKind::BW, p));
        }
    }
    void forward_backward(int phase0, int phase1) {
        const OpPart f = next_forward(phase0);
        const OpPart b = next_backward(phase1);
        out_.push_back(PipelineOp{PipelineOpKind::FB, f, b});
    }
    void weight() {
        MOESIM_CHECK(!pending_w_.empty(), "DualPipe: a weight chunk with no deferred weight gradient");
        out_.push_back(op(PipelineOpKind::W, pending_w_.front()));
        pending_w_.pop_front();
    }

    bool v_;
    int pp_, m_, r_;
    bool second_half_ = false, middle_ = false;
    std::array<int, 2> f_id_{0, 0}, b_id_{0, 0};
    std::deque<OpPart> pending_w_;
    std::vector<PipelineOp> out_;
};

// Calls visit(op, where) for every operation of every rank, in rank order.
template <class Visit>
void for_each_op(const PipelineSchedule& s, Visit&& visit) {
    for (int r = 0; r < s.pp; ++r) {
        const auto& ops = s.ranks[static_cast<std::size_t>(r)];
        for (int i = 0; i < static_cast<int>(ops.size()); ++i) visit(ops[static_cast<std::size_t>(i)], OpRef{r, i});
    }
}

}  // namespace

void check_schedule_layout(Schedule schedule, int pp, std::int64_t micro_batches, int virtual_stages) {
    const auto str = [](std::int64_t v) { return std::to_string(v); };
    const std::string name = "schedule \"" + to_string(schedule) + "\"";
    const std::string per_rank = " micro-batches per data-parallel rank (global_batch_size / (dp*micro_batch_size)), got ";
    if (schedule == Schedule::DualPipe && pp % 2 != 0)
        throw ScenarioError("", "/parallelism/pp", name + " needs an even pp, got " + str(pp));
    if ((schedule == Schedule::DualPipe || schedule == Schedule::DualPipeV) && micro_batches < 2LL * pp)
        throw ScenarioError("", "/training/global_batch_size",
                            name + " with pp = " + str(pp) + " needs at least 2*pp = " + str(2LL * pp) + per_rank +
                                str(micro_batches));
    // DualPipe feeds micro-batches from both ends of the pipeline, half from each.
    if (schedule == Schedule::DualPipe && micro_batches % 2 != 0)
        throw ScenarioError("", "/training/global_batch_size", name + " needs an even number of" + per_rank + str(micro_batches));
    // Megatron's interleaved schedule runs micro-batches in groups of pp.
    if (schedule == Schedule::Interleaved1F1B && virtual_stages > 1 && micro_batches % pp != 0)
        throw ScenarioError("", "/training/global_batch_size",
                            name + " with virtual_stages = " + str(virtual_stages) + " runs micro-batches in groups of pp, so needs a multiple of " +
                                str(pp) + per_rank + str(micro_batches));
}

int PipelineSchedule::rank_of(int micro_batch, int stage) const {
    switch (schedule) {
        case Schedule::DualPipe: return micro_batch < micro_batches / 2 ? stage : pp - 1 - stage;
        case Schedule::DualPipeV: return stage < pp ? stage : 2 * pp - 1 - stage;
        default: return stage % pp;
    }
}

PipelineSchedule make_pipeline_schedule(Schedule schedule, int pp, int micro_batches, int virtual_stages) {
    MOESIM_CHECK(pp >= 1 && micro_batches >= 1 && virtual_stages >= 1, "pipeline schedule: positive sizes");
    check_schedule_layout(schedule, pp, micro_batches, virtual_stages);
    PipelineSchedule s;
    s.schedule = schedule;
    s.pp = pp;
    s.virtual_stages = schedule == Schedule::Interleaved1F1B ? virtual_stages : 1;
    s.micro_batches = micro_batches;
    s.stages = pipeline_stage_count(schedule, pp, s.virtual_stages);
    s.ranks.resize(static_cast<std::size_t>(pp));
    for (int r = 0; r < pp; ++r) {
        auto& out = s.ranks[static_cast<std::size_t>(r)];
        switch (schedule) {
            case Schedule::GPipe: out = gpipe(micro_batches, r); break;
            case Schedule::OneFOneB: out = one_f_one_b(pp, micro_batches, r, false); break;
            case Schedule::ZB1P: out = one_f_one_b(pp, micro_batches, r, true); break;
            case Schedule::Interleaved1F1B: out = interleaved(pp, s.virtual_stages, micro_batches, r); break;
            case Schedule::DualPipe: out = DualPipeRank(false, pp, micro_batches, r).run(); break;
            case Schedule::DualPipeV: out = DualPipeRank(true, pp, micro_batches, r).run(); break;
            case Schedule::Invalid: MOESIM_CHECK(false, "pipeline schedule: Invalid");
        }
    }
    return s;
}

std::string describe(const PipelineOp& o) {
    if (o.kind == PipelineOpKind::FB) return part_text("F", o.part) + " & " + part_text("BW", o.backward);
    return part_text(to_string(o.kind).c_str(), o.part);
}

std::vector<OpDependency> schedule_dependencies(const PipelineSchedule& s) {
    // Where each pass of each (micro-batch, stage) runs: 0 forward, 1 input gradient, 2 weight.
    const std::size_t cells = static_cast<std::size_t>(s.micro_batches) * static_cast<std::size_t>(s.stages);
    std::array<std::vector<OpRef>, 3> where;
    for (auto& w : where) w.assign(cells, OpRef{});
    const auto cell = [&](const OpPart& p) {
        MOESIM_CHECK(p.micro_batch >= 0 && p.micro_batch < s.micro_batches && p.stage >= 0 && p.stage < s.stages,
                     "pipeline schedule: operation out of range");
        return static_cast<std::size_t>(p.micro_batch) * static_cast<std::size_t>(s.stages) + static_cast<std::size_t>(p.stage);
    };
    const auto put = [&](int pass, const OpPart& p, OpRef ref) {
        OpRef& slot = where[static_cast<std::size_t>(pass)][cell(p)];
        MOESIM_CHECK(!slot.valid(), "pipeline schedule: a pass of " + part_text("", p) + " appears twice");
        slot = ref;
    };
    for_each_op(s, [&](const PipelineOp& o, OpRef ref) {
        switch (o.kind) {
            case PipelineOpKind::F: put(0, o.part, ref); break;
            case PipelineOpKind::B: put(1, o.part, ref); break;
            case PipelineOpKind::W: put(2, o.part, ref); break;
            case PipelineOpKind::BW: put(1, o.part, ref); put(2, o.part, ref); break;
            case PipelineOpKind::FB: put(0, o.part, ref); put(1, o.backward, ref); put(2, o.backward, ref); break;
        }
    });
    std::vector<OpDependency> deps;
    const auto need = [&](int pass, int mb, int stage, OpRef after) {
        const OpRef before = where[static_cast<std::size_t>(pass)][cell(OpPart{mb, stage, 0, 0})];
        MOESIM_CHECK(before.valid(), "pipeline schedule: pass " + std::to_string(pass) + " of mb" + std::to_string(mb) +
                                         " s" + std::to_string(stage) + " is missing");
        if (before.rank != after.rank || before.index != after.index) deps.push_back({before, after});
    };
    const auto forward_deps = [&](const OpPart& p, OpRef ref) {
        if (p.stage > 0) need(0, p.micro_batch, p.stage - 1, ref);
    };
    const auto backward_deps = [&](const OpPart& p, OpRef ref) {
        need(0, p.micro_batch, p.stage, ref);
        if (p.stage + 1 < s.stages) need(1, p.micro_batch, p.stage + 1, ref);
    };
    for_each_op(s, [&](const PipelineOp& o, OpRef ref) {
        switch (o.kind) {
            case PipelineOpKind::F: forward_deps(o.part, ref); break;
            case PipelineOpKind::B:
            case PipelineOpKind::BW: backward_deps(o.part, ref); break;
            case PipelineOpKind::W: need(1, o.part.micro_batch, o.part.stage, ref); break;
            case PipelineOpKind::FB: forward_deps(o.part, ref); backward_deps(o.backward, ref); break;
        }
    });
    for (int pass = 0; pass < 3; ++pass)
        for (std::size_t c = 0; c < cells; ++c)
            MOESIM_CHECK(where[static_cast<std::size_t>(pass)][c].valid(),
                         "pipeline schedule: pass " + std::to_string(pass) + " of mb" +
                             std::to_string(c / static_cast<std::size_t>(s.stages)) + " s" +
                             std::to_string(c % static_cast<std::size_t>(s.stages)) + " never runs");
    return deps;
}

}  // namespace moesim::workload
