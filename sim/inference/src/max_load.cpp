// --find-max-load (max_load.h): a feasibility bound, then a deterministic bracket-and-bisect
// search over the Poisson request rate.
#include "moesim/inference/max_load.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <sstream>

#include "moesim/common/error.h"
#include "moesim/inference/operator_costs.h"
#include "moesim/inference/priced_balancer.h"
#include "moesim/inference/setup.h"
#include "moesim/inference/slo.h"
#include "serving_tally.h"

namespace moesim::inference {

namespace {

std::string ms(double seconds) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(seconds * 1e3 < 10 ? 3 : 1);
    out << seconds * 1e3 << " ms";
    return out.str();
}

// Time to the first token of a request alone on a prefill instance, every other group idle.
// Balancer "none": its chunks, one group's share of max_batch_tokens per iteration. Balancer
// "attention-cost": up to max_batch_tokens of it per iteration, cut into equal-cost pieces over
// the groups as the simulation cuts them (priced_balancer.h); the KV gather of a split prompt
// is left out (the simulation takes the longer of it and the compute), so this stays a lower
// bound.
double alone_ttft_s(const Request& r, const IterationCosts& costs, const detail::Deployment& d) {
    const auto groups = static_cast<std::size_t>(d.prefill_groups);
    std::vector<GroupLoad> loads(groups);
    const std::int64_t hits = r.input_tokens - r.computed_tokens();
    const bool split = d.prefill_balancer != workload::PrefillBalancer::None;
    const std::int64_t per_iteration = split ? costs.max_batch_tokens() : d.prefill_tokens_per_group;
    double total = 0;
    for (std::int64_t done = 0; done < r.computed_tokens();) {
        const std::int64_t n = std::min(per_iteration, r.computed_tokens() - done);
        if (split) {
            const PrefillChunk chunk{hits + done, n};
            const auto price = [&](const GroupLoad& g) { return costs.group_compute_s(Pool::Prefill, g); };
            loads = group_loads(balance_prefill_priced(std::span<const PrefillChunk>(&chunk, 1), groups,
                                                       d.prefill_token_cost, price),
                                groups);
        } else {
            loads[0] = {};
            add_prefill_piece(loads[0], hits + done, n);  // its pairs: as the mean sequence it is, stated
        }
        total += costs.iteration_s(Pool::Prefill, loads);
        done += n;
    }
    return total;
}

// A lower bound on a request's time per output token: one decode step of it alone, at its
// shortest context, over the tokens a step emits.
double alone_tpot_s(const Request& r, const IterationCosts& costs, const detail::Deployment& d) {
    std::vector<GroupLoad> loads(static_cast<std::size_t>(d.decode_groups));
    loads[0] = {1, 1 + d.draft_tokens, r.input_tokens};
    return costs.iteration_s(Pool::Decode, loads) / d.tokens_per_decode_step;
}

[[noreturn]] void unreachable_slo(const workload::Scenario& s, const std::string& key, double slo_ms,
                                  const std::string& why) {
    std::ostringstream out;
    out << slo_ms << " ms cannot be met at any request rate: " << why;
    throw ScenarioError(s.source_file, "/inference/slo/" + key, out.str());
}

// Prices the first requests alone; throws if even then the 99th percentile misses the SLO.
void check_feasible(const workload::Scenario& s, const IterationCosts& costs, const MaxLoadOptions& options,
                    MaxLoad& out) {
    const detail::Deployment d = detail::describe_deployment(s, costs);
    auto source = scenario_requests(s);
    std::vector<double> ttft, tpot;
    for (int i = 0; i < options.bound_requests; ++i) {
        const Request r = *source->next();
        if (r.input_tokens + r.output_tokens > d.decode_kv_capacity) continue;  // rejected, not served
        ttft.push_back(alone_ttft_s(r, costs, d));
        if (r.output_tokens > 1) tpot.push_back(alone_tpot_s(r, costs, d));
    }
    out.ttft_p99_bound_ms = detail::nearest_rank(ttft, 99) * 1e3;
    out.tpot_p99_bound_ms = detail::nearest_rank(tpot, 99) * 1e3;
    const workload::Slo& slo = s.inference.slo;
    const std::string of = " of the first " + std::to_string(options.bound_requests) + " requests of the traffic";
    if (out.tpot_p99_bound_ms > slo.tpot_p99_ms)
        unreachable_slo(s, "tpot_p99_ms", slo.tpot_p99_ms,
                        "even decoding alone on an idle instance, the 99th percentile" + of + " needs " +
                            ms(out.tpot_p99_bound_ms / 1e3) +
                            " per output token (one decode step of that sequence alone, over the tokens a step emits)");
    if (out.ttft_p99_bound_ms > slo.ttft_p99_ms)
        unreachable_slo(s, "ttft_p99_ms", slo.ttft_p99_ms,
                        "even prefilled alone on an idle instance, the 99th percentile" + of + " takes " +
                            ms(out.ttft_p99_bound_ms / 1e3) + " to its first token");
}

}  // namespace

bool meets_slo(const workload::Scenario& s, const ServingRun& run) {
    return missed_slo_targets(s.inference.slo, run.result).empty();
}

MaxLoad find_max_load(const workload::Scenario& s, const IterationCosts& costs, const MaxLoadOptions& options) {
    if (s.inference.traffic.arrival != workload::Arrival::Poisson)
        throw ScenarioError(s.source_file, "/inference/traffic/arrival",
                            "--find-max-load varies the Poisson request rate; a trace fixes its own arrivals");
    MaxLoad out;
    check_feasible(s, costs, options, out);

    std::optional<ServingRun> best;  // the run at the highest rate known to meet the SLO
    const auto probe = [&](double rate) {
        ServingOptions o;
        o.requests_per_s = rate;
        ServingRun run = simulate_serving(s, costs, o);
        const bool ok = meets_slo(s, run);
        out.probes.push_back({rate, ok, run.result.ttft_ms.p99, run.result.tpot_ms.p99, run.stats.requests_unfinished});
        if (ok && (!best || rate > out.requests_per_s)) {
            out.requests_per_s = rate;
            best = std::move(run);
        }
        return ok;
    };

    // Bracket: `meets` meets the SLO, `fails` does not.
    double meets = 0, fails = 0;
    const auto bisections = [&](double lo, double hi) {
        std::int64_t k = 0;
        for (double width = hi - lo; width > options.relative_tolerance * lo; width /= 2) ++k;
        return k;
    };
    const auto tell = [&](std::int64_t still_expected) {
        const auto done = static_cast<std::int64_t>(out.probes.size());
        if (options.progress) options.progress(done, done + still_expected);
    };
    const auto bracketing = [&](double rate) {
        const bool ok = probe(rate);
        tell(1 + bisections(1, 2));
        return ok;
    };
    const double start = s.inference.traffic.requests_per_s;
    const double window_s = 0.9 * s.inference.traffic.duration_s;  // serving_sim.h: the measured window
    if (bracketing(start)) {
        meets = start;
        for (int i = 0; i < options.max_doublings && bracketing(2 * meets); ++i) meets *= 2;
        fails = 2 * meets;
        if (out.probes.back().meets)
            throw ScenarioError(s.source_file, "/inference/slo",
                                "the SLO is still met at " + std::to_string(out.requests_per_s) +
                                    " requests/s; stopped doubling the rate");
    } else {
        fails = start;
        for (double rate = start / 2;; rate /= 2) {
            if (rate * window_s < 1) {
                const LoadProbe& last = out.probes.back();
                std::ostringstream why;
                why << "no request rate down to " << 2 * rate << " requests/s meets it (there the 99th percentiles are "
                    << last.ttft_p99_ms << " ms to the first token and " << last.tpot_p99_ms
                    << " ms per output token, against slo.ttft_p99_ms " << s.inference.slo.ttft_p99_ms
                    << " and slo.tpot_p99_ms " << s.inference.slo.tpot_p99_ms << ")";
                throw ScenarioError(s.source_file, "/inference/slo", why.str());
            }
            if (bracketing(rate)) {
                meets = rate;
                break;
            }
            fails = rate;
        }
    }
    while (fails - meets > options.relative_tolerance * meets) {
        const double mid = (meets + fails) / 2;
        (probe(mid) ? meets : fails) = mid;
        tell(fails - meets > options.relative_tolerance * meets ? bisections(meets, fails) : 0);
    }
    tell(0);
    out.run = std::move(*best);
    return out;
}

}  // namespace moesim::inference

namespace moesim::inference {

int MaxLoadSpread::answered() const {
    return static_cast<int>(std::count_if(seeds.begin(), seeds.end(), [](const SeedRate& r) { return r.requests_per_s.has_value(); }));
}

MaxLoadSpread max_load_spread(const workload::Scenario& s, const MaxLoad& found, int n, int threads,
                              const MaxLoadOptions& options) {
    MaxLoadSpread out;
    out.seeds.resize(static_cast<std::size_t>(std::max(n, 1)));
    out.seeds[0] = {s.seed, found.requests_per_s, ""};
    // Each seed draws other requests; its search runs on a model of its own, so threads share nothing.
    std::atomic<std::size_t> next{1};
    const auto work = [&] {
        for (std::size_t i = next++; i < out.seeds.size(); i = next++) {
            workload::Scenario other = s;
            other.seed = s.seed + i;
            SeedRate& r = out.seeds[i];
            r.seed = other.seed;
            try {
                const auto setup = prepare_serving(other);
                const auto costs = make_operator_costs(*setup);
                r.requests_per_s = find_max_load(other, *costs, options).requests_per_s;
            } catch (const UserError& e) {
                r.why_none = e.what();
            }
        }
    };
    std::vector<std::thread> pool;
    const int extra = std::min(std::max(threads, 1), static_cast<int>(out.seeds.size()) - 1);
    for (int t = 0; t < extra; ++t) pool.emplace_back(work);
    for (auto& t : pool) t.join();

    std::vector<double> rates;
    for (const auto& r : out.seeds)
        if (r.requests_per_s) rates.push_back(*r.requests_per_s);
    std::sort(rates.begin(), rates.end());
    if (!rates.empty()) {
        out.min_requests_per_s = rates.front();
        out.max_requests_per_s = rates.back();
        const std::size_t m = rates.size() / 2;
        out.median_requests_per_s = rates.size() % 2 ? rates[m] : (rates[m - 1] + rates[m]) / 2;
    }
    return out;
}

}  // namespace moesim::inference
