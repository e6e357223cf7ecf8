// The idealized schedule simulation (schedule_ideal.h) on the event fidelity's task graph.
#include "moesim/training/schedule_ideal.h"

#include "event_graph.h"
#include "moesim/common/error.h"

namespace moesim::training {

using workload::PipelineOp;
using workload::PipelineOpKind;

IdealRun simulate_schedule_ideal(workload::Schedule schedule, int pp, int micro_batches, const IdealDurations& d,
                                 int virtual_stages) {
    MOESIM_CHECK(d.f_ps >= 0 && d.b_ps >= 0 && d.w_ps >= 0, "ideal durations must not be negative");
    IdealRun out;
    out.schedule = workload::make_pipeline_schedule(schedule, pp, micro_batches, virtual_stages);
    const Picoseconds fb = d.fb_ps < 0 ? d.f_ps + d.b_ps + d.w_ps : d.fb_ps;
    const auto cost = [&](int, const PipelineOp& o) {
        detail::OpCost c;
        switch (o.kind) {
            case PipelineOpKind::F: c.compute_ps = d.f_ps; break;
            case PipelineOpKind::B: c.compute_ps = d.b_ps; break;
            case PipelineOpKind::W: c.compute_ps = d.w_ps; break;
            case PipelineOpKind::BW: c.compute_ps = d.b_ps + d.w_ps; break;
            case PipelineOpKind::FB: c.compute_ps = fb; break;
        }
        return c;
    };
    const detail::GraphRun g = detail::run_schedule_graph(out.schedule, cost);
    out.makespan_ps = g.makespan_ps;
    out.busy_ps.assign(static_cast<std::size_t>(pp), 0);
    out.op_times.resize(static_cast<std::size_t>(pp));
    for (int r = 0; r < pp; ++r) {
        auto& times = out.op_times[static_cast<std::size_t>(r)];
        for (engine::ActivityId a : g.compute_of[static_cast<std::size_t>(r)]) {
            const auto& info = g.activities[a];
            times.push_back({info.start_ps, info.end_ps});
            out.busy_ps[static_cast<std::size_t>(r)] += info.end_ps - info.start_ps;
        }
    }
    return out;
}

}  // namespace moesim::training
