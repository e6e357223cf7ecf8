#pragma once
// Internal to sim/training: the pipeline schedule of a setup, for the modes that simulate it.
#include "moesim/training/setup.h"
#include "moesim/workload/pipeline_schedule.h"

namespace moesim::training::detail {

// Throws ScenarioError naming the scenario file for parameters prepare_training() lets through
// (an interleaved schedule whose micro-batches are not a multiple of pp).
workload::PipelineSchedule setup_schedule(const TrainingSetup& st);

}  // namespace moesim::training::detail
