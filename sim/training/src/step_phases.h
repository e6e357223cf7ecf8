#pragma once
// Internal to sim/training: the step by schedule phase (TrainingResult::phases), from an
// executor's step trace and the reported rank's schedule order.
//
// The reported pipeline rank's operations, in its schedule order, fall in four phases:
//   warmup_forward     the forward chunks before its first backward (F),
//   steady_pairs       from its first backward to its last forward: 1F1B's alternation, or
//                      DualPipe's overlapped pairs (FB) with the F and B between them,
//   cooldown_backward  the backward chunks after its last forward (B, BW, and W before the
//                      last B),
//   weight_grad_tail   the weight-gradient chunks after its last backward (ZB1P's W).
// The trace's busy time (the step less its bubble, straggler waits, exposed data-parallel
// collectives and optimizer step) is split over them in proportion to their operations'
// durations in the chunk program (F: forward + its EP/TP collectives; B, BW: backward + its
// collectives; W: weight gradients; FB: the pair's span). bubble is the trace's bubble and
// straggler waits. optimizer is the optimizer step, by part: grad_norm_all_reduce, clip, adam,
// and dp_exposed (the gradient reduce-scatter and ZeRO parameter all-gather beyond the chunks
// they overlap). The rows add up to step_s.
#include <vector>

#include "moesim/training/chunk_program.h"
#include "moesim/training/result.h"
#include "moesim/training/setup.h"
#include "moesim/workload/pipeline_schedule.h"
#include "step_trace.h"

namespace moesim::training::detail {

// `pipeline_rank`: the reported rank's (a full trace's critical GPU mapped to its pipeline rank).
std::vector<PhaseEntry> step_phases(const ChunkProgram& program, const workload::PipelineSchedule& schedule,
                                    const StepTrace& trace, int pipeline_rank);

}  // namespace moesim::training::detail
