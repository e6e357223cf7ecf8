// simulate_training() (simulate.h): the schedule, the chunk program, the executor of the
// fidelity, the assembler.
#include "moesim/training/simulate.h"

#include "assemble.h"
#include "executors.h"
#include "moesim/common/error.h"
#include "setup_schedule.h"

namespace moesim::training {

TrainingRun simulate_training(const TrainingSetup& st, Fidelity fidelity, const StepOptions& options) {
    MOESIM_CHECK(fidelity != Fidelity::Invalid, "simulate_training: invalid fidelity");
    // The closed form needs no schedule (nor checks that it can be made).
    workload::PipelineSchedule schedule;
    if (fidelity != Fidelity::Analytic) schedule = detail::setup_schedule(st);
    const detail::ChunkProgram program = detail::build_chunk_program(st);
    detail::StepTrace trace;
    switch (fidelity) {
        case Fidelity::Analytic: trace = detail::run_analytic(st, program); break;
        case Fidelity::Event: trace = detail::run_event(st, program, schedule, options); break;
        case Fidelity::Full: trace = detail::run_full(st, program, schedule, options); break;
        case Fidelity::Invalid: break;
    }
    TrainingRun run = detail::assemble(st, fidelity, program, std::move(schedule), std::move(trace));
    run.result.traffic = run.stats.traffic;
    return run;
}

}  // namespace moesim::training
