// to_json(): the scenario with every default filled in, as schema-1 JSON. It writes exactly
// the keys the parser accepts for the kinds chosen (e.g. `alpha` only for a zipf load), so
// parse_scenario(to_json(s)) == s.
#include "scenario_internal.h"

namespace moesim::workload {

namespace {

using nlohmann::json;

json length_json(const LengthDistribution& l) {
    json j{{"dist", to_string(l.dist)}};
    if (l.dist == LengthDist::Uniform) {
        j["min"] = l.min;
        j["max"] = l.max;
        return j;
    }
    j["mean"] = l.mean;
    if (l.dist == LengthDist::Lognormal) j["sigma"] = l.sigma;
    return j;
}

json traffic_json(const Traffic& t) {
    json j{{"arrival", to_string(t.arrival)}, {"duration_s", t.duration_s}};
    if (t.arrival == Arrival::Trace) {
        j["trace_file"] = t.trace_file;
        return j;
    }
    j["requests_per_s"] = t.requests_per_s;
    j["input_tokens"] = length_json(t.input_tokens);
    j["output_tokens"] = length_json(t.output_tokens);
    j["prefix_cache_hit_rate"] = t.prefix_cache_hit_rate;
    return j;
}

template <class Pool>
json pool_json(const Pool& p) {
    return json{{"instances", p.instances},
                {"nodes", p.nodes},
                {"attn_tp", p.attn_tp},
                {"ep", p.ep},
                {"micro_batches", p.micro_batches},
                {"redundant_experts", p.redundant_experts}};
}

json inference_json(const Inference& i) {
    json prefill = pool_json(i.prefill);
    prefill["max_batch_tokens"] = i.prefill.max_batch_tokens;
    prefill["balancer"] = to_string(i.prefill.balancer);
    json decode = pool_json(i.decode);
    decode["max_batch_per_gpu"] = i.decode.max_batch_per_gpu;
    decode["overlap_stages"] = i.decode.overlap_stages;
    decode["mtp"] = {{"draft_tokens", i.decode.mtp.draft_tokens}, {"acceptance", i.decode.mtp.acceptance}};
    decode["admission"] = to_string(i.decode.admission);
    return json{{"deployment", to_string(i.deployment)},
                {"precision",
                 {{"weights", to_string(i.precision.weights)},
                  {"kv_cache", to_string(i.precision.kv_cache)},
                  {"activations", to_string(i.precision.activations)}}},
                {"prefill", prefill},
                {"decode", decode},
                {"traffic", traffic_json(i.traffic)},
                {"slo", {{"ttft_p99_ms", i.slo.ttft_p99_ms}, {"tpot_p99_ms", i.slo.tpot_p99_ms}}}};
}

json expert_load_json(const ExpertLoad& e) {
    json j{{"kind", to_string(e.kind)}};
    if (e.kind == ExpertLoadKind::Zipf) j["alpha"] = e.alpha;
    if (e.kind == ExpertLoadKind::Dirichlet) j["concentration"] = e.concentration;
    if (e.kind == ExpertLoadKind::Trace) j["file"] = e.file;
    return j;
}

json training_json(const Training& t) {
    return json{{"seq_len", t.seq_len},
                {"global_batch_size", t.global_batch_size},
                {"total_tokens", t.total_tokens},
                {"precision", to_string(t.precision)},
                {"moe",
                 {{"max_nodes_per_token", t.moe.max_nodes_per_token},
                  {"expert_load", expert_load_json(t.moe.expert_load)},
                  {"redundant_experts", t.moe.redundant_experts}}},
                {"steps", t.steps}};
}

json parallelism_json(const Parallelism& p) {
    return json{{"tp", p.tp},
                {"pp", p.pp},
                {"dp", p.dp},
                {"ep", p.ep},
                {"zero_stage", p.zero_stage},
                {"schedule", to_string(p.schedule)},
                {"virtual_stages", p.virtual_stages},
                {"stage_layers", p.stage_layers ? json(*p.stage_layers) : json(nullptr)},
                {"micro_batch_size", p.micro_batch_size},
                {"comm_sms", p.comm_sms},
                {"recompute", to_string(p.recompute)}};
}

// Written only when there are faults: scenarios without them read back as before.
json faults_json(const std::vector<LinkFaultSpec>& faults) {
    json out = json::array();
    for (const LinkFaultSpec& f : faults) {
        json x = f.nic >= 0 ? json{{"node", f.node}, {"nic", f.nic}} : json{{"leaf", f.leaf}, {"spine", f.spine}};
        x["rate_fraction"] = f.rate_fraction;
        x["from_s"] = f.from_s;
        out.push_back(std::move(x));
    }
    return out;
}

json cluster_json(const Cluster& c) {
    json out = json{{"gpu", c.gpu},
                {"nodes", c.nodes},
                {"gpus_per_node", c.gpus_per_node},
                {"network",
                 {{"topology", to_string(c.network.topology)},
                  {"nics_per_node", c.network.nics_per_node},
                  {"nic_Gbps", c.network.nic_Gbps},
                  {"oversubscription", c.network.oversubscription}}},
                {"gpu_overrides", c.gpu_overrides},
                {"calibration", c.calibration.empty() ? json(nullptr) : json(c.calibration)},
                {"gpu_hour_usd", c.gpu_hour_usd}};
    if (!c.network.faults.empty()) out["network"]["faults"] = faults_json(c.network.faults);
    return out;
}

}  // namespace

json to_json(const Scenario& s) {
    json j{{"schema", s.schema}, {"name", s.name}, {"mode", to_string(s.mode)},
           {"model", s.model},   {"seed", s.seed}, {"cluster", cluster_json(s.cluster)}};
    // The section of the other mode is written only when it carries something: the parser
    // validates it whenever it is present.
    if (s.mode == Mode::Training || s.training != Training{} || s.parallelism != Parallelism{}) {
        j["parallelism"] = parallelism_json(s.parallelism);
        j["training"] = training_json(s.training);
    }
    if (s.mode == Mode::Inference || s.inference != Inference{}) j["inference"] = inference_json(s.inference);
    // Written only when it chooses something: a scenario without it reads (and hashes) as before.
    if (s.software != Software{})
        j["software"] = {{"attention", to_string(s.software.attention)},
                         {"ep_comm", to_string(s.software.ep_comm)},
                         {"gemm", to_string(s.software.gemm)}};
    return j;
}

}  // namespace moesim::workload
