// Names of a step's traced activities (assemble.h): chunk operations as the schedule writes
// them ("F mb3 s0"), steps of a chunk with their layer and part ("F mb3 s0 layer.4 attention",
// "EP dispatch layer.4 F mb3 s0"), pipeline sends, the data-parallel tail.
#include <string>

#include "assemble.h"

namespace moesim::training::detail {

using workload::PipelineOp;
using workload::PipelineOpKind;

namespace {

const char* pass_name(int pass) {
    switch (pass) {
        case kF: return "F";
        case kB: return "B";
        case kW: return "W";
        default: return "BW";
    }
}

TraceThread thread_of(const ChunkProgram& prog, const workload::OpPart& part, const TimelineRecord& e) {
    switch (e.kind) {
        case RecordKind::Chunk:
        case RecordKind::AdamStep: return TraceThread::Compute;
        case RecordKind::ChunkCollectives:
        case RecordKind::Wait: return TraceThread::Collectives;
        case RecordKind::PpSend: return TraceThread::PipelineSends;
        case RecordKind::DpReduce:
        case RecordKind::DpGather: return TraceThread::DataParallel;
        case RecordKind::Step: break;
    }
    const Step& s = prog.stages[static_cast<std::size_t>(part.stage)].steps[e.pass].at(static_cast<std::size_t>(e.step));
    return is_collective(s) ? TraceThread::Collectives : TraceThread::Compute;
}

std::string name_of(const TrainingSetup& st, const ChunkProgram& prog, const PipelineOp& o,
                    const workload::OpPart& part, const TimelineRecord& e) {
    const std::string chunk = " mb" + std::to_string(part.micro_batch) + " s" + std::to_string(part.stage);
    switch (e.kind) {
        case RecordKind::Chunk: return workload::describe(o);
        case RecordKind::ChunkCollectives: return "EP/TP " + workload::describe(o);
        case RecordKind::PpSend: return std::string("PP send ") + (e.half == 0 ? "F" : "B") + chunk;
        case RecordKind::DpReduce:
            return st.scenario.parallelism.zero_stage == 0 ? "DP all-reduce" : "DP reduce-scatter";
        case RecordKind::AdamStep: return "Adam step";
        case RecordKind::DpGather: return "DP all-gather (beyond the next forward chunk)";
        case RecordKind::Step:
        case RecordKind::Wait: break;
    }
    const Step& s = prog.stages[static_cast<std::size_t>(part.stage)].steps[e.pass].at(static_cast<std::size_t>(e.step));
    const std::string layer = st.model.layers.at(static_cast<std::size_t>(s.layer)).name;
    if (!is_collective(s)) return std::string(pass_name(e.pass)) + chunk + " " + layer + " " + to_string(s.segment);
    return std::string(e.kind == RecordKind::Wait ? "wait for " : "") + to_string(s.segment) + " " + layer + " " +
           pass_name(e.pass) + chunk;
}

}  // namespace

std::vector<TimelineEntry> name_timeline(const TrainingSetup& st, const ChunkProgram& prog,
                                         const workload::PipelineSchedule& sched,
                                         const std::vector<TimelineRecord>& records) {
    std::vector<TimelineEntry> out;
    out.reserve(records.size());
    for (const TimelineRecord& e : records) {
        TimelineEntry x;
        x.rank = e.rank;
        x.start_ps = e.start_ps;
        x.end_ps = e.end_ps;
        const bool tail = e.kind == RecordKind::DpReduce || e.kind == RecordKind::AdamStep || e.kind == RecordKind::DpGather;
        static const PipelineOp kNone{};
        const PipelineOp& o = tail ? kNone : sched.ranks[static_cast<std::size_t>(e.pipe)][static_cast<std::size_t>(e.op)];
        const workload::OpPart& part = o.kind == PipelineOpKind::FB && e.half == 1 ? o.backward : o.part;
        x.thread = thread_of(prog, part, e);
        x.name = name_of(st, prog, o, part, e);
        x.communication = x.thread != TraceThread::Compute;
        out.push_back(std::move(x));
    }
    return out;
}

}  // namespace moesim::training::detail
