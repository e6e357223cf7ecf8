#include "moesim/workload/rank_map.h"

#include "moesim/common/error.h"

namespace moesim::workload {

namespace {

std::vector<int> strided(int first, int count, int stride) {
    std::vector<int> out(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) out[static_cast<std::size_t>(i)] = first + i * stride;
    return out;
}

}  // namespace

TrainingRankMap::TrainingRankMap(const Parallelism& p, int gpus_per_node) : p_(p) {
    MOESIM_CHECK(p.tp >= 1 && p.dp >= 1 && p.pp >= 1 && p.ep >= 1 && gpus_per_node >= 1, "training layout");
    MOESIM_CHECK((p.tp * p.dp) % p.ep == 0, "ep divides tp*dp");
    const int block = p.tp * p.dp;
    coords_.resize(static_cast<std::size_t>(block) * p.pp);
    for (int r = 0; r < gpus(); ++r) {
        Coords& c = coords_[static_cast<std::size_t>(r)];
        const int q = r % block;  // place within the pipeline rank
        c.pp = r / block;
        c.dp = q / p.tp;
        c.tp = q % p.tp;
        c.ep_group = q / p.ep;
        c.ep = q % p.ep;
        c.node = r / gpus_per_node;
        c.local = r % gpus_per_node;
    }
}

const TrainingRankMap::Coords& TrainingRankMap::coords(int rank) const {
    MOESIM_CHECK(rank >= 0 && rank < gpus(), "rank outside the layout");
    return coords_[static_cast<std::size_t>(rank)];
}

int TrainingRankMap::rank(int pp, int dp, int tp) const {
    MOESIM_CHECK(pp >= 0 && pp < p_.pp && dp >= 0 && dp < p_.dp && tp >= 0 && tp < p_.tp, "coordinates outside the layout");
    return pp * p_.tp * p_.dp + dp * p_.tp + tp;
}

std::vector<int> TrainingRankMap::tp_group(int r) const {
    const Coords& c = coords(r);
    return strided(rank(c.pp, c.dp, 0), p_.tp, 1);
}

std::vector<int> TrainingRankMap::dp_group(int r) const {
    const Coords& c = coords(r);
    return strided(rank(c.pp, 0, c.tp), p_.dp, p_.tp);
}

std::vector<int> TrainingRankMap::ep_group(int r) const {
    const Coords& c = coords(r);
    return strided(rank(c.pp, 0, 0) + c.ep_group * p_.ep, p_.ep, 1);
}

std::vector<int> TrainingRankMap::expert_dp_group(int r) const {
    const Coords& c = coords(r);
    return strided(rank(c.pp, 0, 0) + c.ep, p_.tp * p_.dp / p_.ep, p_.ep);
}

int TrainingRankMap::peer_in_pipeline_rank(int r, int pp) const {
    const Coords& c = coords(r);
    return rank(pp, c.dp, c.tp);
}

ServingRankMap::ServingRankMap(const Inference& inf, int gpus_per_node) : gpus_per_node_(gpus_per_node) {
    prefill_ = {0, inf.prefill.nodes, inf.prefill.attn_tp, inf.prefill.ep};
    const bool disaggregated = inf.deployment == Deployment::Disaggregated;
    decode_ = {disaggregated ? inf.prefill.nodes * inf.prefill.instances : 0, inf.decode.nodes, inf.decode.attn_tp,
               inf.decode.ep};
}

int ServingRankMap::first_gpu(Pool pool, int instance) const {
    const Layout& l = layout(pool);
    return (l.first_node + instance * l.nodes) * gpus_per_node_;
}

std::vector<int> ServingRankMap::consecutive(Pool pool, int instance, int offset, int count) const {
    MOESIM_CHECK(offset >= 0 && offset + count <= layout(pool).nodes * gpus_per_node_, "group outside its instance");
    return strided(first_gpu(pool, instance) + offset, count, 1);
}

std::vector<int> ServingRankMap::instance(Pool pool, int instance) const {
    return consecutive(pool, instance, 0, layout(pool).nodes * gpus_per_node_);
}

std::vector<int> ServingRankMap::attention_group(Pool pool, int instance, int group) const {
    const int t = layout(pool).attn_tp;
    return consecutive(pool, instance, group * t, t);
}

std::vector<int> ServingRankMap::ep_group(Pool pool, int instance, int group) const {
    const int e = layout(pool).ep;
    return consecutive(pool, instance, group * e, e);
}

}  // namespace moesim::workload
