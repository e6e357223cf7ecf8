// parse_scenario(): one hand-written reader per section of schema 1 (DESIGN.md §3). Each
// reader lists the section's keys (anything else is rejected), reads them with their
// defaults from the struct initialisers, and checks each value on its own; checks that
// relate several values live in scenario_validate.cpp.
#include <filesystem>
#include <limits>

#include "moesim/common/error.h"
#include "scenario_internal.h"

namespace moesim::workload {

namespace {

using detail::Bound;
using detail::Section;

Network parse_network(const Section& n) {
    Network out;
    out.topology = n.choice("topology", std::optional(out.topology));
    out.nics_per_node = n.positive("nics_per_node", out.nics_per_node);
    out.nic_Gbps = n.number("nic_Gbps", out.nic_Gbps, Bound::Positive);
    out.oversubscription = n.number("oversubscription", out.oversubscription, Bound::AtLeastOne);
    if (n.has("faults")) {
        const auto& a = n.at("faults");
        const std::string path = n.path_of("faults");
        if (!a.is_array()) detail::fail_at(n.file(), path, "expected an array of faults, got " + detail::describe(a));
        for (std::size_t i = 0; i < a.size(); ++i) {
            const Section f(a[i], path + "/" + std::to_string(i), n.file(),
                            {"node", "nic", "leaf", "spine", "rate_fraction", "from_s"});
            LinkFaultSpec x;
            const bool nic = f.has("node") || f.has("nic");
            const bool cable = f.has("leaf") || f.has("spine");
            if (nic == cable)
                f.fail_here("name one link: a NIC as {\"node\": n, \"nic\": i} or a leaf-spine cable as "
                            "{\"leaf\": l, \"spine\": s}");
            if (nic) {
                x.node = f.non_negative("node", std::nullopt);
                x.nic = f.non_negative("nic", std::nullopt);
            } else {
                x.leaf = f.non_negative("leaf", std::nullopt);
                x.spine = f.non_negative("spine", std::nullopt);
            }
            x.rate_fraction = f.number("rate_fraction", std::nullopt, Bound::Probability);
            x.from_s = f.number("from_s", 0.0, Bound::NonNegative);
            if (nic && x.rate_fraction == 0)
                f.fail("rate_fraction", "a NIC cannot be down (0): its GPU's traffic has no other way out; give a "
                                        "fraction above 0");
            if (x.rate_fraction == 0 && x.from_s > 0)
                f.fail("from_s", "a link goes down (rate_fraction 0) only from 0 s: flows already on it would never end");
            out.faults.push_back(x);
        }
    }
    return out;
}

// An object of finite numbers; the GPU module checks the field names when it applies them.
nlohmann::json parse_gpu_overrides(const Section& c) {
    if (!c.has("gpu_overrides")) return nlohmann::json::object();
    const auto& o = c.at("gpu_overrides");
    const std::string path = c.path_of("gpu_overrides");
    if (!o.is_object()) detail::fail_at(c.file(), path, "expected an object of numbers, got " + detail::describe(o));
    for (const auto& [key, value] : o.items())
        detail::read_number(value, path + "/" + detail::pointer_token(key), c.file(), Bound::Finite);
    return o;
}

Cluster parse_cluster(const Section& c) {
    Cluster out;
    out.gpu = c.text("gpu", std::nullopt);
    out.nodes = c.positive("nodes", std::nullopt);
    out.gpus_per_node = c.positive("gpus_per_node", out.gpus_per_node);
    if (std::int64_t{out.nodes} * out.gpus_per_node > std::numeric_limits<int>::max())
        c.fail("nodes", std::to_string(out.nodes) + " nodes of " + std::to_string(out.gpus_per_node) +
                            " GPUs is more GPUs than moesim can simulate");
    if (auto n = c.optional_section("network", {"topology", "nics_per_node", "nic_Gbps", "oversubscription", "faults"}))
        out.network = parse_network(*n);
    out.gpu_overrides = parse_gpu_overrides(c);
    out.calibration = c.text("calibration", std::string(), /*null_is_default=*/true);
    out.gpu_hour_usd = c.number("gpu_hour_usd", out.gpu_hour_usd, Bound::NonNegative);
    return out;
}

std::optional<std::vector<int>> parse_stage_layers(const Section& p) {
    if (!p.has("stage_layers") || p.at("stage_layers").is_null()) return std::nullopt;
    const auto& a = p.at("stage_layers");
    const std::string path = p.path_of("stage_layers");
    if (!a.is_array())
        detail::fail_at(p.file(), path, "expected an array of layer counts or null, got " + detail::describe(a));
    std::vector<int> out;
    for (std::size_t i = 0; i < a.size(); ++i)
        out.push_back(static_cast<int>(detail::read_integer(a[i], path + "/" + std::to_string(i), p.file(), 1)));
    return out;
}

Parallelism parse_parallelism(const Section& p) {
    Parallelism out;
    out.tp = p.positive("tp", out.tp);
    out.pp = p.positive("pp", out.pp);
    out.dp = p.positive("dp", out.dp);
    out.ep = p.positive("ep", out.ep);
    out.zero_stage = static_cast<int>(p.integer("zero_stage", out.zero_stage, 0, 3));
    out.schedule = p.choice("schedule", std::optional(out.schedule));
    out.virtual_stages = p.positive("virtual_stages", out.virtual_stages);
    out.stage_layers = parse_stage_layers(p);
    out.micro_batch_size = p.positive("micro_batch_size", out.micro_batch_size);
    out.comm_sms = p.non_negative("comm_sms", out.comm_sms);
    out.recompute = p.choice("recompute", std::optional(out.recompute));

    const bool interleaved = out.schedule == Schedule::Interleaved1F1B;
    if (out.virtual_stages > 1 && !interleaved)
        p.fail("virtual_stages", std::to_string(out.virtual_stages) +
                                     " virtual stages need schedule \"interleaved-1f1b\", not \"" +
                                     to_string(out.schedule) + "\"");
    if (out.virtual_stages == 1 && interleaved)
        p.fail("virtual_stages",
               "schedule \"interleaved-1f1b\" needs at least 2 virtual stages per rank, got 1 "
               "(with 1 it is plain \"1f1b\")");
    // One entry per model chunk: pp·virtual_stages, except DualPipeV's V of 2·pp stages
    // (layout.h, pipeline_stage_count).
    const bool v_shape = out.schedule == Schedule::DualPipeV;
    const std::int64_t chunks = std::int64_t{out.pp} * (v_shape ? 2 : out.virtual_stages);
    if (out.stage_layers && static_cast<std::int64_t>(out.stage_layers->size()) != chunks)
        p.fail("stage_layers", "has " + std::to_string(out.stage_layers->size()) + " entries, but " +
                                   (v_shape ? "dualpipev's 2*pp = 2*" + std::to_string(out.pp)
                                            : "pp*virtual_stages = " + std::to_string(out.pp) + "*" +
                                                  std::to_string(out.virtual_stages)) +
                                   " = " + std::to_string(chunks) + " stages need one layer count each");
    return out;
}

ExpertLoad parse_expert_load(const Section& e) {
    ExpertLoad out;
    out.kind = e.choice<ExpertLoadKind>("kind", std::nullopt);
    const auto only_for = [&](const char* key, ExpertLoadKind kind) {
        if (out.kind != kind) e.forbid(key, "kind \"" + to_string(kind) + "\", not \"" + to_string(out.kind) + "\"");
    };
    only_for("alpha", ExpertLoadKind::Zipf);
    only_for("concentration", ExpertLoadKind::Dirichlet);
    only_for("file", ExpertLoadKind::Trace);
    out.alpha = e.number("alpha", out.alpha, Bound::Positive);
    out.concentration = e.number("concentration", out.concentration, Bound::Positive);
    if (out.kind == ExpertLoadKind::Trace) out.file = e.text("file", std::nullopt);
    return out;
}

Moe parse_moe(const Section& m) {
    Moe out;
    out.max_nodes_per_token = m.non_negative("max_nodes_per_token", out.max_nodes_per_token);
    if (auto e = m.optional_section("expert_load", {"kind", "alpha", "concentration", "file"}))
        out.expert_load = parse_expert_load(*e);
    out.redundant_experts = m.non_negative("redundant_experts", out.redundant_experts);
    return out;
}

Training parse_training(const Section& t) {
    Training out;
    out.seq_len = t.positive("seq_len", out.seq_len);
    out.global_batch_size = t.integer("global_batch_size", std::nullopt, 1, std::numeric_limits<std::int64_t>::max());
    out.total_tokens = t.number("total_tokens", std::nullopt, Bound::Positive);
    out.precision = t.choice("precision", std::optional(out.precision));
    if (auto m = t.optional_section("moe", {"max_nodes_per_token", "expert_load", "redundant_experts"}))
        out.moe = parse_moe(*m);
    out.steps = t.positive("steps", out.steps);
    return out;
}

InferencePrecision parse_inference_precision(const Section& p) {
    InferencePrecision out;
    out.weights = p.choice("weights", std::optional(out.weights));
    out.kv_cache = p.choice("kv_cache", std::optional(out.kv_cache));
    out.activations = p.choice("activations", std::optional(out.activations));
    return out;
}

// The keys both pools share; the caller reads its own.
template <class Pool>
void parse_pool_shape(const Section& s, Pool& out) {
    out.instances = s.positive("instances", out.instances);
    out.nodes = s.positive("nodes", out.nodes);
    out.attn_tp = s.positive("attn_tp", out.attn_tp);
    out.ep = s.positive("ep", out.ep);
    out.micro_batches = s.positive("micro_batches", out.micro_batches);
    out.redundant_experts = s.non_negative("redundant_experts", out.redundant_experts);
}

const std::vector<std::string> kPoolKeys{"instances", "nodes", "attn_tp", "ep", "micro_batches", "redundant_experts"};

std::vector<std::string> with(std::vector<std::string> keys, std::initializer_list<const char*> more) {
    keys.insert(keys.end(), more.begin(), more.end());
    return keys;
}

PrefillPool parse_prefill(const Section& s) {
    PrefillPool out;
    parse_pool_shape(s, out);
    out.max_batch_tokens =
        s.integer("max_batch_tokens", out.max_batch_tokens, 1, std::numeric_limits<std::int64_t>::max());
    out.balancer = s.choice("balancer", std::optional(out.balancer));
    return out;
}

DecodePool parse_decode(const Section& s) {
    DecodePool out;
    parse_pool_shape(s, out);
    out.max_batch_per_gpu = s.positive("max_batch_per_gpu", out.max_batch_per_gpu);
    out.overlap_stages = s.positive("overlap_stages", out.overlap_stages);  // at most 16: scenario_ranges.cpp
    if (out.overlap_stages == 2 || out.overlap_stages == 3)
        s.fail("overlap_stages", "must be 1 (no overlap) or 4 to 16 (a MoE layer's stages: the attention side in "
                                 "overlap_stages - 3 steps, dispatch, experts, combine), got " +
                                     std::to_string(out.overlap_stages));
    if (auto m = s.optional_section("mtp", {"draft_tokens", "acceptance"})) {
        out.mtp.draft_tokens = m->non_negative("draft_tokens", out.mtp.draft_tokens);
        out.mtp.acceptance = m->number("acceptance", out.mtp.acceptance, Bound::Probability);
    }
    out.admission = s.choice("admission", std::optional(out.admission));
    return out;
}

// "lognormal" {mean, sigma}, "fixed" {mean}, "uniform" {min, max}; lengths in tokens.
LengthDistribution parse_length(const Section& s, LengthDistribution out) {
    out.dist = s.choice("dist", std::optional(out.dist));
    const std::string owner = "dist \"" + to_string(out.dist) + "\"";
    if (out.dist == LengthDist::Uniform) {
        s.forbid("mean", "dist \"lognormal\" or \"fixed\"; dist \"uniform\" takes min and max");
        s.forbid("sigma", "dist \"lognormal\"");
        out.min = s.number("min", std::nullopt, Bound::AtLeastOne);
        out.max = s.number("max", std::nullopt, Bound::AtLeastOne);
        if (out.max < out.min)
            s.fail("max", "must be >= min = " + detail::show(out.min) + ", got " + detail::show(out.max));
        out.mean = (out.min + out.max) / 2;
        return out;
    }
    s.forbid("min", "dist \"uniform\", not " + owner);
    s.forbid("max", "dist \"uniform\", not " + owner);
    if (out.dist == LengthDist::Fixed) s.forbid("sigma", "dist \"lognormal\", not " + owner);
    out.mean = s.number("mean", out.mean, Bound::AtLeastOne);
    out.sigma = s.number("sigma", out.sigma, Bound::Positive);
    return out;
}

Traffic parse_traffic(const Section& s) {
    Traffic out;
    out.arrival = s.choice("arrival", std::optional(out.arrival));
    out.duration_s = s.number("duration_s", out.duration_s, Bound::Positive);
    if (out.arrival == Arrival::Trace) {
        // The trace gives every request's arrival time, lengths and cached tokens.
        for (const char* key : {"requests_per_s", "input_tokens", "output_tokens", "prefix_cache_hit_rate"})
            s.forbid(key, "arrival \"poisson\" (with arrival \"trace\" the trace file gives it)");
        out.trace_file = s.text("trace_file", std::nullopt);
        return out;
    }
    s.forbid("trace_file", "arrival \"trace\", not \"" + to_string(out.arrival) + "\"");
    out.requests_per_s = s.number("requests_per_s", out.requests_per_s, Bound::Positive);
    const std::vector<std::string> length_keys{"dist", "mean", "sigma", "min", "max"};
    if (auto l = s.optional_section("input_tokens", length_keys)) out.input_tokens = parse_length(*l, out.input_tokens);
    if (auto l = s.optional_section("output_tokens", length_keys))
        out.output_tokens = parse_length(*l, out.output_tokens);
    out.prefix_cache_hit_rate = s.number("prefix_cache_hit_rate", out.prefix_cache_hit_rate, Bound::Probability);
    return out;
}

Inference parse_inference(const Section& s) {
    Inference out;
    out.deployment = s.choice("deployment", std::optional(out.deployment));
    if (auto p = s.optional_section("precision", {"weights", "kv_cache", "activations"}))
        out.precision = parse_inference_precision(*p);
    if (auto p = s.optional_section("prefill", with(kPoolKeys, {"max_batch_tokens", "balancer"}))) out.prefill = parse_prefill(*p);
    if (auto d = s.optional_section("decode", with(kPoolKeys, {"max_batch_per_gpu", "overlap_stages", "mtp", "admission"})))
        out.decode = parse_decode(*d);
    if (auto t = s.optional_section("traffic", {"arrival", "requests_per_s", "duration_s", "trace_file", "input_tokens",
                                                "output_tokens", "prefix_cache_hit_rate"}))
        out.traffic = parse_traffic(*t);
    if (auto l = s.optional_section("slo", {"ttft_p99_ms", "tpot_p99_ms"})) {
        out.slo.ttft_p99_ms = l->number("ttft_p99_ms", out.slo.ttft_p99_ms, Bound::Positive);
        out.slo.tpot_p99_ms = l->number("tpot_p99_ms", out.slo.tpot_p99_ms, Bound::Positive);
    }
    return out;
}

Software parse_software(const Section& s) {
    Software out;
    out.attention = s.choice("attention", std::optional(out.attention));
    out.ep_comm = s.choice("ep_comm", std::optional(out.ep_comm));
    out.gemm = s.choice("gemm", std::optional(out.gemm));
    return out;
}

// Checked before anything else, so that a file from a newer moesim is reported as such
// rather than as a list of unknown keys.
int parse_schema(const nlohmann::json& doc, const std::string& file) {
    std::vector<std::string> all;
    for (const auto& [key, unused] : doc.items()) all.push_back(key);
    const Section root(doc, "", file, all);
    const auto schema = root.integer("schema", std::nullopt, std::numeric_limits<int>::min());
    if (schema > 1)
        root.fail("schema", "the scenario was written for a newer moesim (schema " + std::to_string(schema) +
                                "); this moesim reads schema 1");
    if (schema < 1) root.fail("schema", "unknown schema " + std::to_string(schema) + "; this moesim reads schema 1");
    return static_cast<int>(schema);
}

}  // namespace

Scenario parse_scenario(const nlohmann::json& doc, const std::string& file) {
    if (!doc.is_object()) detail::fail_at(file, "", "a scenario must be a JSON object, got " + detail::describe(doc));
    Scenario s;
    s.schema = parse_schema(doc, file);
    const Section root(doc, "", file,
                       {"schema", "name", "mode", "model", "cluster", "parallelism", "training", "inference", "software",
                        "seed"});
    s.name = root.text("name", std::nullopt);
    s.mode = root.choice<Mode>("mode", std::nullopt);
    s.model = root.text("model", std::nullopt);
    s.cluster = parse_cluster(root.section(
        "cluster", {"gpu", "nodes", "gpus_per_node", "network", "gpu_overrides", "calibration", "gpu_hour_usd"}));

    // The section of the selected mode is required; the other one may be present (a file can
    // carry both and be switched with --set /mode=…) and is then validated just the same.
    const bool training = s.mode == Mode::Training || root.has("training");
    const bool inference = s.mode == Mode::Inference || root.has("inference");
    if (root.has("parallelism") && !training)
        root.fail("parallelism",
                  "only used when mode is \"training\"; the inference pools set their own "
                  "attn_tp and ep");
    if (auto p =
            root.optional_section("parallelism", {"tp", "pp", "dp", "ep", "zero_stage", "schedule", "virtual_stages",
                                                  "stage_layers", "micro_batch_size", "comm_sms", "recompute"}))
        s.parallelism = parse_parallelism(*p);
    const auto required_for = [&](const char* key) {
        if (!root.has(key))
            root.fail(key, std::string("missing section \"") + key + "\", required when mode is \"" +
                               to_string(s.mode) + "\"");
    };
    if (training) {
        required_for("training");
        s.training = parse_training(
            root.section("training", {"seq_len", "global_batch_size", "total_tokens", "precision", "moe", "steps"}));
    }
    if (inference) {
        required_for("inference");
        s.inference = parse_inference(
            root.section("inference", {"deployment", "precision", "prefill", "decode", "traffic", "slo"}));
    }
    if (auto sw = root.optional_section("software", {"attention", "ep_comm", "gemm"})) s.software = parse_software(*sw);
    s.seed = root.unsigned_integer("seed", s.seed);

    if (training) detail::validate_training(s, file);
    if (inference) detail::validate_inference(s, file);

    s.source_file = file;
    if (!file.empty()) {
        s.source_dir = std::filesystem::path(file).parent_path().string();
        if (s.source_dir.empty()) s.source_dir = ".";
    }
    return s;
}

}  // namespace moesim::workload
