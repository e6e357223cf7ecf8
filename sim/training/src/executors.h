#pragma once
// Internal to sim/training: the three executors of a step (simulate.h), each reading its
// durations from the chunk program and returning a StepTrace.
#include "moesim/training/chunk_program.h"
#include "moesim/training/setup.h"
#include "moesim/training/simulate.h"
#include "moesim/workload/pipeline_schedule.h"
#include "step_trace.h"

namespace moesim::training::detail {

// Closed form: each pipeline rank's micro-batches and its schedule's bubble formula.
StepTrace run_analytic(const TrainingSetup& setup, const ChunkProgram& program);

// One pipeline replica on the engine, chunk by chunk (event_graph.h).
StepTrace run_event(const TrainingSetup& setup, const ChunkProgram& program, const workload::PipelineSchedule& schedule,
                    const StepOptions& options);

// Every GPU, layer by layer (full_engine.h).
StepTrace run_full(const TrainingSetup& setup, const ChunkProgram& program, const workload::PipelineSchedule& schedule,
                   const StepOptions& options);

}  // namespace moesim::training::detail
