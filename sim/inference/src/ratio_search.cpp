// Each pool's capacity alone and the prefill:decode ratio search (ratio_search.h).
#include "moesim/inference/ratio_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "moesim/common/error.h"
#include "moesim/inference/operator_costs.h"
#include "moesim/inference/setup.h"

namespace moesim::inference {

namespace {

void require_disaggregated(const workload::Scenario& s, const char* what) {
    if (s.inference.deployment != workload::Deployment::Disaggregated)
        throw ScenarioError(s.source_file, "/inference/deployment",
                            std::string(what) +
                                " compares the prefill and decode pools of a disaggregated deployment; a colocated one "
                                "has one pool");
    if (s.inference.traffic.arrival != workload::Arrival::Poisson)
        throw ScenarioError(s.source_file, "/inference/traffic/arrival",
                            std::string(what) + " varies the Poisson request rate; a trace fixes its own arrivals");
}

constexpr double kNoTarget_ms = std::numeric_limits<double>::max();

PoolAlone search_alone(const workload::Scenario& s, int instances, const CostsFactory& make_costs,
                       const MaxLoadOptions& options) {
    PoolAlone out;
    out.instances = instances;
    try {
        const auto costs = make_costs(s);
        const MaxLoad m = find_max_load(s, *costs, options);
        out.requests_per_s = m.requests_per_s;
        out.probes = static_cast<int>(m.probes.size());
    } catch (const UserError& e) {
        out.why_none = e.what();
    }
    return out;
}

}  // namespace

std::shared_ptr<const IterationCosts> scenario_costs(const workload::Scenario& s) {
    // The operator model keeps a reference to its setup: both live as long as the pointer.
    struct Held {
        std::unique_ptr<ServingSetup> setup;
        std::unique_ptr<OperatorCosts> costs;
    };
    auto held = std::make_shared<Held>();
    held->setup = prepare_serving(s);
    held->costs = make_operator_costs(*held->setup);
    return std::shared_ptr<const IterationCosts>(held, held->costs.get());
}

PoolCapacities pool_capacities(const workload::Scenario& s, const CostsFactory& make_costs,
                               const MaxLoadOptions& options) {
    require_disaggregated(s, "the pools' capacities");
    MaxLoadOptions quiet = options;
    quiet.progress = {};
    PoolCapacities out;

    workload::Scenario prefill = s;  // one output token: the request ends at its prefill
    prefill.inference.traffic.output_tokens = {workload::LengthDist::Fixed, 1, 1.0};
    prefill.inference.slo.tpot_p99_ms = kNoTarget_ms;
    out.prefill = search_alone(prefill, s.inference.prefill.instances, make_costs, quiet);

    workload::Scenario decode = s;  // every prompt cached: prefill computes one token of it
    decode.inference.traffic.prefix_cache_hit_rate = 1.0;
    decode.inference.slo.ttft_p99_ms = kNoTarget_ms;
    out.decode = search_alone(decode, s.inference.decode.instances, make_costs, quiet);

    if (out.prefill.requests_per_s && out.decode.requests_per_s)
        out.prefill_per_decode = out.decode.per_instance_requests_per_s() / out.prefill.per_instance_requests_per_s();
    return out;
}

workload::Scenario with_prefill_instances(const workload::Scenario& s, int prefill_instances) {
    workload::Scenario out = s;
    auto& inf = out.inference;
    inf.prefill.instances = prefill_instances;
    out.cluster.nodes = inf.prefill.nodes * prefill_instances + inf.decode.nodes * inf.decode.instances;
    return out;
}

RatioSearch find_ratio(const workload::Scenario& s, const CostsFactory& make_costs, const RatioOptions& options) {
    require_disaggregated(s, "--find-ratio");
    RatioSearch out;
    MaxLoadOptions each = options.max_load;
    each.progress = {};
    out.pools = pool_capacities(s, make_costs, each);

    const int limit = std::max(1, options.max_prefill_instances);
    const auto& inf = s.inference;
    if (out.pools.prefill_per_decode)
        out.start_prefill_instances = static_cast<int>(std::clamp(
            std::ceil(*out.pools.prefill_per_decode * inf.decode.instances - 1e-9), 1.0, static_cast<double>(limit)));
    else
        out.start_prefill_instances = std::clamp(inf.prefill.instances, 1, limit);

    std::map<int, std::size_t> index;  // prefill instances → its point in `tried`
    const auto evaluate = [&](int n) -> const RatioPoint& {
        if (auto it = index.find(n); it != index.end()) return out.tried[it->second];
        const workload::Scenario at = with_prefill_instances(s, n);
        RatioPoint p;
        p.prefill_instances = n;
        try {
            const auto costs = make_costs(at);
            p.gpus = n * costs->gpus(Pool::Prefill) + inf.decode.instances * costs->gpus(Pool::Decode);
            MaxLoad m = find_max_load(at, *costs, each);
            const ServingRun& run = m.run;
            const double window_s = run.stats.window_end_s - run.stats.window_start_s;
            p.requests_per_s = m.requests_per_s;
            p.output_tokens_per_gpu_hour =
                static_cast<double>(run.stats.output_tokens_decoded) / window_s * 3600.0 / p.gpus;
            p.prefill_input_tokens_per_s_per_node = run.result.prefill_input_tokens_per_s_per_node;
            p.decode_output_tokens_per_s_per_node = run.result.decode_output_tokens_per_s_per_node;
            p.ttft_p99_ms = run.result.ttft_ms.p99;
            p.tpot_p99_ms = run.result.tpot_ms.p99;
            p.usd_per_million_output_tokens = run.result.usd_per_million_output_tokens;
            const bool better = !out.best_load || p.output_tokens_per_gpu_hour > out.answer().output_tokens_per_gpu_hour ||
                                (p.output_tokens_per_gpu_hour == out.answer().output_tokens_per_gpu_hour &&
                                 n < out.answer().prefill_instances);
            out.tried.push_back(p);
            if (better) {
                out.best = out.tried.size() - 1;
                out.best_load = std::move(m);
            }
        } catch (const UserError& e) {
            p.why_none = e.what();
            out.tried.push_back(p);
        }
        index[n] = out.tried.size() - 1;
        if (options.progress) {
            const auto done = static_cast<std::int64_t>(out.tried.size());
            options.progress(done, done + 2);
        }
        return out.tried.back();
    };
    const auto value = [&](int n) { return evaluate(n).output_tokens_per_gpu_hour; };

    // Walk from n0: down while fewer units pay strictly better, else up while more do.
    int n = out.start_prefill_instances;
    double here = value(n);
    bool moved_down = false;
    while (n > 1 && value(n - 1) > here) {
        here = value(--n);
        moved_down = true;
    }
    if (!moved_down)
        while (n < limit && value(n + 1) > here) here = value(++n);
    if (!out.best_load) {
        std::string why = "no number of prefill instances tried meets the SLO at any request rate";
        if (!out.tried.empty() && !out.tried.front().why_none.empty()) why += " (" + out.tried.front().why_none + ")";
        throw ScenarioError(s.source_file, "/inference/slo", why);
    }
    if (options.progress) {
        const auto done = static_cast<std::int64_t>(out.tried.size());
        options.progress(done, done);
    }
    return out;
}

}  // namespace moesim::inference
