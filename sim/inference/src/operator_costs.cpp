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

// The layers one pass runs, each kind once with its count (all layers of a kind are alike).
struct OperatorCosts::PoolModel {
    PoolModel(const ServingSetup& st, Pool pool)
        : plan(st.pool(pool)), pricer(st, pool), embedding(first_of(st.model, LayerKind::Embedding)),
          dense(first_of(st.model, LayerKind::Dense)), moe(first_of(st.model, LayerKind::Moe)),
          head(first_of(st.model, LayerKind::Head)), mtp(first_of(st.model, LayerKind::Mtp)),
          dense_count(count_of(st.model, LayerKind::Dense)), moe_count(count_of(st.model, LayerKind::Moe)),
          draft_passes(pool == Pool::Decode ? st.scenario.inference.decode.mtp.draft_tokens : 0),
          prefill(pool == Pool::Prefill) {
        MOESIM_CHECK(embedding && head, "a model has an embedding and a head");
        MOESIM_CHECK(draft_passes == 0 || mtp, "draft tokens need an MTP module (checked by prepare_serving)");
    }

    const PoolPlan& plan;
    detail::LayerPricer pricer;
    const workload::Layer *embedding, *dense, *moe, *head, *mtp;
    int dense_count, moe_count, draft_passes;
    bool prefill;

    // One kind of layer in one micro-batch: the slowest group's side, plus the expert side and
    // the EP communication when the layer has routed experts.
    struct Step {
        LayerTimes t;
        double count = 0;
        bool moe = false;
    };

    Step step(const workload::Layer& layer, double count, const std::vector<Load>& loads, bool draft) const {
        Step s;
        s.count = count;
        s.moe = has_experts(layer);
        double instance_tokens = 0, busiest_tokens = 0;
        for (const Load& g : loads) {
            // Rows whose next token is sampled or checked: one per sequence in prefill and in
            // an MTP pass, every new token in decode (the drafts are checked).
            const double head_rows = prefill || draft ? g.sequences : g.new_tokens;
            const LayerTimes t = pricer.group_side(layer, g, head_rows);
            if (t.compute_s() > s.t.compute_s()) s.t = t;
            instance_tokens += g.new_tokens;
            busiest_tokens = std::max(busiest_tokens, g.new_tokens);
        }
        if (s.moe) {
            s.t += pricer.expert_side(layer, instance_tokens);
            s.t += pricer.ep_comm(busiest_tokens / plan.attn_tp);
        }
        return s;
    }

    std::vector<Step> steps(const std::vector<Load>& loads) const {
        std::vector<Step> out;
        out.push_back(step(*embedding, 1, loads, false));
        if (dense && dense_count > 0) out.push_back(step(*dense, dense_count, loads, false));
        if (moe && moe_count > 0) out.push_back(step(*moe, moe_count, loads, false));
        out.push_back(step(*head, 1, loads, false));
        if (draft_passes > 0) {
            // Each MTP pass: one token per sequence, attending over the sequence's context.
            std::vector<Load> drafts;
            for (const Load& g : loads) drafts.push_back({g.sequences, g.sequences, g.context_tokens});
            out.push_back(step(*mtp, draft_passes, drafts, true));
        }
        return out;
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
        b.total_s = m == 1 ? b.compute_s() + b.comm_s() : overlapped + fill;
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
                             static_cast<double>(g.context_tokens)});
        }
        if (!any) return {};
        IterationBreakdown best = evaluate(loads, 1);
        for (int m = 2; m <= plan.micro_batches; ++m) {
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

IterationBreakdown OperatorCosts::iteration_breakdown(Pool p, std::span<const GroupLoad> groups) const {
    return model(p).breakdown(groups);
}

std::int64_t OperatorCosts::kv_capacity_tokens_per_group(Pool p) const { return setup_.pool(p).kv_capacity_tokens_per_group; }
std::int64_t OperatorCosts::max_sequences_per_group(Pool p) const { return setup_.pool(p).max_sequences_per_group; }
std::int64_t OperatorCosts::max_batch_tokens() const { return setup_.scenario.inference.prefill.max_batch_tokens; }

double OperatorCosts::kv_transfer_s(std::int64_t tokens) const {
    if (tokens <= 0 || setup_.scenario.inference.deployment == workload::Deployment::Colocated) return 0.0;
    const int lanes = std::min(setup_.prefill.attn_tp, setup_.decode.attn_tp);
    hw::CommGroup g;  // two GPUs on different nodes, `lanes` NICs' worth of bandwidth
    g.size = 2;
    g.gpus_per_node = 1;
    g.nvlink_GBps = setup_.gpu.nvlink_GBps;
    g.nic_GBps = setup_.nic_GBps_per_gpu * lanes;
    const double bytes = static_cast<double>(tokens) * setup_.decode.kv_bytes_per_token;
    return hw::collective_time_s(hw::CollectiveKind::PointToPoint, bytes, g, setup_.profile);
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
