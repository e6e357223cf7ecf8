#pragma once
// Internal to sim/training: the one assembler of a step (simulate.h). A StepTrace from any
// executor becomes the TrainingResult — step time, throughput and cost, bubble, exposed
// communication, the breakdown of the critical rank, the assumptions — and the timeline.
#include <string>
#include <vector>

#include "moesim/training/chunk_program.h"
#include "moesim/training/simulate.h"
#include "step_trace.h"

namespace moesim::training::detail {

// `schedule`: the one the executor ran (empty for the analytic estimate).
TrainingRun assemble(const TrainingSetup& setup, Fidelity fidelity, const ChunkProgram& program,
                     workload::PipelineSchedule schedule, StepTrace trace);

// The result's assumption lines: how the fidelity models the step, then the costs' sources.
std::vector<std::string> step_assumptions(const TrainingSetup& setup, Fidelity fidelity, const ChunkProgram& program,
                                          const workload::PipelineSchedule& schedule, const StepTrace& trace);

// The trace's activities, named.
std::vector<TimelineEntry> name_timeline(const TrainingSetup& setup, const ChunkProgram& program,
                                         const workload::PipelineSchedule& schedule,
                                         const std::vector<TimelineRecord>& records);

}  // namespace moesim::training::detail
