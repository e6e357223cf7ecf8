// The request-level serving simulation (serving_sim.h): arrivals, chunked prefill, KV
// transfer, FIFO decode admission and continuous batching, on the engine's event loop.
#include "moesim/inference/serving_sim.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <queue>
#include <utility>

#include "moesim/common/error.h"
#include "moesim/inference/decode_placement.h"
#include "moesim/inference/priced_balancer.h"
#include "moesim/engine/event_loop.h"
#include "moesim/workload/resolve.h"
#include "serving_tally.h"

namespace moesim::inference {

namespace {

using engine::Picoseconds;
using units::kPsPerSecond;
using Slot = std::uint32_t;

constexpr double kWarmupFraction = 0.1;  // of duration_s, Poisson traffic only

Picoseconds to_ps(double s) {
    MOESIM_CHECK(std::isfinite(s) && s >= 0, "time from the cost model must be finite and non-negative");
    return std::llround(s * static_cast<double>(kPsPerSecond));
}
double to_s(Picoseconds ps) { return static_cast<double>(ps) / static_cast<double>(kPsPerSecond); }

// One request in the system.
struct Live {
    Request req;
    Picoseconds arrival_ps = 0;
    Picoseconds first_token_ps = -1;
    Picoseconds decode_ready_ps = -1;  // disaggregated: when it joined the decode queue
    std::int64_t to_compute = 0;     // prompt tokens prefill computes
    std::int64_t computed = 0;
    std::int64_t emitted_at_join = 0;  // the decode instance's floor(K0·t) when it joined
    std::uint64_t index = 0;         // arrival order
    std::uint32_t prefill_instance = 0, prefill_group = 0;
    std::uint32_t decode_instance = 0, decode_group = 0;
    bool measured = false;
    bool in_use = false;             // a request in the system (else a free slot)
    bool holds_prompt_kv = false;    // disaggregated: its prompt on a prefill group
    bool holds_decode_kv = false;    // its input + output reserved on a decode group
    std::int64_t decode_need() const { return req.input_tokens + req.output_tokens; }
};

struct Group {
    std::int64_t prompt_kv = 0;      // prefill role: prompt tokens held
    std::int64_t reserved_kv = 0;    // decode role: tokens reserved
    std::int64_t sequences = 0;      // decode role: sequences reserved (joining or decoding)
    std::int64_t active = 0;         // decoding
    std::int64_t context_base = 0;   // Σ over active sequences of input − floor(K0·t)
};

struct Chunk {
    Slot slot;
    std::int64_t tokens;
};

struct Instance {
    bool prefills = false, decodes = false;
    std::vector<Group> groups;
    bool busy = false;
    Picoseconds iteration_start = 0;
    bool has_work = false;               // since work_since (ServingStats' busy)
    Picoseconds work_since = 0;
    double iteration_cache_s = 0;        // of the running prefill iteration, added by cached context
    double iteration_gather_s = 0;       // of the running prefill iteration, moving split prompts' KV
    // Prefill role.
    std::deque<Slot> queue;
    std::vector<Slot> started;           // prompts partly computed, in start order
    std::int64_t pending_tokens = 0;     // prompt tokens left to compute, queued or started
    std::vector<Chunk> chunks;           // the running prefill iteration; empty while decoding
    // Decode role.
    std::int64_t steps = 0;              // decode iterations finished
    std::vector<Slot> joining;
    std::priority_queue<std::pair<std::int64_t, Slot>, std::vector<std::pair<std::int64_t, Slot>>, std::greater<>>
        finishing;                       // (step count at which it finishes, slot)
};

class ServingSimulation {
public:
    ServingSimulation(const workload::Scenario& s, const IterationCosts& costs, const ServingOptions& options)
        : s_(s), costs_(costs), options_(options) {
        describe_deployment();
        const workload::Traffic& t = s.inference.traffic;
        const bool poisson = t.arrival == workload::Arrival::Poisson;
        window_start_ps_ = poisson ? to_ps(kWarmupFraction * t.duration_s) : 0;
        window_end_ps_ = to_ps(t.duration_s);
        stop_ps_ = to_ps(2.0 * t.duration_s);
        source_ = scenario_requests(s, poisson ? options.requests_per_s : std::nullopt);
        run_.stats.requests_per_s = poisson ? options.requests_per_s.value_or(t.requests_per_s) : 0;
        arrival_ = loop_.add_handler([this](std::uint64_t) { on_arrival(); });
        prefill_end_ = loop_.add_handler([this](std::uint64_t i) { on_prefill_end(static_cast<std::uint32_t>(i)); });
        decode_end_ = loop_.add_handler([this](std::uint64_t i) { on_decode_end(static_cast<std::uint32_t>(i)); });
        transfer_end_ = loop_.add_handler([this](std::uint64_t slot) { on_transfer_end(static_cast<Slot>(slot)); });
    }

    ServingRun run() {
        schedule_next_arrival();
        for (;;) {
            const Picoseconds t = loop_.next_time();
            if (t == engine::kNever || (arrivals_closed_ && measured_open_ == 0)) break;
            if (t > stop_ps_) {
                loop_.advance_to(stop_ps_);
                break;
            }
            loop_.advance_to(t);
        }
        censor_unfinished();
        ServingStats& st = run_.stats;
        st.window_start_s = to_s(window_start_ps_);
        st.window_end_s = to_s(window_end_ps_);
        st.end_s = to_s(loop_.now());
        st.requests_unfinished = measured_open_;
        count_in_system(0);  // closes the in-system integral at the current time
        for (const Instance& in : instances_)
            if (in.has_work) close_work(in);
        detail::summarize(s_, d_, tally_, run_);
        run_.result.assumptions.push_back(software_line());
        return std::move(run_);
    }

private:
    void describe_deployment();
    // The software stack's assumption line (workload::software_line); the profile is resolved
    // again only to name an attention kernel's fallback phases.
    std::string software_line() const {
        if (s_.software.attention == workload::AttentionKernel::Default) return workload::software_line(s_, nullptr);
        try {
            const hw::CalibrationProfile profile = workload::resolve_profile(s_);
            return workload::software_line(s_, &profile);
        } catch (const ScenarioError&) {
            return workload::software_line(s_, nullptr);
        }
    }
    void schedule_next_arrival();
    void on_arrival();
    // Opens or closes the instance's interval with work (called wherever its work may change).
    void note_work(std::uint32_t i);
    void close_work(const Instance& in);
    void try_start(std::uint32_t i);
    bool start_prefill(std::uint32_t i);
    bool fits_home(const Instance& in, std::size_t g, const Live& r) const;
    void admit_prefill(std::uint32_t i, std::size_t g);
    void share_strictly(std::uint32_t i);
    void share_by_cost(std::uint32_t i);
    void rehome(Instance& in, std::size_t first_new, const std::vector<PrefillPiece>& pieces);
    static constexpr std::size_t groups_none = static_cast<std::size_t>(-1);
    // KV room left on a group for a prompt to make it its home.
    std::int64_t room(const Group& g) const {
        return d_.colocated ? d_.decode_kv_capacity - g.reserved_kv : d_.prefill_kv_capacity - g.prompt_kv;
    }
    void start_decode(std::uint32_t i);
    void on_prefill_end(std::uint32_t i);
    void on_decode_end(std::uint32_t i);
    void on_transfer_end(Slot slot);
    void admit_to_decode();
    void start_transfer(Slot slot);
    void finish(Slot slot);
    void count_in_system(int delta);
    void censor_unfinished();

    Slot take_slot() {
        if (free_.empty()) {
            live_.emplace_back();
            return static_cast<Slot>(live_.size() - 1);
        }
        const Slot s = free_.back();
        free_.pop_back();
        return s;
    }
    bool in_window(Picoseconds t) const { return t >= window_start_ps_ && t < window_end_ps_; }
    // The share of an iteration of `seconds` starting now that falls inside the window.
    double window_share(double seconds) const {
        if (seconds <= 0) return in_window(loop_.now()) ? 1.0 : 0.0;
        return window_overlap_s(loop_.now(), loop_.now() + to_ps(seconds)) / seconds;
    }
    // Seconds of [a, b) inside the window.

    double window_overlap_s(Picoseconds a, Picoseconds b) const {
        return to_s(std::max<Picoseconds>(0, std::min(b, window_end_ps_) - std::max(a, window_start_ps_)));
    }
    // Decode tokens an instance's sequences have emitted after `steps` steps, counted from 0:
    // floor(steps · t). The 1e-9 keeps products that are whole in exact arithmetic whole.
    std::int64_t emitted(std::int64_t steps) const {
        return static_cast<std::int64_t>(std::floor(static_cast<double>(steps) * d_.tokens_per_decode_step + 1e-9));
    }
    // The first step count at which floor(steps · t) reaches `target`.
    std::int64_t step_reaching(std::int64_t target) const {
        auto k = static_cast<std::int64_t>(std::ceil(static_cast<double>(target) / d_.tokens_per_decode_step));
        while (k > 0 && emitted(k - 1) >= target) --k;
        while (emitted(k) < target) ++k;
        return k;
    }
    bool rejected(const Request& r) const {
        if (r.input_tokens + r.output_tokens > d_.decode_kv_capacity) return true;
        return !d_.colocated && r.input_tokens > d_.prefill_kv_capacity;
    }
    void record_finish(const Live& r) {
        if (!options_.keep_requests) return;
        run_.requests[r.index].finish_s = to_s(loop_.now());
    }

    const workload::Scenario& s_;
    const IterationCosts& costs_;
    ServingOptions options_;
    detail::Deployment d_;
    detail::Tally tally_;
    ServingRun run_;

    engine::EventLoop loop_;
    engine::HandlerId arrival_ = 0, prefill_end_ = 0, decode_end_ = 0, transfer_end_ = 0;
    std::unique_ptr<RequestSource> source_;
    std::optional<Request> next_request_;
    Picoseconds window_start_ps_ = 0, window_end_ps_ = 0, stop_ps_ = 0;
    bool arrivals_closed_ = false;      // no more measured arrivals can come
    long long measured_open_ = 0;       // measured, arrived, not yet finished
    long long in_system_ = 0;
    Picoseconds in_system_since_ = 0;

    std::vector<Live> live_;
    std::vector<Slot> free_;
    std::vector<Instance> instances_;
    std::deque<Slot> decode_wait_;       // disaggregated: prefilled, waiting for a decode group
    std::vector<std::uint32_t> decode_instances_;  // the instances that decode, in order
    std::vector<DecodeGroupUse> decode_use_;       // scratch: their groups, flat
    bool decode_room_freed_ = true;      // since the head of decode_wait_ last found no room
    // Scratch for forming an iteration.
    std::vector<GroupLoad> loads_, loads_uncached_;
    std::vector<std::int64_t> budget_, batch_sequences_, moved_, broadcast_;
    std::vector<PrefillChunk> stream_;
    std::vector<Slot> done_;
};

void ServingSimulation::describe_deployment() {
    d_ = detail::describe_deployment(s_, costs_);
    const auto add = [&](bool prefills, bool decodes, int groups) {
        Instance in;
        in.prefills = prefills;
        in.decodes = decodes;
        in.groups.resize(static_cast<std::size_t>(groups));
        instances_.push_back(std::move(in));
    };
    if (d_.colocated) {
        for (int i = 0; i < d_.decode_instances; ++i) add(true, true, d_.decode_groups);
    } else {
        for (int i = 0; i < d_.prefill_instances; ++i) add(true, false, d_.prefill_groups);
        for (int i = 0; i < d_.decode_instances; ++i) add(false, true, d_.decode_groups);
    }
    for (std::uint32_t i = 0; i < instances_.size(); ++i)
        if (instances_[i].decodes) decode_instances_.push_back(i);
}

void ServingSimulation::schedule_next_arrival() {
    next_request_ = source_->next();
    const bool trace = s_.inference.traffic.arrival == workload::Arrival::Trace;
    if (!next_request_ || (trace && to_ps(next_request_->arrival_s) >= window_end_ps_)) {
        next_request_.reset();
        arrivals_closed_ = true;
        return;
    }
    const Picoseconds t = std::max(to_ps(next_request_->arrival_s), loop_.now());
    if (t >= window_end_ps_) arrivals_closed_ = true;  // cool-down: keeps the load, not measured
    if (t > stop_ps_) {
        next_request_.reset();
        return;
    }
    loop_.schedule_at(t, arrival_);
}

void ServingSimulation::on_arrival() {
    const Request req = *next_request_;
    const Picoseconds now = loop_.now();
    const std::uint64_t index = static_cast<std::uint64_t>(run_.stats.requests_arrived++);
    const bool measured = in_window(now);
    if (options_.keep_requests) run_.requests.push_back({req, measured, false, -1, -1});
    if (measured) ++run_.stats.requests_measured;

    if (rejected(req)) {
        if (measured) ++run_.stats.requests_rejected;
        if (options_.keep_requests) run_.requests.back().rejected = true;
        schedule_next_arrival();
        return;
    }
    const Slot slot = take_slot();
    Live& r = live_[slot];
    r = Live{};
    r.in_use = true;
    r.req = req;
    r.arrival_ps = now;
    r.to_compute = req.computed_tokens();
    r.index = index;
    r.measured = measured;
    if (measured) ++measured_open_;
    count_in_system(+1);

    // The prefill instance with the fewest prompt tokens left to compute.
    std::uint32_t best = 0;
    bool found = false;
    for (std::uint32_t i = 0; i < instances_.size(); ++i) {
        if (!instances_[i].prefills) continue;
        if (!found || instances_[i].pending_tokens < instances_[best].pending_tokens) best = i;
        found = true;
    }
    r.prefill_instance = best;
    instances_[best].queue.push_back(slot);
    instances_[best].pending_tokens += r.to_compute;
    schedule_next_arrival();
    try_start(best);
}

void ServingSimulation::try_start(std::uint32_t i) {
    Instance& in = instances_[i];
    if (in.busy) return;  // note_work saw it start
    if (in.prefills && start_prefill(i)) {  // colocated: prefill first
        note_work(i);
        return;
    }
    if (in.decodes && (!in.joining.empty() || !in.finishing.empty())) start_decode(i);
    note_work(i);
}

void ServingSimulation::note_work(std::uint32_t i) {
    Instance& in = instances_[i];
    const bool has = in.busy || !in.queue.empty() || !in.started.empty() || !in.joining.empty() || !in.finishing.empty();
    if (has == in.has_work) return;
    if (has)
        in.work_since = loop_.now();
    else
        close_work(in);
    in.has_work = has;
}

void ServingSimulation::close_work(const Instance& in) {
    const double s = window_overlap_s(in.work_since, loop_.now());
    if (in.prefills) tally_.prefill_work_s += s;
    if (in.decodes) tally_.decode_work_s += s;
}

// Whether a queued prompt's KV fits group g of instance `in` (colocated: its decode
// reservation), so that the group can be its home.
bool ServingSimulation::fits_home(const Instance& in, std::size_t g, const Live& r) const {
    const Group& grp = in.groups[g];
    return d_.colocated ? grp.sequences < d_.decode_max_sequences && grp.reserved_kv + r.decode_need() <= d_.decode_kv_capacity
                        : grp.prompt_kv + r.req.input_tokens <= d_.prefill_kv_capacity;
}

// Makes group g the home of the queue's first prompt and starts it.
void ServingSimulation::admit_prefill(std::uint32_t i, std::size_t g) {
    Instance& in = instances_[i];
    const Slot slot = in.queue.front();
    Live& r = live_[slot];
    r.prefill_group = static_cast<std::uint32_t>(g);
    Group& grp = in.groups[g];
    if (d_.colocated) {
        grp.reserved_kv += r.decode_need();
        ++grp.sequences;
        r.decode_instance = i;
        r.decode_group = r.prefill_group;
        r.holds_decode_kv = true;
    } else {
        grp.prompt_kv += r.req.input_tokens;
        r.holds_prompt_kv = true;
    }
    in.queue.pop_front();
    in.started.push_back(slot);
}

// Balancer "none": each group a strict share of the iteration, a prompt whole on its home group.
void ServingSimulation::share_strictly(std::uint32_t i) {
    Instance& in = instances_[i];
    const std::size_t groups = in.groups.size();
    budget_.assign(groups, d_.prefill_tokens_per_group);
    batch_sequences_.assign(groups, 0);
    const auto add = [&](Slot slot) {
        const Live& r = live_[slot];
        const std::size_t g = r.prefill_group;
        const std::int64_t n = std::min(r.to_compute - r.computed, budget_[g]);
        const std::int64_t hits = r.req.input_tokens - r.to_compute;
        budget_[g] -= n;
        ++batch_sequences_[g];
        add_prefill_piece(loads_[g], r.computed + hits, n);
        add_prefill_piece(loads_uncached_[g], r.computed, n);
        in.chunks.push_back({slot, n});
    };
    for (const Slot slot : in.started) {
        const std::size_t g = live_[slot].prefill_group;
        if (budget_[g] > 0 && batch_sequences_[g] < d_.prefill_max_sequences) add(slot);
    }
    // Queued prompts in order; the first that fits nowhere waits, and so do those behind it.
    while (!in.queue.empty()) {
        const Live& r = live_[in.queue.front()];
        std::size_t best = groups;
        for (std::size_t g = 0; g < groups; ++g) {
            if (budget_[g] == 0 || batch_sequences_[g] >= d_.prefill_max_sequences || !fits_home(in, g, r)) continue;
            if (best == groups || budget_[g] > budget_[best]) best = g;
        }
        if (best == groups) break;
        const Slot slot = in.queue.front();
        admit_prefill(i, best);
        add(slot);
    }
}

// Balancer "attention-cost" (priced_balancer.h): up to max_batch_tokens new tokens in FIFO
// order (started prompts first, then queued ones whose KV fits a home group: the one with the
// most room, then the group computing most of it, rehome), cut into pieces over the groups so
// that the slowest group's compute, as the cost model prices it, is least. A piece computed away from its prompt's home group receives the KV of its earlier
// positions and sends its own tokens' KV home: start + tokens on its group's link, tokens on
// the home's. The home sends the prompt's KV once, as a pipelined broadcast along the groups
// that need it (each forwarding what the next needs): the largest start on the home's link.
void ServingSimulation::share_by_cost(std::uint32_t i) {
    Instance& in = instances_[i];
    const std::size_t groups = in.groups.size();
    std::int64_t budget = costs_.max_batch_tokens();
    const auto max_chunks = static_cast<std::size_t>(d_.prefill_max_sequences) * groups;
    const auto take = [&](Slot slot) {
        const Live& r = live_[slot];
        const std::int64_t n = std::min(r.to_compute - r.computed, budget);
        budget -= n;
        in.chunks.push_back({slot, n});
    };
    for (const Slot slot : in.started) {
        if (budget == 0 || in.chunks.size() >= max_chunks) break;
        take(slot);
    }
    const std::size_t first_new = in.chunks.size();
    while (!in.queue.empty() && budget > 0 && in.chunks.size() < max_chunks) {
        const Live& r = live_[in.queue.front()];
        std::size_t best = groups;
        for (std::size_t g = 0; g < groups; ++g) {
            if (!fits_home(in, g, r)) continue;
            if (best == groups || room(in.groups[g]) > room(in.groups[best])) best = g;
        }
        if (best == groups) break;
        const Slot slot = in.queue.front();
        admit_prefill(i, best);
        take(slot);
    }
    stream_.clear();
    for (const Chunk& c : in.chunks) {
        const Live& r = live_[c.slot];
        stream_.push_back({r.req.input_tokens - r.to_compute + r.computed, c.tokens});
    }
    const std::vector<PrefillPiece> pieces = balance_prefill_priced(
        stream_, groups, d_.prefill_token_cost, [this](const GroupLoad& g) { return costs_.group_compute_s(Pool::Prefill, g); });
    rehome(in, first_new, pieces);
    moved_.assign(groups, 0);
    broadcast_.assign(in.chunks.size(), 0);
    for (const PrefillPiece& p : pieces) {
        const Live& r = live_[in.chunks[p.chunk].slot];
        const std::int64_t hits = r.req.input_tokens - r.to_compute;
        add_prefill_piece(loads_[p.group], p.start, p.tokens);
        add_prefill_piece(loads_uncached_[p.group], p.start - hits, p.tokens);
        if (p.group != r.prefill_group) {
            moved_[p.group] += p.start + p.tokens;
            moved_[r.prefill_group] += p.tokens;
            broadcast_[p.chunk] = std::max(broadcast_[p.chunk], p.start);
        }
    }
    for (std::size_t c = 0; c < in.chunks.size(); ++c) moved_[live_[in.chunks[c].slot].prefill_group] += broadcast_[c];
    const std::int64_t most_moved = moved_.empty() ? 0 : *std::max_element(moved_.begin(), moved_.end());
    in.iteration_gather_s = most_moved > 0 ? costs_.kv_gather_s(most_moved) : 0;
}

// A prompt started this iteration was given the home with the most room; it moves to the group
// computing most of its tokens when that group has room too, so that less of its KV travels.
void ServingSimulation::rehome(Instance& in, std::size_t first_new, const std::vector<PrefillPiece>& pieces) {
    std::size_t p = 0;
    for (std::size_t c = first_new; c < in.chunks.size(); ++c) {
        while (p < pieces.size() && pieces[p].chunk < c) ++p;
        std::size_t best = groups_none;
        std::int64_t most = 0;
        for (; p < pieces.size() && pieces[p].chunk == c; ++p)
            if (pieces[p].tokens > most) {
                most = pieces[p].tokens;
                best = pieces[p].group;
            }
        Live& r = live_[in.chunks[c].slot];
        if (best == groups_none || best == r.prefill_group) continue;
        Group& from = in.groups[r.prefill_group];
        if (!fits_home(in, best, r)) continue;
        Group& to = in.groups[best];
        if (d_.colocated) {
            from.reserved_kv -= r.decode_need();
            --from.sequences;
            to.reserved_kv += r.decode_need();
            ++to.sequences;
            r.decode_group = static_cast<std::uint32_t>(best);
        } else {
            from.prompt_kv -= r.req.input_tokens;
            to.prompt_kv += r.req.input_tokens;
        }
        r.prefill_group = static_cast<std::uint32_t>(best);
    }
}

bool ServingSimulation::start_prefill(std::uint32_t i) {
    Instance& in = instances_[i];
    if (in.queue.empty() && in.started.empty()) return false;
    const std::size_t groups = in.groups.size();
    loads_.assign(groups, GroupLoad{});
    loads_uncached_.assign(groups, GroupLoad{});
    in.chunks.clear();
    in.iteration_gather_s = 0;
    if (d_.prefill_balancer == workload::PrefillBalancer::None)
        share_strictly(i);
    else
        share_by_cost(i);
    if (in.chunks.empty()) return false;

    bool any_cached_context = false;
    for (std::size_t g = 0; g < groups; ++g)
        any_cached_context = any_cached_context || loads_[g].context_tokens != loads_uncached_[g].context_tokens;
    const IterationBreakdown parts = costs_.iteration_breakdown(Pool::Prefill, loads_);
    const double compute_s = parts.total_s;
    in.iteration_cache_s =
        any_cached_context ? std::max(0.0, compute_s - costs_.iteration_s(Pool::Prefill, loads_uncached_)) : 0;
    // The gather moves layer by layer under the compute: the longer of the two sets the time.
    const double seconds = std::max(compute_s, in.iteration_gather_s);
    if (in.iteration_gather_s > compute_s) ++run_.stats.prefill_gather_bound_iterations;
    run_.stats.prefill_breakdown.add(parts, seconds - compute_s, window_share(seconds));
    in.busy = true;
    in.iteration_start = loop_.now();
    loop_.schedule_at(loop_.now() + to_ps(seconds), prefill_end_, i);
    ++run_.stats.prefill_iterations;
    return true;
}

void ServingSimulation::on_prefill_end(std::uint32_t i) {
    Instance& in = instances_[i];
    const Picoseconds now = loop_.now();
    const double overlap_s = window_overlap_s(in.iteration_start, now);
    tally_.prefill_busy_s += overlap_s;
    const double length_s = to_s(now - in.iteration_start);
    if (length_s > 0) tally_.cache_hit_s += in.iteration_cache_s * overlap_s / length_s;
    const bool window = in_window(now);
    ServingStats& st = run_.stats;

    std::vector<Slot>& done = done_;
    done.clear();
    for (const Chunk& c : in.chunks) {
        Live& r = live_[c.slot];
        if (r.computed == 0) {  // the prompt's first chunk: its cache hits are served now
            const std::int64_t hits = r.req.input_tokens - r.to_compute;
            st.total_tokens_cached += hits;
            if (window) st.input_tokens_cached += hits;
        }
        r.computed += c.tokens;
        in.pending_tokens -= c.tokens;
        st.total_tokens_computed += c.tokens;
        if (window) st.input_tokens_computed += c.tokens;
        if (r.computed == r.to_compute) done.push_back(c.slot);
    }
    in.chunks.clear();
    std::erase_if(in.started, [&](Slot slot) { return live_[slot].computed == live_[slot].to_compute; });
    in.busy = false;

    for (const Slot slot : done) {
        Live& r = live_[slot];
        r.first_token_ps = now;
        ++st.total_first_tokens;
        if (options_.keep_requests) run_.requests[r.index].first_token_s = to_s(now);
        if (r.req.output_tokens == 1)
            finish(slot);
        else if (d_.colocated)
            start_transfer(slot);
        else {
            r.decode_ready_ps = now;
            decode_wait_.push_back(slot);
        }
    }
    if (!d_.colocated) admit_to_decode();
    try_start(i);
}

// Placement and admission "hold" (decode_placement.h) over every decode group of every instance.
void ServingSimulation::admit_to_decode() {
    // The head of the queue waits until a decode group frees room: no need to look before.
    if (!decode_room_freed_) return;
    while (!decode_wait_.empty()) {
        const Slot slot = decode_wait_.front();
        Live& r = live_[slot];
        decode_use_.clear();
        for (const std::uint32_t i : decode_instances_)
            for (const Group& grp : instances_[i].groups) decode_use_.push_back({grp.reserved_kv, grp.sequences});
        const std::size_t flat =
            place_decode(decode_use_, r.decode_need(), d_.decode_kv_capacity, d_.decode_max_sequences);
        if (flat == kNoDecodeGroup) {
            decode_room_freed_ = false;
            return;
        }
        const auto per_instance = static_cast<std::size_t>(d_.decode_groups);
        const std::uint32_t i = decode_instances_[flat / per_instance];
        const auto g = static_cast<std::uint32_t>(flat % per_instance);
        Group& grp = instances_[i].groups[g];
        grp.reserved_kv += r.decode_need();
        ++grp.sequences;
        r.decode_instance = i;
        r.decode_group = g;
        r.holds_decode_kv = true;
        if (r.measured && loop_.now() > r.decode_ready_ps) ++run_.stats.decode_holds;
        decode_wait_.pop_front();
        start_transfer(slot);
    }
}

void ServingSimulation::start_transfer(Slot slot) {
    const double seconds = costs_.kv_transfer_s(live_[slot].req.input_tokens);
    if (in_window(loop_.now())) {
        run_.stats.kv_transfer_s += seconds;
        ++run_.stats.kv_transfers;
    }
    loop_.schedule_at(loop_.now() + to_ps(seconds), transfer_end_, slot);
}

void ServingSimulation::on_transfer_end(Slot slot) {
    Live& r = live_[slot];
    if (r.holds_prompt_kv) {
        instances_[r.prefill_instance].groups[r.prefill_group].prompt_kv -= r.req.input_tokens;
        r.holds_prompt_kv = false;
        try_start(r.prefill_instance);  // a prompt may have waited for that room
    }
    instances_[r.decode_instance].joining.push_back(slot);
    try_start(r.decode_instance);
}

void ServingSimulation::start_decode(std::uint32_t i) {
    Instance& in = instances_[i];
    const std::int64_t emitted_now = emitted(in.steps);
    for (const Slot slot : in.joining) {
        Live& r = live_[slot];
        Group& grp = in.groups[r.decode_group];
        ++grp.active;
        r.emitted_at_join = emitted_now;
        grp.context_base += r.req.input_tokens - emitted_now;
        // Prefill made the first token; decode makes the other output − 1.
        in.finishing.emplace(step_reaching(emitted_now + r.req.output_tokens - 1), slot);
    }
    in.joining.clear();
    loads_.assign(in.groups.size(), GroupLoad{});
    double used = 0, reserved = 0;
    for (std::size_t g = 0; g < in.groups.size(); ++g) {
        const Group& grp = in.groups[g];
        loads_[g] = {grp.active, grp.active * (1 + d_.draft_tokens), grp.context_base + grp.active * emitted_now};
        used += static_cast<double>(loads_[g].context_tokens);
        reserved += static_cast<double>(grp.reserved_kv);
        tally_.decode_group_sequences += static_cast<double>(grp.active);
    }
    tally_.decode_group_iterations += static_cast<long long>(in.groups.size());
    const IterationBreakdown parts = costs_.iteration_breakdown(Pool::Decode, loads_);
    const Picoseconds end = loop_.now() + to_ps(parts.total_s);
    const double overlap_s = window_overlap_s(loop_.now(), end);
    run_.stats.decode_breakdown.add(parts, 0, window_share(parts.total_s));
    tally_.kv_used_token_s += used * overlap_s;
    tally_.kv_reserved_token_s += reserved * overlap_s;
    in.busy = true;
    in.iteration_start = loop_.now();
    loop_.schedule_at(end, decode_end_, i);
    ++run_.stats.decode_iterations;
}

void ServingSimulation::on_decode_end(std::uint32_t i) {
    Instance& in = instances_[i];
    const Picoseconds now = loop_.now();
    tally_.decode_busy_s += window_overlap_s(in.iteration_start, now);
    const std::int64_t before = emitted(in.steps);
    const std::int64_t after = emitted(++in.steps);
    std::int64_t decoded = 0;
    for (const Group& grp : in.groups) decoded += grp.active * (after - before);
    while (!in.finishing.empty() && in.finishing.top().first == in.steps) {
        const Slot slot = in.finishing.top().second;
        in.finishing.pop();
        Live& r = live_[slot];
        // Its last step emits only what the request still needed.
        decoded -= (after - r.emitted_at_join) - (r.req.output_tokens - 1);
        Group& grp = in.groups[r.decode_group];
        --grp.active;
        grp.context_base -= r.req.input_tokens - r.emitted_at_join;
        finish(slot);
    }
    MOESIM_CHECK(in.finishing.empty() || in.finishing.top().first > in.steps, "a sequence outlived its last step");
    run_.stats.total_tokens_decoded += decoded;
    if (in_window(now)) run_.stats.output_tokens_decoded += decoded;
    in.busy = false;
    if (!d_.colocated) admit_to_decode();
    try_start(i);
}

void ServingSimulation::finish(Slot slot) {
    Live& r = live_[slot];
    const Picoseconds now = loop_.now();
    if (r.holds_prompt_kv) {
        instances_[r.prefill_instance].groups[r.prefill_group].prompt_kv -= r.req.input_tokens;
        r.holds_prompt_kv = false;
    }
    if (r.holds_decode_kv) {
        Group& grp = instances_[r.decode_instance].groups[r.decode_group];
        grp.reserved_kv -= r.decode_need();
        --grp.sequences;
        r.holds_decode_kv = false;
        decode_room_freed_ = true;
    }
    ++run_.stats.total_completed;
    count_in_system(-1);
    if (r.measured) {
        --measured_open_;
        ++tally_.measured_completed;
        tally_.ttft_ms.push_back(to_s(r.first_token_ps - r.arrival_ps) * 1e3);
        if (r.req.output_tokens > 1)
            tally_.tpot_ms.push_back(to_s(now - r.first_token_ps) * 1e3 / static_cast<double>(r.req.output_tokens - 1));
        tally_.latency_sum_s += to_s(now - r.arrival_ps);
    }
    record_finish(r);
    r.in_use = false;
    free_.push_back(slot);
}

// Measured requests still in the system when the simulation stops enter the percentiles with
// what they had got by then, a lower bound: the time waited for a first token not yet made,
// or (stop − first token) / (output − 1) for a TPOT not yet complete. A deployment that cannot
// keep up then shows it in its percentiles rather than hiding its slowest requests.
void ServingSimulation::censor_unfinished() {
    const Picoseconds now = loop_.now();
    for (const Live& r : live_) {
        if (!r.in_use || !r.measured) continue;
        if (r.first_token_ps < 0) {
            tally_.ttft_ms.push_back(to_s(now - r.arrival_ps) * 1e3);
            continue;
        }
        if (r.decode_ready_ps >= 0 && !r.holds_decode_kv && now > r.decode_ready_ps) ++run_.stats.decode_holds;
        tally_.ttft_ms.push_back(to_s(r.first_token_ps - r.arrival_ps) * 1e3);
        tally_.tpot_ms.push_back(to_s(now - r.first_token_ps) * 1e3 / static_cast<double>(r.req.output_tokens - 1));
    }
}

void ServingSimulation::count_in_system(int delta) {
    const Picoseconds now = loop_.now();
    tally_.in_system_request_s += static_cast<double>(in_system_) * window_overlap_s(in_system_since_, now);
    in_system_ += delta;
    in_system_since_ = now;
}

}  // namespace

ServingRun simulate_serving(const workload::Scenario& s, const IterationCosts& costs, const ServingOptions& options) {
    ServingSimulation sim(s, costs, options);
    return sim.run();
}

}  // namespace moesim::inference
