// The full executor's process walk (full_engine.h). Hot path: keep the per-GPU
// state small and free of heap allocations; nothing here grows with layers × micro-batches
// except the pipeline-input slots.
#include "full_engine.h"

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "moesim/common/error.h"

namespace moesim::training::detail {

using workload::PipelineOp;
using workload::PipelineOpKind;

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

enum class State : std::uint8_t { Start, Walk, Pair, AtCollective, AtInput, Done };

// A pipeline send waiting to learn how much of it the GPU's later computation covers.
struct PendingSend {
    Picoseconds start_ps = 0, end_ps = 0, covered_ps = 0;
};
constexpr int kPending = 8;

// An overlapped pair in progress (pair_order.h): two chains on two in-order streams.
struct PairState {
    PairCursor cursor;
    Picoseconds start = 0;                 // the pair's
    Picoseconds compute = 0, comm = 0;     // when each stream is next free
    std::array<Picoseconds, 2> ready{};    // each chain's last step's end
    // Each chain's last collective: when it started (its last member arrived) and when this
    // GPU arrived; whether it was an EP one. comm_chain: the chain of the last collective.
    std::array<Picoseconds, 2> collective_start{}, arrived{};
    std::array<bool, 2> ep{};
    std::uint8_t comm_chain = 0;
    SideStream side;                       // the backward chunk's weight gradients (pair_order.h)
};

struct Proc {
    Picoseconds t = 0;            // Walk: the chain's time; Pair: the arrival at a collective
    Picoseconds op_end = 0;       // end of the previous operation
    PairState pair;
    Picoseconds pp_free = 0;      // pipeline-send stream
    Picoseconds arrive = 0;       // at the collective it waits for
    Picoseconds coll_start = 0;   // when the collective it last completed started
    RankTally tally;
    const Step* steps = nullptr;  // the list being walked
    std::int64_t wait_slot = -1;  // AtInput: the pipeline input it waits for
    std::int32_t op = 0;          // index in the pipeline rank's order
    std::int32_t step = 0;        // next step of `steps`
    std::int32_t nsteps = 0;
    std::int32_t mb = 0;          // Walk: the chunk's micro-batch
    State state = State::Start;
    std::uint8_t pass = 0;        // Walk: kF, kB, kW, kBW
    bool in_pair = false;
    bool queued = false;
    bool recording = false;
    std::uint8_t pending_head = 0, pending_count = 0;
    std::array<PendingSend, kPending> pending{};
};

// A group's collective in flight (one at a time: a member cannot reach the next before this
// one has completed) and the end of the last completed one.
struct Group {
    std::int32_t arrived = 0;
    Picoseconds max_arrival = 0;
    Picoseconds start = 0, end = 0;  // of the last one started / completed
};

// A communication start waiting for its time (flows only).
struct PendingStart {
    Picoseconds time = 0;
    std::uint64_t sequence = 0;
    std::uint64_t token = 0;
    const Step* step = nullptr;  // collectives
    int first = 0, size = 0;     // collective: first global rank, group size; send: from, to
    Picoseconds ideal_ps = 0;    // sends
};
bool starts_later(const PendingStart& a, const PendingStart& b) {
    return a.time > b.time || (a.time == b.time && a.sequence > b.sequence);
}
// Tokens: what kind of communication ended, and which group or pipeline slot.
constexpr std::uint64_t kTokenEp = 0, kTokenTp = 1ULL << 62, kTokenPp = 2ULL << 62, kTokenIndex = (1ULL << 62) - 1;

class Engine {
public:
    Engine(const ChunkProgram& prog, const workload::PipelineSchedule& sched, const FullShape& shape,
           const std::vector<char>& recorded, const ProgressHook& progress, CommFlows* flows)
        : prog_(prog), sched_(sched), shape_(shape), procs_(static_cast<std::size_t>(shape.ranks())),
          progress_(progress), flows_(flows) {
        MOESIM_CHECK(shape.span % shape.ep == 0 && shape.span % shape.tp == 0, "full simulation: groups span whole EP/TP groups");
        for (std::size_t r = 0; r < procs_.size(); ++r) procs_[r].recording = r < recorded.size() && recorded[r];
        ep_groups_.resize(static_cast<std::size_t>(shape.pp * (shape.span / shape.ep)));
        tp_groups_.resize(static_cast<std::size_t>(shape.pp * (shape.span / shape.tp)));
        slots_.assign(static_cast<std::size_t>(shape.span) * static_cast<std::size_t>(sched.micro_batches) *
                          static_cast<std::size_t>(sched.stages) * 2,
                      -1);
        if (flows_) pp_consumer_.assign(slots_.size(), 0);
    }

    EngineResult run() {
        const int n = shape_.ranks();
        queue_.reserve(static_cast<std::size_t>(n));
        for (int r = n - 1; r >= 0; --r) wake(r);
        out_.wakeups = 0;
        if (progress_)
            for (int r = 0; r < n; ++r) ops_total_ += static_cast<std::int64_t>(ops(r).size());
        for (;;) {
            while (!queue_.empty()) {
                const int r = queue_.back();
                queue_.pop_back();
                procs_[static_cast<std::size_t>(r)].queued = false;
                advance(r);
            }
            if (!flows_ || !next_instant()) break;
        }
        out_.ranks.reserve(procs_.size());
        for (std::size_t r = 0; r < procs_.size(); ++r) {
            const Proc& p = procs_[r];
            if (p.state != State::Done)
                MOESIM_CHECK(false, "full simulation: GPU " + std::to_string(shape_.global_rank(static_cast<int>(r))) +
                                        " never finished (stuck at operation " + std::to_string(p.op) +
                                        "): a dependency cycle");
            out_.ranks.push_back(p.tally);
        }
        if (progress_) progress_(ops_done_, ops_total_);
        out_.state_bytes = static_cast<std::int64_t>(procs_.size() * sizeof(Proc) + slots_.size() * sizeof(Picoseconds) +
                                                     (ep_groups_.size() + tp_groups_.size()) * sizeof(Group) +
                                                     queue_.capacity() * sizeof(int) +
                                                     out_.entries.capacity() * sizeof(TimelineRecord));
        return std::move(out_);
    }

private:
    int pipe(int r) const { return r / shape_.span; }
    int q_of(int r) const { return r % shape_.span; }
    const std::vector<PipelineOp>& ops(int r) const { return sched_.ranks[static_cast<std::size_t>(pipe(r))]; }
    const StageProgram& stage(int s) const { return prog_.stages[static_cast<std::size_t>(s)]; }
    std::int64_t slot(int r, int mb, int st, int dir) const {
        return ((static_cast<std::int64_t>(q_of(r)) * sched_.micro_batches + mb) * sched_.stages + st) * 2 + dir;
    }

    void wake(int r) {
        Proc& p = procs_[static_cast<std::size_t>(r)];
        if (p.queued) return;
        p.queued = true;
        queue_.push_back(r);
        ++out_.wakeups;
    }

    void record(int r, const Proc& p, RecordKind kind, std::uint8_t half, std::uint8_t pass, std::int32_t step,
                Picoseconds s, Picoseconds e) {
        TimelineRecord x;
        x.rank = shape_.global_rank(r);
        x.pipe = pipe(r);
        x.op = p.op;
        x.kind = kind;
        x.half = half;
        x.pass = pass;
        x.step = step;
        x.start_ps = s;
        x.end_ps = e;
        out_.entries.push_back(x);
    }

    // Computation over [c0, c1) covers that much of the pending pipeline sends.
    void cover(Proc& p, Picoseconds c0, Picoseconds c1) {
        for (int i = 0; i < p.pending_count; ++i) {
            PendingSend& s = p.pending[static_cast<std::size_t>((p.pending_head + i) % kPending)];
            s.covered_ps += std::max<Picoseconds>(0, std::min(c1, s.end_ps) - std::max(c0, s.start_ps));
        }
        while (p.pending_count > 0) {  // later computation starts at c1 or after
            const PendingSend& s = p.pending[p.pending_head];
            if (s.end_ps > c1) break;
            retire(p);
        }
    }
    void retire(Proc& p) {
        const PendingSend& s = p.pending[p.pending_head];
        p.tally.pp_exposed_ps += s.end_ps - s.start_ps - s.covered_ps;
        p.pending_head = static_cast<std::uint8_t>((p.pending_head + 1) % kPending);
        --p.pending_count;
    }

    void advance(int r) {
        Proc& p = procs_[static_cast<std::size_t>(r)];
        for (;;) {
            switch (p.state) {
                case State::Done: return;
                case State::Start:
                case State::AtInput:
                    if (p.op == static_cast<std::int32_t>(ops(r).size())) {
                        finish(p);
                        return;
                    }
                    if (!start_op(r, p)) return;
                    break;
                case State::AtCollective: {
                    const Step& s = p.in_pair ? p.pair.cursor.peek() : p.steps[p.step];
                    const Group& g = s.kind == StepKind::EpCollective ? ep_group(r) : tp_group(r);
                    finish_collective(r, p, s, g.start, g.end);
                    if (p.in_pair) pair_collective_done(p, s);
                    else ++p.step;
                    p.state = p.in_pair ? State::Pair : State::Walk;
                    break;
                }
                case State::Walk:
                    if (!walk(r, p)) return;
                    break;
                case State::Pair:
                    if (!pair_walk(r, p)) return;
                    break;
            }
        }
    }

    Group& ep_group(int r) { return ep_groups_[static_cast<std::size_t>(pipe(r) * (shape_.span / shape_.ep) + q_of(r) / shape_.ep)]; }
    Group& tp_group(int r) { return tp_groups_[static_cast<std::size_t>(pipe(r) * (shape_.span / shape_.tp) + q_of(r) / shape_.tp)]; }

    // Starts operation p.op once its pipeline inputs are there; false when it must wait.
    bool start_op(int r, Proc& p) {
        const PipelineOp& o = ops(r)[static_cast<std::size_t>(p.op)];
        Picoseconds start = p.op_end;
        const auto need = [&](int mb, int st, int dir) {
            const std::int64_t k = slot(r, mb, st, dir);
            const Picoseconds v = slots_[static_cast<std::size_t>(k)];
            if (v < 0) {
                p.wait_slot = k;
                p.state = State::AtInput;
                return false;
            }
            start = std::max(start, v);
            return true;
        };
        const auto needs_forward = [&](const workload::OpPart& x) { return x.stage == 0 || need(x.micro_batch, x.stage - 1, 0); };
        const auto needs_backward = [&](const workload::OpPart& x) {
            return x.stage + 1 >= sched_.stages || need(x.micro_batch, x.stage + 1, 1);
        };
        switch (o.kind) {
            case PipelineOpKind::F:
                if (!needs_forward(o.part)) return false;
                begin_walk(p, o.part, kF, start);
                return true;
            case PipelineOpKind::B:
            case PipelineOpKind::BW:
                if (!needs_backward(o.part)) return false;
                begin_walk(p, o.part, o.kind == PipelineOpKind::B ? kB : kBW, start);
                return true;
            case PipelineOpKind::W: begin_walk(p, o.part, kW, start); return true;
            case PipelineOpKind::FB:
                if (!needs_forward(o.part) || !needs_backward(o.backward)) return false;
                begin_pair(p, o, start);
                return true;
        }
        return false;
    }

    void begin_walk(Proc& p, const workload::OpPart& part, Pass pass, Picoseconds start) {
        const auto& list = stage(part.stage).steps[pass];
        p.steps = list.data();
        p.nsteps = static_cast<std::int32_t>(list.size());
        p.step = 0;
        p.t = start;
        p.pass = pass;
        p.mb = part.micro_batch;
        p.in_pair = false;
        p.state = State::Walk;
    }

    Picoseconds experts_ps(int r, int table, int pass, int mb) const {
        const MoeTable& t = prog_.moe[static_cast<std::size_t>(table)];
        return t.ps[static_cast<std::size_t>(pass)][static_cast<std::size_t>(load_index(prog_, shape_, table, r, mb))];
    }

    // The weight-gradient part of a BW chunk's routed experts inside a pair (Step::side_ps).
    Picoseconds experts_side_ps(int r, int table, int mb) const {
        const MoeTable& t = prog_.moe[static_cast<std::size_t>(table)];
        return t.side_ps[static_cast<std::size_t>(load_index(prog_, shape_, table, r, mb))];
    }

    // A chunk outside an overlapped pair: its steps one after the other. False when blocked.
    bool walk(int r, Proc& p) {
        Picoseconds t = p.t;
        for (; p.step < p.nsteps; ++p.step) {
            const Step& s = p.steps[p.step];
            Picoseconds d = s.ps;
            switch (s.kind) {
                case StepKind::Experts: d = experts_ps(r, s.moe, p.pass, p.mb); [[fallthrough]];
                case StepKind::Compute:
                    if (p.pending_count) cover(p, t, t + d);
                    if (p.recording) record(r, p, RecordKind::Step, 0, p.pass, p.step, t, t + d);
                    p.tally.busy_ps += d;
                    t += d;
                    ++out_.activities;
                    break;
                case StepKind::EpCollective:
                case StepKind::TpCollective:
                    p.t = t;
                    if (!arrive(r, p, s)) return false;
                    t = p.t;
                    break;
            }
        }
        end_op(r, p, t);
        return true;
    }

    // DualPipe's overlapped pair: the two chunks' steps in the pair's program order on the
    // compute and collective streams (pair_order.h), computation slowed by the comm SMs.
    void begin_pair(Proc& p, const PipelineOp& o, Picoseconds start) {
        const StageProgram& f = stage(o.part.stage);
        const StageProgram& b = stage(o.backward.stage);
        PairState& q = p.pair;
        q = PairState{};
        q.cursor = PairCursor(prog_.pair_order(o.part.stage, o.backward.stage), f.steps[kF], b.steps[kBW]);
        q.start = q.compute = q.comm = start;
        q.ready = {start, start};
        out_.activities += static_cast<std::int64_t>(f.steps[kF].size() + b.steps[kBW].size()) - f.collectives[0] -
                           b.collectives[1];
        p.in_pair = true;
        p.state = State::Pair;
    }

    // The compute stream idle over [from, to), waiting for chain c's last collective: the part
    // before that collective started and after this GPU reached it is waiting for the group's
    // last member, the rest exposed communication.
    void pair_idle(Proc& p, int c, Picoseconds from, Picoseconds to) {
        const PairState& q = p.pair;
        const auto u = static_cast<std::size_t>(c);
        const Picoseconds wait = std::max<Picoseconds>(0, std::min(q.collective_start[u], to) - std::max(q.arrived[u], from));
        p.tally.wait_ps += wait;
        (q.ep[u] ? p.tally.ep_exposed_ps : p.tally.tp_exposed_ps) += to - from - wait;
    }

    // False when blocked at a collective.
    bool pair_walk(int r, Proc& p) {
        PairState& q = p.pair;
        const PipelineOp& o = ops(r)[static_cast<std::size_t>(p.op)];
        while (!q.cursor.done()) {
            const int c = q.cursor.chain();
            const auto u = static_cast<std::size_t>(c);
            const Step& s = q.cursor.peek();
            if (is_collective(s)) {
                p.t = std::max(q.comm, q.ready[u]);
                if (!arrive(r, p, s)) return false;
                pair_collective_done(p, s);
                continue;
            }
            const std::int32_t index = q.cursor.index();
            q.cursor.take();
            const bool experts = s.kind == StepKind::Experts;
            const int mb = c == 0 ? o.part.micro_batch : o.backward.micro_batch;
            const Picoseconds d = experts ? experts_ps(r, s.moe, c == 0 ? kFs : kBWs, mb) : s.slow_ps;
            const Picoseconds w = c == 1 ? (experts ? experts_side_ps(r, s.moe, mb) : s.side_ps) : 0;
            if (q.ready[u] > q.compute) {
                const Picoseconds filled = q.side.fill(q.ready[u] - q.compute);
                p.tally.busy_ps += filled;
                if (q.compute + filled < q.ready[u]) pair_idle(p, c, q.compute + filled, q.ready[u]);
                q.compute = q.ready[u];
            }
            if (p.recording)
                record(r, p, RecordKind::Step, static_cast<std::uint8_t>(c), static_cast<std::uint8_t>(c == 0 ? kF : kBW), index,
                       q.compute, q.compute + d - w);
            p.tally.busy_ps += d - w;
            q.compute += d - w;
            q.side.backlog += w;
            q.ready[u] = q.compute;
        }
        const Picoseconds filled = q.comm > q.compute ? q.side.fill(q.comm - q.compute) : 0;
        if (q.comm > q.compute + filled) pair_idle(p, q.comm_chain, q.compute + filled, q.comm);
        p.tally.busy_ps += filled + q.side.backlog;
        q.compute += filled + q.side.backlog;  // the side stream's rest after the last computation
        q.side.backlog = 0;
        const Picoseconds end = std::max(q.compute, q.comm);
        if (p.pending_count) cover(p, q.start, end);  // the pair holds the GPU throughout
        end_op(r, p, end);
        return true;
    }

    // The pair's collective `s` (the cursor's next step) has completed at p.t.
    void pair_collective_done(Proc& p, const Step& s) {
        PairState& q = p.pair;
        const int c = q.cursor.chain();
        const auto u = static_cast<std::size_t>(c);
        q.cursor.take();
        q.comm = q.ready[u] = p.t;
        q.collective_start[u] = p.coll_start;
        q.arrived[u] = p.arrive;
        q.ep[u] = s.kind == StepKind::EpCollective;
        q.comm_chain = static_cast<std::uint8_t>(c);
    }

    // Arrives at the collective `s` at p.t. True when it completed (p.t is its end), false
    // when others have yet to arrive (the last one wakes everybody).
    bool arrive(int r, Proc& p, const Step& s) {
        const bool ep = s.kind == StepKind::EpCollective;
        Group& g = ep ? ep_group(r) : tp_group(r);
        const int size = ep ? shape_.ep : shape_.tp;
        g.max_arrival = g.arrived == 0 ? p.t : std::max(g.max_arrival, p.t);
        p.arrive = p.t;
        if (++g.arrived < size) {
            p.state = State::AtCollective;
            return false;
        }
        g.arrived = 0;
        g.start = g.max_arrival;
        ++out_.collectives;
        const int first = r - q_of(r) % size;
        if (flows_) {  // it ends when its flows do (next_instant wakes the group)
            const std::uint64_t index = static_cast<std::uint64_t>(&g - (ep ? ep_groups_.data() : tp_groups_.data()));
            push_start(PendingStart{g.start, 0, (ep ? kTokenEp : kTokenTp) | index, &s, shape_.global_rank(first), size, 0});
            p.state = State::AtCollective;
            return false;
        }
        g.end = g.start + s.ps;
        for (int m = first; m < first + size; ++m)
            if (m != r) wake(m);
        finish_collective(r, p, s, g.start, g.end);
        return true;
    }

    void push_start(PendingStart x) {
        x.sequence = start_sequence_++;
        starts_.push_back(x);
        std::push_heap(starts_.begin(), starts_.end(), starts_later);
    }

    // Flows: the next instant at which communication starts or ends; false when none is left.
    bool next_instant() {
        const Picoseconds ts = starts_.empty() ? kNoTime : starts_.front().time;
        const Picoseconds t = std::min(ts, flows_->next_time());
        if (t >= kNoTime) return false;
        done_.clear();
        flows_->advance(t, done_);
        while (!starts_.empty() && starts_.front().time == t) {
            std::pop_heap(starts_.begin(), starts_.end(), starts_later);
            const PendingStart x = starts_.back();
            starts_.pop_back();
            if (x.step) flows_->start_collective(t, *x.step, x.first, x.size, x.token);
            else flows_->start_send(t, x.first, x.size, x.ideal_ps, x.token);
        }
        flows_->settle(t);
        for (const std::uint64_t token : done_) ended(token, t);
        return true;
    }

    // Communication `token` ended at `t`: its group's members or the send's receiver go on.
    void ended(std::uint64_t token, Picoseconds t) {
        const std::uint64_t index = token & kTokenIndex;
        const std::uint64_t kind = token & ~kTokenIndex;
        if (kind == kTokenPp) {
            slots_[static_cast<std::size_t>(index)] = t;
            const int consumer = pp_consumer_[static_cast<std::size_t>(index)];
            const Proc& c = procs_[static_cast<std::size_t>(consumer)];
            if (c.state == State::AtInput && c.wait_slot == static_cast<std::int64_t>(index)) wake(consumer);
            return;
        }
        const bool ep = kind == kTokenEp;
        Group& g = (ep ? ep_groups_ : tp_groups_)[static_cast<std::size_t>(index)];
        g.end = t;
        const int size = ep ? shape_.ep : shape_.tp;
        const int per_pipe = shape_.span / size;
        const int first = static_cast<int>(index) / per_pipe * shape_.span + static_cast<int>(index) % per_pipe * size;
        for (int m = first; m < first + size; ++m) wake(m);
    }

    void finish_collective(int r, Proc& p, const Step& s, Picoseconds start, Picoseconds end) {
        p.coll_start = start;
        if (!p.in_pair) {  // a pair counts what its compute stream waits for (pair_idle)
            (s.kind == StepKind::EpCollective ? p.tally.ep_exposed_ps : p.tally.tp_exposed_ps) += end - start;
            p.tally.wait_ps += start - p.arrive;
        }
        ++out_.activities;
        if (p.recording) {
            const int chain = p.in_pair ? p.pair.cursor.chain() : 0;
            const std::uint8_t pass = p.in_pair ? static_cast<std::uint8_t>(chain == 0 ? kF : kBW) : p.pass;
            const std::int32_t index = p.in_pair ? p.pair.cursor.index() : p.step;
            const std::uint8_t half = static_cast<std::uint8_t>(chain);
            if (start > p.arrive) record(r, p, RecordKind::Wait, half, pass, index, p.arrive, start);
            record(r, p, RecordKind::Step, half, pass, index, start, end);
        }
        p.t = end;
    }

    void end_op(int r, Proc& p, Picoseconds end) {
        const PipelineOp& o = ops(r)[static_cast<std::size_t>(p.op)];
        p.op_end = end;
        p.in_pair = false;
        switch (o.kind) {
            case PipelineOpKind::F: publish(r, p, o.part, true, end); break;
            case PipelineOpKind::B:
            case PipelineOpKind::BW: publish(r, p, o.part, false, end); break;
            case PipelineOpKind::W: break;
            case PipelineOpKind::FB:
                publish(r, p, o.part, true, end);
                publish(r, p, o.backward, false, end);
                break;
        }
        ++p.op;
        p.state = State::Start;
        if (progress_ && ++ops_done_ % kProgressEvery == 0) progress_(ops_done_, ops_total_);
    }

    // The chunk's output (forward) or input gradient (backward) for the neighbouring stage.
    void publish(int r, Proc& p, const workload::OpPart& part, bool forward, Picoseconds end) {
        const int next = forward ? part.stage + 1 : part.stage - 1;
        if (next < 0 || next >= sched_.stages) return;
        const std::int64_t k = slot(r, part.micro_batch, part.stage, forward ? 0 : 1);
        const StageProgram& sp = stage(part.stage);
        const Picoseconds send = forward ? sp.pp_forward_ps : sp.pp_backward_ps;
        const int to = sched_.rank_of(part.micro_batch, next);
        Picoseconds ready = end;
        const int consumer = to * shape_.span + q_of(r);
        if (to != pipe(r) && send > 0) {
            const Picoseconds s0 = std::max(p.pp_free, end);
            p.pp_free = s0 + send;
            ready = p.pp_free;
            if (p.pending_count == kPending) retire(p);
            p.pending[static_cast<std::size_t>((p.pending_head + p.pending_count) % kPending)] = {s0, ready, 0};
            ++p.pending_count;
            ++out_.activities;
            if (p.recording) record(r, p, RecordKind::PpSend, forward ? 0 : 1, forward ? kF : kB, 0, s0, ready);
            if (flows_) {  // the receiver waits for the send's flow (ended() fills the slot)
                pp_consumer_[static_cast<std::size_t>(k)] = consumer;
                push_start(PendingStart{s0, 0, kTokenPp | static_cast<std::uint64_t>(k), nullptr, shape_.global_rank(r),
                                        shape_.global_rank(consumer), send});
                return;
            }
        }
        slots_[static_cast<std::size_t>(k)] = ready;
        const Proc& c = procs_[static_cast<std::size_t>(consumer)];
        if (c.state == State::AtInput && c.wait_slot == k) wake(consumer);
    }

    void finish(Proc& p) {
        while (p.pending_count > 0) retire(p);
        p.tally.end_ps = p.op_end;
        p.state = State::Done;
    }

    const ChunkProgram& prog_;
    const workload::PipelineSchedule& sched_;
    const FullShape shape_;
    std::vector<Proc> procs_;
    std::vector<Group> ep_groups_, tp_groups_;
    std::vector<Picoseconds> slots_;  // ready time of each (pipeline, micro-batch, stage, direction); −1 not yet
    std::vector<int> queue_;
    EngineResult out_;
    const ProgressHook& progress_;
    CommFlows* flows_ = nullptr;
    std::vector<PendingStart> starts_;  // a min-heap by (time, sequence)
    std::uint64_t start_sequence_ = 0;
    std::vector<std::uint64_t> done_;
    std::vector<int> pp_consumer_;      // flows: per pipeline slot, the receiving GPU
    static constexpr Picoseconds kNoTime = std::numeric_limits<Picoseconds>::max();
    static constexpr std::int64_t kProgressEvery = 4096;  // chunk operations between calls
    std::int64_t ops_done_ = 0, ops_total_ = 0;
};

}  // namespace

int load_index(const ChunkProgram& prog, const FullShape& shape, int table, int r, int mb) {
    const MoeTable& t = prog.moe[static_cast<std::size_t>(table)];
    if (t.loads == 1) return 0;
    const int q = r % shape.span;
    const int j = q % shape.ep;
    if (!prog.exchangeable) return j;
    // A rotation of the layer's draw per (EP group, micro-batch): exchangeable ranks.
    const auto group = static_cast<std::uint64_t>((r / shape.span) * (shape.block / shape.ep) + q / shape.ep);
    const std::uint64_t key = (group << 40) ^ (static_cast<std::uint64_t>(t.layer_id) << 24) ^ static_cast<std::uint64_t>(mb);
    const std::uint64_t h = splitmix64(shape.seed ^ splitmix64(key));
    return static_cast<int>((static_cast<std::uint64_t>(j) + h % static_cast<std::uint64_t>(shape.ep)) %
                            static_cast<std::uint64_t>(shape.ep));
}

EngineResult run_full_engine(const ChunkProgram& prog, const workload::PipelineSchedule& sched, const FullShape& shape,
                             const std::vector<char>& recorded, const ProgressHook& progress, CommFlows* flows) {
    Engine e(prog, sched, shape, recorded, progress, flows);
    return e.run();
}

}  // namespace moesim::training::detail
