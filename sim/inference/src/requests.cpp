// Serving traffic (requests.h): Poisson arrivals with seeded length draws, and CSV traces.
#include "moesim/inference/requests.h"

#include <charconv>
#include <cmath>
#include <numbers>
#include <sstream>

#include "moesim/common/error.h"
#include "moesim/common/input_file.h"

namespace moesim::inference {

namespace {

using workload::LengthDist;
using workload::LengthDistribution;

constexpr const char* kTracePath = "/inference/traffic/trace_file";
constexpr const char* kTraceHeader = "arrival_s,input_tokens,output_tokens,cached_tokens";

// A counter-based stream of uniforms: splitmix64 (Steele, Lea, Flood 2014) started from a
// state that names the draw (seed, what is drawn, request index), so any request's draws
// can be made without making the ones before it.
class DrawStream {
public:
    DrawStream(std::uint64_t seed, std::uint64_t what, std::uint64_t index)
        : state_(scramble(scramble(seed ^ (what * 0xD1B54A32D192ED03ull)) + index)) {}
    double uniform_open() {  // (0, 1)
        state_ += kGamma;
        return (static_cast<double>(scramble(state_) >> 11) + 0.5) * 0x1.0p-53;
    }
    double standard_normal() {  // Box–Muller
        const double r = std::sqrt(-2.0 * std::log(uniform_open()));
        return r * std::cos(2.0 * std::numbers::pi * uniform_open());
    }

private:
    static constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ull;
    static std::uint64_t scramble(std::uint64_t z) {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::uint64_t state_;
};

enum Draw : std::uint64_t { kArrivalGap = 1, kInputLength = 2, kOutputLength = 3 };

// Lengths are whole tokens ≥ 1; a lognormal's far tail is capped at 1e12 tokens (no request
// that long fits any KV cache: the simulation rejects it and counts it).
std::int64_t draw_length(const LengthDistribution& d, DrawStream& draws) {
    switch (d.dist) {
        case LengthDist::Fixed:
            return std::max<std::int64_t>(1, std::llround(d.mean));
        case LengthDist::Uniform: {
            const std::int64_t lo = std::max<std::int64_t>(1, std::llround(d.min));
            const std::int64_t hi = std::max<std::int64_t>(lo, std::llround(d.max));
            const auto span = static_cast<double>(hi - lo + 1);
            return std::min(hi, lo + static_cast<std::int64_t>(std::floor(draws.uniform_open() * span)));
        }
        case LengthDist::Lognormal: {
            // `mean` is the distribution's mean: exp(mu + sigma^2 / 2) = mean.
            const double mu = std::log(d.mean) - d.sigma * d.sigma / 2.0;
            const double x = std::exp(mu + d.sigma * draws.standard_normal());
            return std::clamp<std::int64_t>(std::llround(std::min(x, 1e12)), 1, 1'000'000'000'000);
        }
        case LengthDist::Invalid:
            break;
    }
    MOESIM_CHECK(false, "length distribution not validated");
    return 1;
}

class PoissonRequests final : public RequestSource {
public:
    PoissonRequests(const workload::Traffic& traffic, double requests_per_s, std::uint64_t seed)
        : traffic_(traffic), rate_(requests_per_s), seed_(seed) {
        MOESIM_CHECK(requests_per_s > 0 && std::isfinite(requests_per_s), "request rate");
    }
    std::optional<Request> next() override {
        const std::uint64_t i = index_++;
        DrawStream gap(seed_, kArrivalGap, i), input(seed_, kInputLength, i), output(seed_, kOutputLength, i);
        unit_time_ += -std::log(gap.uniform_open());
        Request r;
        r.arrival_s = unit_time_ / rate_;
        r.input_tokens = draw_length(traffic_.input_tokens, input);
        r.output_tokens = draw_length(traffic_.output_tokens, output);
        r.cached_tokens = std::llround(traffic_.prefix_cache_hit_rate * static_cast<double>(r.input_tokens));
        r.cached_tokens = r.cache_hit_tokens();
        return r;
    }

private:
    workload::Traffic traffic_;
    double rate_;
    std::uint64_t seed_;
    std::uint64_t index_ = 0;
    double unit_time_ = 0;  // sum of unit exponentials so far
};

class TraceRequests final : public RequestSource {
public:
    explicit TraceRequests(std::vector<Request> requests) : requests_(std::move(requests)) {}
    std::optional<Request> next() override {
        if (next_ == requests_.size()) return std::nullopt;
        return requests_[next_++];
    }

private:
    std::vector<Request> requests_;
    std::size_t next_ = 0;
};

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return std::string(s.substr(first, last - first + 1));
}

class TraceParser {
public:
    TraceParser(std::string trace, std::string scenario_file)
        : trace_(std::move(trace)), scenario_file_(std::move(scenario_file)) {}

    [[noreturn]] void fail(std::size_t line, const std::string& what) const {
        throw ScenarioError(scenario_file_, kTracePath,
                            "request trace \"" + trace_ + "\" line " + std::to_string(line) + ": " + what);
    }

    double seconds(const std::string& field, std::size_t line) const {
        double v = 0;
        const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
        if (ec != std::errc() || end != field.data() + field.size() || !std::isfinite(v))
            fail(line, "arrival_s \"" + field + "\" is not a number");
        if (v < 0) fail(line, "arrival_s " + field + " is negative");
        return v;
    }

    std::int64_t tokens(const std::string& field, const char* column, std::int64_t min, std::size_t line) const {
        std::int64_t v = 0;
        const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
        if (ec != std::errc() || end != field.data() + field.size())
            fail(line, std::string(column) + " \"" + field + "\" is not a whole number of tokens");
        if (v < min) fail(line, std::string(column) + " " + field + " is below " + std::to_string(min));
        return v;
    }

    Request row(const std::string& text, std::size_t line) const {
        std::vector<std::string> fields;
        std::stringstream in(text);
        for (std::string f; std::getline(in, f, ',');) fields.push_back(trim(f));
        if (!text.empty() && text.back() == ',') fields.emplace_back();
        if (fields.size() != 4)
            fail(line, "expected 4 columns (" + std::string(kTraceHeader) + "), got " + std::to_string(fields.size()));
        Request r;
        r.arrival_s = seconds(fields[0], line);
        r.input_tokens = tokens(fields[1], "input_tokens", 1, line);
        r.output_tokens = tokens(fields[2], "output_tokens", 1, line);
        r.cached_tokens = tokens(fields[3], "cached_tokens", 0, line);
        if (r.cached_tokens > r.input_tokens)
            fail(line, "cached_tokens " + fields[3] + " exceeds input_tokens " + fields[1]);
        return r;
    }

private:
    std::string trace_, scenario_file_;
};

}  // namespace

std::unique_ptr<RequestSource> poisson_requests(const workload::Traffic& traffic, double requests_per_s,
                                                std::uint64_t seed) {
    return std::make_unique<PoissonRequests>(traffic, requests_per_s, seed);
}

std::vector<Request> read_request_trace(const std::string& path, const std::string& scenario_file,
                                        const std::string& source_dir) {
    const ScenarioInput trace =
        read_scenario_input(path, source_dir, scenario_file, kTracePath, "request trace", kMaxTraceBytes);
    const TraceParser parser(trace.path, scenario_file);
    std::vector<Request> requests;
    std::size_t line_no = 0;
    std::istringstream in(trace.text);
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        const std::string text = trim(line);
        if (text.empty()) continue;
        if (requests.empty() && text == kTraceHeader) continue;
        Request r = parser.row(text, line_no);
        if (!requests.empty() && r.arrival_s < requests.back().arrival_s)
            parser.fail(line_no, "arrival_s " + trim(text.substr(0, text.find(','))) +
                                     " is earlier than the row before it; rows must be sorted by arrival time");
        requests.push_back(r);
    }
    if (requests.empty())
        throw ScenarioError(scenario_file, kTracePath,
                            "request trace \"" + trace.path + "\" has no requests (expected rows of " + kTraceHeader + ")");
    return requests;
}

std::unique_ptr<RequestSource> scenario_requests(const workload::Scenario& s, std::optional<double> rate_override) {
    const workload::Traffic& t = s.inference.traffic;
    if (t.arrival == workload::Arrival::Trace)
        return std::make_unique<TraceRequests>(read_request_trace(t.trace_file, s.source_file, s.source_dir));
    return poisson_requests(t, rate_override.value_or(t.requests_per_s), s.seed);
}

}  // namespace moesim::inference
