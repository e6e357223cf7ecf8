// IterationCosts from the operator model: layers priced by LayerPricer, combined over the
// attention groups, the passes (main model, MTP drafts) and the micro-batches as
// operator_costs.h writes down.
#include "moesim/inference/operator_costs.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "layer_pricer.h"
#include "moesim/common/error.h"
#include "moesim/hw/costs.h"
#include "moesim/inference/stage_schedule.h"

namespace moesim::inference {

using detail::LayerTimes;
using detail::Load;
using workload::LayerKind;

namespace {

const workload::Layer* first_of(const workload::ModelAccounting& a, LayerKind kind) {
    for (const auto& l : a.layers)
        if (l.kind == kind) return &l;
    return nullptr;
}

int count_of(const workload::ModelAccounting& a, LayerKind kind) {
    return static_cast<int>(std::count_if(a.layers.begin(), a.layers.end(), [&](const auto& l) { return l.kind == kind; }));
}

bool has_experts(const workload::Layer& l) {
    return std::any_of(l.ops.begin(), l.ops.end(),
                       [](const workload::Operator& op) { return op.placement == workload::ParamPlacement::Expert; });
}

}  // namespace

// The layers of the main pass and of a draft pass, each kind once with its count (all
// layers of a kind are alike).
struct OperatorCosts::PoolModel {
    PoolModel(const ServingSetup& st, Pool pool)
        : plan(st.pool(pool)), pricer(st, pool),
          draft_passes(pool == Pool::Decode ? st.scenario.inference.decode.mtp.draft_tokens : 0),
          prefill(pool == Pool::Prefill),
          overlap_stages(pool == Pool::Decode ? st.scenario.inference.decode.overlap_stages : 0) {
        for (LayerKind kind : {LayerKind::Embedding, LayerKind::Dense, LayerKind::Moe, LayerKind::Head}) {
            const workload::Layer* layer = first_of(st.model, kind);
            if (!layer) continue;
            main.layers.push_back(layer);
            main_counts.push_back(count_of(st.model, kind));
        }
        MOESIM_CHECK(main.layers.front()->kind == LayerKind::Embedding && main.layers.back()->kind == LayerKind::Head,
                     "a model has an embedding and a head");
        if (draft_passes > 0) {
            const workload::Layer* mtp = first_of(st.model, LayerKind::Mtp);
            MOESIM_CHECK(mtp, "draft tokens need an MTP module (checked by prepare_serving)");
            draft.layers.push_back(mtp);
        }
    }

    const PoolPlan& plan;
    detail::LayerPricer pricer;
    detail::Pass main, draft;
    std::vector<int> main_counts;
    int draft_passes;
    bool prefill;
    int overlap_stages;  // decode: stage_schedule.h; prefill: 0 (the closed form below)

    // One kind of layer in one micro-batch: the slowest group's side, plus the expert side and
    // the EP communication when the layer has routed experts.
    struct Step {
        LayerTimes t;
        double count = 0;
        bool moe = false;
        double experts_s = 0;  // the expert side's compute, inside t
    };

    // The steps of `pass` over the groups' loads; `draft`: an MTP pass (one head row per
    // sequence, as in prefill; decode's main pass checks every new token).
    void add_steps(const detail::Pass& pass, const std::vector<int>& counts, const std::vector<Load>& loads,
                   bool is_draft, std::vector<Step>& out) const {
        const std::size_t n = pass.layers.size();
        const std::size_t first = out.size();
        for (std::size_t i = 0; i < n; ++i) out.push_back({LayerTimes{}, static_cast<double>(counts[i]), has_experts(*pass.layers[i])});
        std::vector<LayerTimes> side(n);
        double instance_tokens = 0, busiest_tokens = 0;
        for (const Load& g : loads) {
            const double head_rows = prefill || is_draft ? g.sequences : g.new_tokens;
            pricer.group_side(pass, g, head_rows, side);
            for (std::size_t i = 0; i < n; ++i)
                if (side[i].compute_s() > out[first + i].t.compute_s()) out[first + i].t = side[i];
            instance_tokens += g.new_tokens;
            busiest_tokens = std::max(busiest_tokens, g.new_tokens);
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (!out[first + i].moe) continue;
            const LayerTimes experts = pricer.expert_side(*pass.layers[i], instance_tokens);
            out[first + i].t += experts;
            out[first + i].experts_s = experts.compute_s();
            out[first + i].t += pricer.ep_comm(busiest_tokens / plan.attn_tp);
        }
    }

    // The group side of the main pass on one group's load, one micro-batch.
    double group_compute_s(const Load& g) const {
        // Reused: the prefill balancer prices hundreds of group loads an iteration.
        thread_local std::vector<LayerTimes> side;
        side.resize(main.layers.size());
        pricer.group_side(main, g, prefill ? g.sequences : g.new_tokens, side);
        double t = 0;
        for (std::size_t i = 0; i < side.size(); ++i) t += main_counts[i] * side[i].compute_s();
        return t;
    }

    std::vector<Step> steps(const std::vector<Load>& loads) const {
        std::vector<Step> out;
        add_steps(main, main_counts, loads, false, out);
        if (draft_passes > 0) {
            // Each MTP pass: one token per sequence, attending over the sequence's context.
            std::vector<Load> drafts;
            for (const Load& g : loads) drafts.push_back({g.sequences, g.sequences, g.context_tokens});
            add_steps(draft, {draft_passes}, drafts, true, out);
        }
        return out;
    }

    // Decode: m micro-batches through the two-stream stage schedule (stage_schedule.h).
    double staged_s(const std::vector<Step>& s, int m) const {
        std::vector<Stage> chain;
        for (const Step& x : s)
            for (int c = 0; c < static_cast<int>(x.count); ++c) {
                if (x.moe && x.t.comm_s() > 0)
                    append_moe_layer(chain, overlap_stages, x.t.compute_s() - x.experts_s, x.t.dispatch_s, x.experts_s,
                                     x.t.combine_s);
                else
                    chain.push_back({false, x.t.compute_s()});
            }
        return two_stream_makespan_s(chain, m);
    }

    // The iteration cut into m micro-batches (operator_costs.h).
    IterationBreakdown evaluate(const std::vector<Load>& loads, int m) const {
        std::vector<Load> part;
        for (const Load& g : loads) part.push_back(g.scaled(1.0 / m));
        const std::vector<Step> s = steps(part);
        LayerTimes busy;
        double overlapped = 0, fill = 0;
        for (const Step& x : s) {
            busy += x.t.scaled(x.count * m);
            overlapped += x.count * m * std::max(x.t.compute_s(), x.t.comm_s());
            if (x.moe && x.t.comm_s() > 0) fill = std::max(fill, std::min(x.t.compute_s(), x.t.comm_s()));
        }
        IterationBreakdown b;
        b.attention_s = busy.attention_s;
        b.dense_gemm_s = busy.dense_gemm_s;
        b.moe_gemm_s = busy.moe_gemm_s;
        b.tp_comm_s = busy.tp_comm_s;
        b.other_s = busy.other_s;
        b.dispatch_s = busy.dispatch_s;
        b.combine_s = busy.combine_s;
        b.micro_batches = m;
        if (m == 1)
            b.total_s = b.compute_s() + b.comm_s();
        else if (overlap_stages > 0)
            b.total_s = staged_s(s, m);
        else
            b.total_s = overlapped + fill;
        b.exposed_comm_s = b.total_s - b.compute_s();
        return b;
    }

    IterationBreakdown breakdown(std::span<const GroupLoad> groups) const {
        MOESIM_CHECK(static_cast<int>(groups.size()) <= plan.attention_groups,
                     "more group loads than attention groups");
        std::vector<Load> loads;
        bool any = false;
        for (const GroupLoad& g : groups) {
            MOESIM_CHECK(g.sequences >= 0 && g.new_tokens >= 0 && g.context_tokens >= 0, "negative group load");
            MOESIM_CHECK(g.new_tokens == 0 || g.sequences > 0, "new tokens without sequences");
            if (g.new_tokens == 0) continue;  // idle this iteration
            any = true;
            loads.push_back({static_cast<double>(g.sequences), static_cast<double>(g.new_tokens),
                             static_cast<double>(g.context_tokens), static_cast<double>(g.attention_pairs)});
        }
        if (!any) return {};
        IterationBreakdown best = evaluate(loads, 1);
        const int most = overlap_stages == 1 ? 1 : plan.micro_batches;  // 1 stage: no overlap
        for (int m = 2; m <= most; ++m) {
            const IterationBreakdown b = evaluate(loads, m);
            if (b.total_s < best.total_s) best = b;
        }
        return best;
    }
};

OperatorCosts::OperatorCosts(const ServingSetup& setup)
    : setup_(setup),
      prefill_(std::make_unique<PoolModel>(setup, Pool::Prefill)),
      decode_(std::make_unique<PoolModel>(setup, Pool::Decode)) {}

OperatorCosts::~OperatorCosts() = default;

const OperatorCosts::PoolModel& OperatorCosts::model(Pool p) const { return p == Pool::Prefill ? *prefill_ : *decode_; }

int OperatorCosts::gpus(Pool p) const { return setup_.pool(p).gpus; }
int OperatorCosts::nodes(Pool p) const { return setup_.pool(p).nodes; }
int OperatorCosts::attention_groups(Pool p) const { return setup_.pool(p).attention_groups; }

double OperatorCosts::iteration_s(Pool p, std::span<const GroupLoad> groups) const {
    return model(p).breakdown(groups).total_s;
}

double OperatorCosts::group_compute_s(Pool p, const GroupLoad& g) const {
    MOESIM_CHECK(g.sequences >= 0 && g.new_tokens >= 0 && g.context_tokens >= 0, "negative group load");
    if (g.new_tokens == 0) return 0;
    return model(p).group_compute_s({static_cast<double>(g.sequences), static_cast<double>(g.new_tokens),
                                     static_cast<double>(g.context_tokens), static_cast<double>(g.attention_pairs)});
}

double OperatorCosts::kv_gather_s(std::int64_t tokens) const {
    const PoolPlan& p = setup_.prefill;
    if (tokens <= 0 || p.attention_groups < 2) return 0.0;
    // To the group at the same GPU indices on the instance's last node (the same rails), or
    // the instance's last group when a group spans nodes or the instance is one node.
    const int first = setup_.ranks.first_gpu(workload::ServingRankMap::Pool::Prefill, 0);
    const int per_node = p.gpus / p.nodes;
    const int offset = p.nodes > 1 && p.attn_tp <= per_node ? (p.nodes - 1) * per_node : p.gpus - p.attn_tp;
    std::vector<int> from(static_cast<std::size_t>(p.attn_tp)), to(static_cast<std::size_t>(p.attn_tp));
    for (int l = 0; l < p.attn_tp; ++l) {
        from[static_cast<std::size_t>(l)] = first + l;
        to[static_cast<std::size_t>(l)] = first + offset + l;
    }
    // Every GPU of the receiving group needs its shard: kv_shards of the token's KV split over
    // attn_tp GPUs (an unsharded latent is on all of them).
    const double bytes = static_cast<double>(tokens) * p.kv_bytes_per_token * p.attn_tp / p.kv_shards;
    return setup_.network->p2p_time_s(bytes, from, to);
}

IterationBreakdown OperatorCosts::iteration_breakdown(Pool p, std::span<const GroupLoad> groups) const {
    return model(p).breakdown(groups);
}

std::int64_t OperatorCosts::kv_capacity_tokens_per_group(Pool p) const { return setup_.pool(p).kv_capacity_tokens_per_group; }
std::int64_t OperatorCosts::max_sequences_per_group(Pool p) const { return setup_.pool(p).max_sequences_per_group; }
std::int64_t OperatorCosts::max_batch_tokens() const { return setup_.scenario.inference.prefill.max_batch_tokens; }

double OperatorCosts::kv_transfer_s(std::int64_t tokens) const {
    if (tokens <= 0 || setup_.scenario.inference.deployment == workload::Deployment::Colocated) return 0.0;
    // From prefill instance 0 to the decode instance: `lanes` GPUs on each side, one NIC each.
    const int lanes = std::min(setup_.prefill.attn_tp, setup_.decode.attn_tp);
    const auto& ranks = setup_.ranks;
    const int from = ranks.first_gpu(workload::ServingRankMap::Pool::Prefill, 0);
    const int to = ranks.first_gpu(workload::ServingRankMap::Pool::Decode, 0);
    std::vector<int> senders(static_cast<std::size_t>(lanes)), receivers(static_cast<std::size_t>(lanes));
    for (int l = 0; l < lanes; ++l) {
        senders[static_cast<std::size_t>(l)] = from + l;
        receivers[static_cast<std::size_t>(l)] = to + l;
    }
    const double bytes = static_cast<double>(tokens) * setup_.decode.kv_bytes_per_token;
    return setup_.network->p2p_time_s(bytes, senders, receivers);
}

double OperatorCosts::tokens_per_decode_step() const {
    const auto& mtp = setup_.scenario.inference.decode.mtp;
    double sum = 0, term = 1;
    for (int i = 0; i <= mtp.draft_tokens; ++i, term *= mtp.acceptance) sum += term;
    return sum;
}

std::unique_ptr<OperatorCosts> make_operator_costs(const ServingSetup& setup) {
    return std::make_unique<OperatorCosts>(setup);
}

}  // namespace moesim::inference
