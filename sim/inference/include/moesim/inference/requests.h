#pragma once
// The requests a serving simulation receives (DESIGN.md §3, inference.traffic): drawn from
// a Poisson process with length distributions, or read from a CSV trace.
//
// Poisson draws use common random numbers: request i's lengths come from a stream of its
// own (seed, i), and its arrival is the i-th partial sum of unit exponentials divided by the
// rate. Changing the rate only rescales time, so a search over rates (--find-max-load)
// compares the same requests, and the same seed gives the same requests bit for bit.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "moesim/workload/scenario.h"

namespace moesim::inference {

struct Request {
    double arrival_s = 0;
    std::int64_t input_tokens = 0;   // prompt length, cached tokens included
    std::int64_t output_tokens = 0;  // tokens generated, the first (made by prefill) included
    std::int64_t cached_tokens = 0;  // prompt tokens served from the prefix cache

    // Prompt tokens served from the cache and computed by prefill: the cache can serve all
    // but the last prompt token, whose logits give the first output token.
    std::int64_t cache_hit_tokens() const { return std::min(cached_tokens, input_tokens - 1); }
    std::int64_t computed_tokens() const { return input_tokens - cache_hit_tokens(); }

    friend bool operator==(const Request&, const Request&) = default;
};

// Requests in arrival order; next() is nullopt once a trace is exhausted (a Poisson source
// never is).
class RequestSource {
public:
    virtual ~RequestSource() = default;
    virtual std::optional<Request> next() = 0;
};

// Poisson arrivals at `requests_per_s`, lengths from the traffic's distributions, cached
// tokens round(prefix_cache_hit_rate x input) (see Request::computed_tokens).
std::unique_ptr<RequestSource> poisson_requests(const workload::Traffic& traffic, double requests_per_s,
                                                std::uint64_t seed);

// A CSV trace `arrival_s,input_tokens,output_tokens,cached_tokens` (an optional header line
// with exactly those names; blank lines skipped). Arrivals are seconds ≥ 0 in non-decreasing
// order; input and output are whole numbers ≥ 1, cached a whole number in [0, input].
// `path` is resolved against `source_dir` first when relative. Errors are ScenarioErrors on
// `scenario_file` at /inference/traffic/trace_file naming the trace and its line.
std::vector<Request> read_request_trace(const std::string& path, const std::string& scenario_file,
                                        const std::string& source_dir);

// The source a scenario describes: Poisson at traffic.requests_per_s (or `rate_override`),
// or its trace (read and checked here).
std::unique_ptr<RequestSource> scenario_requests(const workload::Scenario& s,
                                                 std::optional<double> rate_override = std::nullopt);

}  // namespace moesim::inference
