#pragma once
// `moesim run --find-max-load`: the highest Poisson request rate at which the deployment
// meets its SLO (p99 TTFT ≤ slo.ttft_p99_ms and p99 TPOT ≤ slo.tpot_p99_ms, the requests left
// unfinished at the simulation's stop counted with what they had got by then: serving_sim.h).
// Deterministic: every probe simulates the same requests (requests.h
// draws them with common random numbers; only their arrival times scale with the rate).
//
// First a feasibility check that needs no search: each of the first requests of the
// traffic is priced alone — its prefill on an idle instance (chunked as its prefill balancer
// would cut it: max_load.cpp), one decode step of it
// alone per t tokens (t = tokens per decode step) — which bounds from below what it can
// get at any load. If the 99th percentile of those bounds already misses the SLO, no rate
// can meet it: ScenarioError at /inference/slo/..., saying why. Otherwise the search starts
// at traffic.requests_per_s, doubles (or halves) until the SLO flips, then bisects until
// the bracket is within `relative_tolerance`. A search that halves below one measured
// request without meeting the SLO also ends in that ScenarioError.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "moesim/common/progress_hook.h"

#include "moesim/inference/iteration_costs.h"
#include "moesim/inference/serving_sim.h"
#include "moesim/workload/scenario.h"

namespace moesim::inference {

struct MaxLoadOptions {
    double relative_tolerance = 0.02;  // stop when (fails − meets) ≤ this × meets
    int max_doublings = 20;
    int bound_requests = 1000;         // requests priced alone by the feasibility check
    // After each probe: probes done, and done + the probes the search still expects (while
    // bracketing, one more and the bisections of a bracket [r, 2r]; then the bisections left).
    ProgressHook progress;
};

struct LoadProbe {
    double requests_per_s = 0;
    bool meets = false;
    double ttft_p99_ms = 0, tpot_p99_ms = 0;
    long long unfinished = 0;
};

struct MaxLoad {
    double requests_per_s = 0;         // the highest rate found that meets the SLO
    ServingRun run;                    // the simulation at that rate
    std::vector<LoadProbe> probes;     // in the order simulated
    double ttft_p99_bound_ms = 0;      // the feasibility check's bounds
    double tpot_p99_bound_ms = 0;
};

// Whether a run meets the scenario's SLO.
bool meets_slo(const workload::Scenario& s, const ServingRun& run);

// The search's answer depends on the requests drawn: how much, over other seeds.
struct SeedRate {
    std::uint64_t seed = 0;
    std::optional<double> requests_per_s;  // nullopt: no rate meets the SLO with this seed
    std::string why_none;                  // then, the search's reason
};
struct MaxLoadSpread {
    std::vector<SeedRate> seeds;           // the scenario's seed first, then seed+1, seed+2, …
    double min_requests_per_s = 0, median_requests_per_s = 0, max_requests_per_s = 0;  // over seeds with an answer
    int answered() const;
};

// Throws ScenarioError when the traffic is a trace (its rate is not ours to change) or when
// no rate meets the SLO.
MaxLoad find_max_load(const workload::Scenario& s, const IterationCosts& costs, const MaxLoadOptions& options = {});

// The search repeated for seeds s.seed+1 … s.seed+n−1 (each on its own operator model, in
// parallel on up to `threads` threads; the result does not depend on `threads`), beside
// `found`, the search at s.seed. A seed where no rate meets the SLO is listed, not thrown.
MaxLoadSpread max_load_spread(const workload::Scenario& s, const MaxLoad& found, int n, int threads,
                              const MaxLoadOptions& options = {});

}  // namespace moesim::inference
