#include "serving_summary.h"

#include <algorithm>
#include <string>

#include "format.h"
#include "moesim/reports/run_status.h"
#include "serving_searches.h"

namespace moesim::cli {

namespace {

std::string count(long long n, const std::string& one, const std::string& many) {
    return thousands(static_cast<double>(n)) + " " + (n == 1 ? one : many);
}

std::string length(const workload::LengthDistribution& d) {
    switch (d.dist) {
        case workload::LengthDist::Fixed: return fixed(d.mean, 0);
        case workload::LengthDist::Uniform: return "uniform " + fixed(d.min, 0) + "-" + fixed(d.max, 0);
        default: return "lognormal mean " + fixed(d.mean, 0) + " sigma " + fixed(d.sigma, 2);
    }
}

void print_pool(std::ostream& out, const char* label, const inference::PoolPlan& p, int instances,
                const std::string& extra) {
    out << "  " << label << count(instances, "instance", "instances") << " x " << count(p.nodes, "node", "nodes") << " ("
        << p.gpus << " GPUs): attention TP" << p.attn_tp << " x " << p.attention_groups << " groups, EP" << p.ep;
    if (p.expert_slots_per_gpu > 0)
        out << " (" << count(p.expert_slots_per_gpu, "expert", "experts") << " per GPU, " << p.redundant_experts
            << " redundant)";
    out << ", " << count(p.micro_batches, "micro-batch", "micro-batches") << extra << "\n";
}

void print_percentiles(std::ostream& out, const char* label, const inference::Percentiles& p, double slo_ms) {
    out << "  " << label << "p50 " << fixed(p.p50, 1) << " ms, p90 " << fixed(p.p90, 1) << " ms, p99 " << fixed(p.p99, 1)
        << " ms  (SLO p99 " << fixed(slo_ms, 0) << " ms: " << (p.p99 <= slo_ms ? "met" : "missed") << ")\n";
}

// The answer's dependence on the requests drawn, beside the search's own 2% bracket.
void print_spread(std::ostream& out, const inference::MaxLoad& found, const inference::MaxLoadSpread& m) {
    out << "  over seeds    ";
    for (std::size_t i = 0; i < m.seeds.size(); ++i) {
        const auto& r = m.seeds[i];
        out << (i ? ", " : "") << "seed " << r.seed << ": " << (r.requests_per_s ? fixed(*r.requests_per_s, 2) : "none");
    }
    out << " requests/s\n";
    if (m.answered() == 0) return;
    const double half_range = (m.max_requests_per_s - m.min_requests_per_s) / 2 / m.median_requests_per_s;
    out << "                median " << fixed(m.median_requests_per_s, 2) << ", range " << fixed(m.min_requests_per_s, 2) << "-"
        << fixed(m.max_requests_per_s, 2) << " (±" << percent(half_range, 1) << " of the median with the requests drawn; "
        << "each search stops within 2%); the run above is seed " << m.seeds.front().seed << "'s at "
        << fixed(found.requests_per_s, 2) << "\n";
    for (const auto& r : m.seeds)
        if (!r.requests_per_s) out << "                seed " << r.seed << ": " << r.why_none << "\n";
}

// Where each pool's iteration time goes (InferenceResult::breakdown), as shares of it.
void print_breakdown(std::ostream& out, const std::vector<inference::ServingBreakdownEntry>& entries) {
    static const char* const kColumns[][2] = {{"attention", "attention"}, {"dense_gemm", "GEMM"},
                                              {"moe_gemm", "MoE GEMM"},   {"tp_comm", "TP comm"},
                                              {"other", "other"},         {"ep_comm_exposed", "EP exposed"},
                                              {"kv_gather_exposed", "KV gather"}};
    bool header = false;
    for (const char* pool : {"prefill", "decode"}) {
        double total = 0, ep_comm = 0, ep_exposed = 0;
        std::string row;
        for (const auto& col : kColumns)
            for (const auto& e : entries)
                if (e.pool == pool && e.category == col[0]) {
                    const std::string cell = percent(e.share, 1);
                    row += std::string(std::max<std::size_t>(1, std::string(col[1]).size() + 2 - cell.size()), ' ') + cell;
                    total += e.seconds;
                    if (e.category == std::string("ep_comm_exposed")) ep_exposed = e.seconds;
                }
        for (const auto& e : entries)
            if (e.pool == pool && e.category == std::string("ep_comm")) ep_comm = e.seconds;
        if (row.empty()) continue;
        if (!header) {
            out << "  breakdown     of iteration time";
            for (const auto& col : kColumns) out << "  " << col[1];
            out << "  (mean iteration; EP dispatch + combine on their stream)\n";
            header = true;
        }
        out << "                " << pool << std::string(std::string("of iteration time").size() - std::string(pool).size(), ' ')
            << row << "  (" << fixed(1e3 * total, 2) << " ms; EP comm " << fixed(1e3 * ep_comm, 2) << " ms, "
            << percent(ep_comm > 0 ? std::max(0.0, 1 - ep_exposed / ep_comm) : 0, 0) << " hidden)\n";
    }
    for (const auto& e : entries)
        if (e.pool == std::string("kv_transfer"))
            out << "  KV transfer   " << fixed(1e3 * e.seconds, 2) << " ms per request on average, prefill to decode\n";
}

}  // namespace

void print_serving_summary(std::ostream& out, const inference::ServingSetup& st, const workload::Scenario& s,
                           const inference::ServingRun& run, const inference::MaxLoad* max_load,
                           const inference::MaxLoadSpread* spread, const inference::PoolCapacities* pools,
                           const inference::RatioSearch* ratio) {
    const workload::Inference& inf = s.inference;
    const inference::InferenceResult& r = run.result;
    const inference::ServingStats& x = run.stats;
    const bool colocated = inf.deployment == workload::Deployment::Colocated;
    out << s.name << ": serving " << st.model.model.name << " on " << s.cluster.gpus() << " x " << st.gpu.name << " ("
        << count(s.cluster.nodes, "node", "nodes") << " x " << s.cluster.gpus_per_node << "), " << to_string(inf.deployment)
        << ", weights " << to_string(inf.precision.weights) << ", KV cache " << to_string(inf.precision.kv_cache)
        << ", fidelity " << r.fidelity << "\n";
    // Colocated: the decode instances prefill too (serving_sim.h).
    print_pool(out, "prefill       ", st.prefill, colocated ? inf.decode.instances : inf.prefill.instances,
               ", " + thousands(static_cast<double>(inf.prefill.max_batch_tokens)) + " new tokens per iteration" +
                   (colocated ? " (on the decode instances)" : ""));
    std::string decode_extra = ", up to " + thousands(static_cast<double>(st.decode.max_sequences_per_group)) +
                               " sequences per group";
    if (inf.decode.mtp.draft_tokens > 0)
        decode_extra += ", MTP " + std::to_string(inf.decode.mtp.draft_tokens) + " draft (acceptance " +
                        fixed(inf.decode.mtp.acceptance, 2) + ")";
    print_pool(out, "decode        ", st.decode, inf.decode.instances, decode_extra);
    out << "  memory/GPU    prefill " << inference::describe_memory(st.prefill) << "\n"
        << "                decode  " << inference::describe_memory(st.decode) << "\n";
    const workload::Traffic& t = inf.traffic;
    if (t.arrival == workload::Arrival::Poisson)
        out << "  traffic       Poisson " << fixed(x.requests_per_s, 2) << " requests/s for " << fixed(t.duration_s, 0)
            << " s; input " << length(t.input_tokens) << ", output " << length(t.output_tokens) << " tokens; "
            << percent(t.prefix_cache_hit_rate, 0) << " prefix-cache hits\n";
    else
        out << "  traffic       trace " << t.trace_file << ", " << fixed(x.requests_per_s, 2) << " requests/s over "
            << fixed(t.duration_s, 0) << " s\n";
    out << "  requests      " << thousands(static_cast<double>(x.requests_measured)) << " measured (arriving in ["
        << fixed(x.window_start_s, 0) << ", " << fixed(x.window_end_s, 0) << ") s): "
        << thousands(static_cast<double>(r.requests_completed)) << " completed, "
        << thousands(static_cast<double>(x.requests_unfinished))
        << " unfinished at the stop (in the percentiles with what they had got by then), "
        << thousands(static_cast<double>(x.requests_rejected)) << " rejected, "
        << thousands(static_cast<double>(x.decode_holds)) << " held for decode KV room\n";
    print_percentiles(out, "TTFT          ", r.ttft_ms, inf.slo.ttft_p99_ms);
    print_percentiles(out, "TPOT          ", r.tpot_ms, inf.slo.tpot_p99_ms);
    out << "  verdict       " << report::describe(report::serving_verdict(r)) << "\n";
    out << "  throughput    prefill " << thousands(r.prefill_input_tokens_per_s_per_node)
        << " input tokens/s per node (busy " << percent(x.prefill_busy_fraction) << ", iterating "
        << percent(x.prefill_iterating_fraction) << "); decode " << thousands(r.decode_output_tokens_per_s_per_node)
        << " output tokens/s per node (busy " << percent(x.decode_busy_fraction) << ", iterating "
        << percent(x.decode_iterating_fraction) << ")\n"
        << "                (busy: the instances had work, prompts queued or sequences decoding; iterating: an "
           "iteration ran)\n";
    print_breakdown(out, r.breakdown);
    if (st.model.model.is_moe())
        out << "  EP load       " << st.prefill.experts.describe("prefill") << "\n                "
            << st.decode.experts.describe("decode") << "\n";
    out << "  KV cache      " << percent(r.kv_cache_utilization) << " used on average (" << percent(x.kv_reserved_fraction)
        << " reserved); " << fixed(x.mean_decode_sequences_per_group, 1) << " sequences per group per decode step\n";
    out << "  cost          $" << fixed(r.usd_per_million_input_tokens_cache_miss, 4)
        << " per 1M input tokens (cache miss), $" << fixed(r.usd_per_million_input_tokens_cache_hit, 4)
        << " (cache hit), $" << fixed(r.usd_per_million_output_tokens, 4) << " per 1M output tokens at $"
        << fixed(s.cluster.gpu_hour_usd, 2) << "/GPU-hour\n";
    out << "                (output: decode GPU time over the window / the "
        << thousands(static_cast<double>(x.output_tokens_decoded))
        << " output tokens decoded in it, of any request, finished or not)\n";
    if (max_load != nullptr) {
        out << "  max load      " << fixed(max_load->requests_per_s, 2)
            << " requests/s is the highest rate found that meets the SLO (" << max_load->probes.size()
            << " rates simulated; alone, the p99 request needs " << fixed(max_load->ttft_p99_bound_ms, 1)
            << " ms to its first token and " << fixed(max_load->tpot_p99_bound_ms, 2) << " ms per output token):\n";
        for (const auto& p : max_load->probes)
            out << "                " << fixed(p.requests_per_s, 2) << " requests/s: p99 TTFT " << fixed(p.ttft_p99_ms, 1)
                << " ms, TPOT " << fixed(p.tpot_p99_ms, 1) << " ms"
                << (p.unfinished > 0 ? ", " + thousands(static_cast<double>(p.unfinished)) + " unfinished" : "")
                << (p.meets ? "  meets" : "  misses") << "\n";
    }
    if (max_load != nullptr && spread != nullptr) print_spread(out, *max_load, *spread);
    if (pools != nullptr) print_pools(out, *pools, inf.prefill.instances);
    if (ratio != nullptr) print_ratio(out, *ratio, inf.decode.instances);
    out << "  assumptions:\n";
    for (const auto& a : r.assumptions) out << "    - " << a << "\n";
}

}  // namespace moesim::cli
