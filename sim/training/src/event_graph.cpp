// The event executor's task graph (event_graph.h): pass 1 chains every rank's activities in the
// schedule's order, pass 2 adds the data dependencies between stages, then the engine runs it.
#include "event_graph.h"

#include <utility>

#include "moesim/common/error.h"
#include "moesim/engine/simulator.h"
#include "moesim/engine/task_graph.h"

namespace moesim::training::detail {

using engine::ActivityId;
using workload::OpPart;
using workload::PipelineOp;
using workload::PipelineOpKind;

namespace {

constexpr ActivityId kNone = static_cast<ActivityId>(-1);

// What a consumer on another rank waits for: the producing op's end, or its PP send.
struct Ready {
    ActivityId a = 0, b = 0;
    std::uint8_t count = 0;  // 0: not produced (a bug), 1 or 2 activities
};

class GraphBuilder {
public:
    GraphBuilder(const workload::PipelineSchedule& s, const std::function<OpCost(int, const PipelineOp&)>& cost)
        : s_(s), cost_(cost), overlapped_comm_(s.ranks.size()) {
        std::size_t op_count = 0;
        for (const auto& r : s.ranks) op_count += r.size();
        g_.reserve(op_count * 3, op_count * 6);
        out_.activities.reserve(op_count * 3);
        out_.compute_of.resize(s.ranks.size());
        const std::size_t cells = static_cast<std::size_t>(s.micro_batches) * static_cast<std::size_t>(s.stages);
        forward_ready_.resize(cells);
        backward_ready_.resize(cells);
    }

    GraphRun run() {
        for (int r = 0; r < s_.pp; ++r) add_rank(r);
        // Data dependencies between stages (those on one rank are met by its order, but adding
        // them costs nothing and guards against a schedule that breaks them).
        for (int r = 0; r < s_.pp; ++r) add_inputs(r);
        engine::Simulator sim(std::move(g_));
        out_.makespan_ps = sim.run();
        for (std::size_t a = 0; a < out_.activities.size(); ++a) {
            const auto& t = sim.timing(static_cast<ActivityId>(a));
            MOESIM_CHECK(t.end_ps != engine::kNever, "event simulation: an activity never ran (dependency cycle)");
            out_.activities[a].start_ps = t.start_ps;
            out_.activities[a].end_ps = t.end_ps;
        }
        return std::move(out_);
    }

private:
    std::size_t cell(int mb, int stage) const {
        return static_cast<std::size_t>(mb) * static_cast<std::size_t>(s_.stages) + static_cast<std::size_t>(stage);
    }
    ActivityId add(Picoseconds d, engine::ResourceId res, int rank, int op, ActivityKind kind) {
        const ActivityId a = g_.add_activity(d, res);
        out_.activities.push_back({rank, op, kind, 0, 0});
        return a;
    }
    void after(const Ready& before, ActivityId a) {
        if (before.count >= 1) g_.add_dependency(before.a, a);
        if (before.count >= 2) g_.add_dependency(before.b, a);
    }

    // Pass 1: rank r's activities, chained in the schedule's order, on three serial resources.
    void add_rank(int r) {
        const auto compute_res = g_.add_resource("rank " + std::to_string(r) + " compute");
        const auto comm_res = g_.add_resource("rank " + std::to_string(r) + " communication");
        // PP sends have their own stream (NCCL p2p beside DeepEP's kernels): a send does not
        // hold up the next chunk's collectives, nor they it.
        const auto send_res = g_.add_resource("rank " + std::to_string(r) + " pipeline sends");
        const auto& ops = s_.ranks[static_cast<std::size_t>(r)];
        auto& compute_of = out_.compute_of[static_cast<std::size_t>(r)];
        compute_of.reserve(ops.size());
        auto& overlapped_of = overlapped_comm_[static_cast<std::size_t>(r)];
        overlapped_of.assign(ops.size(), kNone);
        Ready prev;  // the previous op's end
        for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
            const PipelineOp& o = ops[static_cast<std::size_t>(i)];
            const OpCost c = cost_(r, o);
            MOESIM_CHECK(c.compute_ps >= 0 && c.comm_ps >= 0 && c.pp_forward_ps >= 0 && c.pp_backward_ps >= 0,
                         "event simulation: negative duration");
            const ActivityId comp = add(c.compute_ps, compute_res, r, i, ActivityKind::Compute);
            compute_of.push_back(comp);
            after(prev, comp);
            Ready end{comp, 0, 1};
            if (c.comm_ps > 0) {
                const ActivityId k = add(c.comm_ps, comm_res, r, i, ActivityKind::Collective);
                if (c.comm_overlapped) {
                    after(prev, k);
                    overlapped_of[static_cast<std::size_t>(i)] = k;
                    end = Ready{comp, k, 2};
                } else {
                    g_.add_dependency(comp, k);
                    end = Ready{k, 0, 1};
                }
            }
            const auto publish = [&](const OpPart& p, bool forward) {
                publish_output(r, i, p, forward, forward ? c.pp_forward_ps : c.pp_backward_ps, end, send_res);
            };
            switch (o.kind) {
                case PipelineOpKind::F: publish(o.part, true); break;
                case PipelineOpKind::B:
                case PipelineOpKind::BW: publish(o.part, false); break;
                case PipelineOpKind::W: break;
                case PipelineOpKind::FB:
                    publish(o.part, true);
                    publish(o.backward, false);
                    break;
            }
            prev = end;
        }
    }

    // PP: what the neighbouring stage's rank waits for — the op's end, or its send.
    void publish_output(int r, int i, const OpPart& p, bool forward, Picoseconds send, const Ready& end,
                        engine::ResourceId send_res) {
        const int next_stage = forward ? p.stage + 1 : p.stage - 1;
        Ready& slot = forward ? forward_ready_[cell(p.micro_batch, p.stage)] : backward_ready_[cell(p.micro_batch, p.stage)];
        if (next_stage < 0 || next_stage >= s_.stages || s_.rank_of(p.micro_batch, next_stage) == r || send == 0) {
            slot = end;
            return;
        }
        const ActivityId k = add(send, send_res, r, i, forward ? ActivityKind::PpSendForward : ActivityKind::PpSendBackward);
        after(end, k);
        slot = Ready{k, 0, 1};
    }

    // Pass 2: each of rank r's operations waits for its inputs from the neighbouring stages (an
    // overlapped pair's collectives too).
    void add_inputs(int r) {
        const auto& ops = s_.ranks[static_cast<std::size_t>(r)];
        for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
            const PipelineOp& o = ops[static_cast<std::size_t>(i)];
            const ActivityId comp = out_.compute_of[static_cast<std::size_t>(r)][static_cast<std::size_t>(i)];
            const ActivityId comm = overlapped_comm_[static_cast<std::size_t>(r)][static_cast<std::size_t>(i)];
            const auto wait = [&](const Ready& rd) {
                MOESIM_CHECK(rd.count > 0, "event simulation: a chunk's input is never produced before it is used");
                for (const ActivityId a : {comp, comm}) {
                    if (a == kNone) continue;
                    g_.add_dependency(rd.a, a);
                    if (rd.count > 1) g_.add_dependency(rd.b, a);
                }
            };
            const auto needs_forward = [&](const OpPart& p) {
                if (p.stage > 0) wait(forward_ready_[cell(p.micro_batch, p.stage - 1)]);
            };
            const auto needs_backward = [&](const OpPart& p) {
                if (p.stage + 1 < s_.stages) wait(backward_ready_[cell(p.micro_batch, p.stage + 1)]);
            };
            switch (o.kind) {
                case PipelineOpKind::F: needs_forward(o.part); break;
                case PipelineOpKind::B:
                case PipelineOpKind::BW: needs_backward(o.part); break;
                case PipelineOpKind::W: break;
                case PipelineOpKind::FB:
                    needs_forward(o.part);
                    needs_backward(o.backward);
                    break;
            }
        }
    }

    const workload::PipelineSchedule& s_;
    const std::function<OpCost(int, const PipelineOp&)>& cost_;
    engine::TaskGraph g_;
    GraphRun out_;
    // An overlapped pair's collectives (they wait for the pair's inputs too), per rank and op.
    std::vector<std::vector<ActivityId>> overlapped_comm_;
    std::vector<Ready> forward_ready_, backward_ready_;  // per (micro-batch, stage)
};

}  // namespace

GraphRun run_schedule_graph(const workload::PipelineSchedule& s,
                            const std::function<OpCost(int, const PipelineOp&)>& cost) {
    return GraphBuilder(s, cost).run();
}

}  // namespace moesim::training::detail
