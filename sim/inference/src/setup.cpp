#include "moesim/inference/setup.h"

#include <cstdio>
#include <string>

#include "moesim/common/error.h"
#include "moesim/common/units.h"
#include "moesim/workload/resolve.h"
#include "pool_plan.h"

namespace moesim::inference {

namespace {

// The model accounting's own attention figures (flops_per_token_forward) are at this length,
// `moesim model`'s default --seq-len (DESIGN.md §6). Serving costs do not use them: they price
// attention from each iteration's real context.
constexpr int kAccountingSeqLen = 4096;

std::string gb(double bytes) { return units::memory_text(bytes); }

std::string str(long long v) { return std::to_string(v); }

void check_pool_against_model(const workload::Scenario& s, const workload::ModelConfig& m, const std::string& path,
                              int attn_tp, int ep, int redundant_experts) {
    const std::string& f = s.source_file;
    if (m.num_heads % attn_tp != 0)
        throw ScenarioError(f, path + "/attn_tp",
                            str(attn_tp) + " does not divide the " + str(m.num_heads) + " attention heads of " + m.name);
    if (m.attention != workload::AttentionKind::MLA && m.num_kv_heads % attn_tp != 0 && attn_tp % m.num_kv_heads != 0)
        throw ScenarioError(f, path + "/attn_tp",
                            str(attn_tp) + " neither divides nor is a multiple of the " + str(m.num_kv_heads) +
                                " KV heads of " + m.name + ", so its KV heads cannot be split evenly");
    if (!m.is_moe() && ep != 1)
        throw ScenarioError(f, path + "/ep", str(ep) + ": " + m.name + " is a dense model (no experts); use ep 1");
    if (!m.is_moe() && redundant_experts != 0)
        throw ScenarioError(f, path + "/redundant_experts",
                            str(redundant_experts) + ": " + m.name + " is a dense model (no experts); use 0");
    const int gpn = s.cluster.gpus_per_node;
    if (ep > gpn && ep % gpn != 0)
        throw ScenarioError(f, path + "/ep",
                            str(ep) + " spans nodes but is not a multiple of gpus_per_node = " + str(gpn) +
                                ": an EP group takes whole nodes once it leaves one");
}

void check_mtp(const workload::Scenario& s, const workload::ModelConfig& m) {
    const int d = s.inference.decode.mtp.draft_tokens;
    if (d > 0 && m.mtp_layers == 0)
        throw ScenarioError(s.source_file, "/inference/decode/mtp/draft_tokens",
                            str(d) + " draft tokens, but " + m.name +
                                " has no MTP module (num_nextn_predict_layers is 0); use 0");
}

// A pool that leaves no room: its weights (`weights` per GPU, both pools' when colocated) and
// working memory over the GPU, or less than one token of KV cache.
void require_fits(const workload::Scenario& s, const hw::GpuSpec& gpu, const PoolPlan& p, const std::string& path,
                  const std::string& what, double weights, double working) {
    const double reserve = p.reserve.total_bytes();
    if (p.kv_free_bytes <= 0)
        throw MemoryFitError(s.source_file, path,
                            what + " needs " + gb(weights + working + reserve) + " per GPU before any KV cache (weights " +
                                gb(weights) + " with attn_tp " + str(p.attn_tp) + " and ep " + str(p.ep) +
                                ", working memory " + gb(working) + ", reserve " + gb(reserve) + ") but the " +
                                gpu.name + " has " +
                                gb(gpu.hbm_bytes) +
                                "; use a larger ep to spread the experts, a larger attn_tp, FP8 weights, or more "
                                "nodes per instance");
    if (p.kv_capacity_tokens_per_group < 1)
        throw MemoryFitError(s.source_file, path,
                            what + " leaves " + gb(p.kv_free_bytes) + " per GPU for the KV cache, less than one token (" +
                                str(static_cast<long long>(p.kv_bytes_per_token)) + " bytes)");
}

bool same_layout(const PoolPlan& a, const PoolPlan& b) {
    return a.nodes == b.nodes && a.attn_tp == b.attn_tp && a.ep == b.ep;
}

}  // namespace

std::unique_ptr<ServingSetup> prepare_serving(const workload::Scenario& s) {
    MOESIM_CHECK(s.mode == workload::Mode::Inference, "prepare_serving needs an inference scenario");
    auto st = std::make_unique<ServingSetup>();
    st->scenario = s;
    st->model = workload::account_model(workload::resolve_model(s), kAccountingSeqLen);
    st->gpu = workload::resolve_gpu(s);
    st->profile = workload::resolve_profile(s);
    st->ranks = workload::ServingRankMap(s.inference, s.cluster.gpus_per_node);
    st->network = network::make_network(workload::topology_spec(s, st->gpu), st->profile, network::NetworkModel::ClosedForm);
    const auto& m = st->model.model;
    const auto& inf = s.inference;
    check_pool_against_model(s, m, "/inference/prefill", inf.prefill.attn_tp, inf.prefill.ep,
                             inf.prefill.redundant_experts);
    check_pool_against_model(s, m, "/inference/decode", inf.decode.attn_tp, inf.decode.ep, inf.decode.redundant_experts);
    check_mtp(s, m);

    st->prefill = detail::plan_pool(*st, Pool::Prefill);
    st->decode = detail::plan_pool(*st, Pool::Decode);
    if (inf.deployment == workload::Deployment::Colocated) {
        // One GPU runs both pools: both sets of weights unless the layouts are the same, the
        // larger working memory, one KV space.
        PoolPlan& a = st->prefill;
        PoolPlan& b = st->decode;
        const double weights = same_layout(a, b) ? std::max(a.weights_bytes, b.weights_bytes)
                                                 : a.weights_bytes + b.weights_bytes;
        const double working = std::max(a.working_bytes, b.working_bytes);
        const hw::MemoryReserve reserve =
            hw::memory_reserve(hw::reserve_policy(st->gpu), working, detail::uses_ep_buffers(*st, a) || detail::uses_ep_buffers(*st, b));
        for (PoolPlan* p : {&a, &b}) {
            p->reserve = reserve;
            p->kv_free_bytes = st->gpu.hbm_bytes - weights - working - reserve.total_bytes();
            detail::set_kv_capacity(*p);
        }
        for (const PoolPlan* p : {&a, &b})
            require_fits(s, st->gpu, *p, "/inference/deployment", "colocated prefill and decode", weights, working);
    } else {
        for (const PoolPlan* p : {&st->prefill, &st->decode})
            require_fits(s, st->gpu, *p, p->json_path,
                         p->pool == Pool::Prefill ? "a prefill instance" : "a decode instance", p->weights_bytes,
                         p->working_bytes);
    }
    return st;
}

std::string describe_memory(const PoolPlan& p) {
    char tokens[64];
    std::snprintf(tokens, sizeof tokens, "%lld", static_cast<long long>(p.kv_capacity_tokens_per_group));
    return gb(p.weights_bytes + p.working_bytes + p.reserve.total_bytes() + p.kv_free_bytes) + " per GPU (weights " +
           gb(p.weights_bytes) + ", working " + gb(p.working_bytes) + ", reserve " + gb(p.reserve.total_bytes()) +
           ", KV cache " + gb(p.kv_free_bytes) + " = " + tokens + " tokens per attention group)";
}

}  // namespace moesim::inference
