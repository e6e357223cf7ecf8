#include "step_phases.h"

#include <algorithm>
#include <array>

#include "moesim/common/error.h"
#include "ps_time.h"

namespace moesim::training::detail {

namespace {

using workload::PipelineOp;
using workload::PipelineOpKind;

enum Phase { kWarmup, kSteady, kCooldown, kTail, kPhases };

bool has_forward(const PipelineOp& o) { return o.kind == PipelineOpKind::F || o.kind == PipelineOpKind::FB; }
bool has_backward(const PipelineOp& o) {
    return o.kind == PipelineOpKind::B || o.kind == PipelineOpKind::BW || o.kind == PipelineOpKind::FB;
}

double op_s(const ChunkProgram& prog, const PipelineOp& o) {
    const ChunkPs& c = prog.stages.at(static_cast<std::size_t>(o.part.stage)).chunk;
    switch (o.kind) {
        case PipelineOpKind::F: return to_s(c.forward) + c.forward_comm_s;
        case PipelineOpKind::B: return to_s(c.backward) + c.backward_comm_s;
        case PipelineOpKind::W: return to_s(c.weight);
        case PipelineOpKind::BW: return to_s(c.backward_weight) + c.backward_comm_s;
        case PipelineOpKind::FB: return to_s(prog.pair_timing(o.part.stage, o.backward.stage).span_ps);
    }
    return 0;
}

}  // namespace

std::vector<PhaseEntry> step_phases(const ChunkProgram& prog, const workload::PipelineSchedule& schedule,
                                    const StepTrace& t, int pipeline_rank) {
    const auto& ops = schedule.ranks.at(static_cast<std::size_t>(pipeline_rank));
    const DataParallelTimes& dp = prog.data_parallel.at(static_cast<std::size_t>(pipeline_rank));
    int first_backward = static_cast<int>(ops.size()), last_forward = -1, last_backward = -1;
    for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
        const PipelineOp& o = ops[static_cast<std::size_t>(i)];
        if (has_backward(o)) first_backward = std::min(first_backward, i), last_backward = i;
        if (has_forward(o)) last_forward = i;
    }
    std::array<double, kPhases> share{};
    for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
        const PipelineOp& o = ops[static_cast<std::size_t>(i)];
        const Phase ph = i < first_backward ? kWarmup
                         : i <= last_forward ? kSteady
                         : (o.kind == PipelineOpKind::W && i > last_backward) ? kTail
                                                                              : kCooldown;
        share[ph] += op_s(prog, o);
    }
    double total = 0;
    for (double s : share) total += s;
    MOESIM_CHECK(total > 0, "a pipeline rank with operations");
    const double idle = t.bubble_s + t.straggler_wait_s;
    const double busy = std::max(0.0, t.step_s - idle - t.exposed.dp_s - t.optimizer_s);
    std::vector<PhaseEntry> out;
    const char* names[kPhases] = {"warmup_forward", "steady_pairs", "cooldown_backward", "weight_grad_tail"};
    for (int ph = 0; ph < kPhases; ++ph) out.push_back({names[ph], "", busy * share[static_cast<std::size_t>(ph)] / total});
    out.push_back({"bubble", "", idle});
    // The trace's optimizer time is the rank's: grad norm + clip + Adam (data_parallel_times).
    const double scale = dp.optimizer_s > 0 ? t.optimizer_s / dp.optimizer_s : 0.0;
    out.push_back({"optimizer", "grad_norm_all_reduce", dp.grad_norm_s * scale});
    out.push_back({"optimizer", "clip", dp.clip_s * scale});
    out.push_back({"optimizer", "adam", dp.adam_s * scale});
    out.push_back({"optimizer", "dp_exposed", t.exposed.dp_s});
    return out;
}

}  // namespace moesim::training::detail
