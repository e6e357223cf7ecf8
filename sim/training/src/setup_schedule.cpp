#include "setup_schedule.h"

#include "moesim/common/error.h"

namespace moesim::training::detail {

workload::PipelineSchedule setup_schedule(const TrainingSetup& st) {
    const auto& sc = st.scenario;
    const auto& p = sc.parallelism;
    MOESIM_CHECK(st.micro_batches >= 1 && st.micro_batches <= 1'000'000, "simulation: micro-batch count");
    workload::PipelineSchedule s;
    try {
        s = workload::make_pipeline_schedule(p.schedule, p.pp, static_cast<int>(st.micro_batches), p.virtual_stages);
    } catch (const ScenarioError& e) {
        throw ScenarioError(sc.source_file, e.json_path(), e.message());
    }
    MOESIM_CHECK(s.stages == static_cast<int>(st.layout.stages.size()), "simulation: stage count");
    return s;
}

}  // namespace moesim::training::detail
