#pragma once
// Global ranks — GPU ids, node-major: gpu = node·gpus_per_node + local, as hw::Topology numbers
// them — and what a scenario's layout makes of each, worked out once; and the communication
// groups that training and serving hand to sim/network's Network.
//
// Training (tp·dp·pp GPUs): TP innermost, then DP, then the pipeline ranks,
//     rank = pp·(tp·dp) + dp·tp + tp_index,
// so a TP group is tp consecutive GPUs (on NVLink while tp ≤ gpus_per_node) and a pipeline rank
// a block of tp·dp GPUs. An EP group is ep consecutive GPUs of a pipeline rank (ep divides
// tp·dp); the replicas of an expert sit at the same place of every EP group of the pipeline
// rank (expert data parallelism: ep GPUs apart). A DP group holds one TP index of every DP
// rank: tp GPUs apart.
//
// Serving: disaggregated, the prefill instances take the first nodes, prefill.nodes each, and
// the decode instances the nodes after them; colocated, instance i of either pool starts at
// node i·nodes of that pool (the pools share GPUs). Inside an instance an attention group is
// attn_tp consecutive GPUs and an EP group ep consecutive GPUs.
#include <vector>

#include "moesim/workload/scenario.h"

namespace moesim::workload {

class TrainingRankMap {
public:
    struct Coords {
        int pp = 0, dp = 0, tp = 0;   // pipeline rank, DP rank, TP index
        int ep_group = 0, ep = 0;     // EP group within the pipeline rank, place in it
        int node = 0, local = 0;
    };

    TrainingRankMap() = default;
    TrainingRankMap(const Parallelism& p, int gpus_per_node);

    int gpus() const { return static_cast<int>(coords_.size()); }
    const Coords& coords(int rank) const;
    int rank(int pp, int dp, int tp) const;

    // The groups `rank` belongs to, each in ascending rank order.
    std::vector<int> tp_group(int rank) const;
    std::vector<int> dp_group(int rank) const;
    std::vector<int> ep_group(int rank) const;
    std::vector<int> expert_dp_group(int rank) const;
    // The rank at the same DP rank and TP index of pipeline rank `pp` (pipeline neighbours).
    int peer_in_pipeline_rank(int rank, int pp) const;

private:
    Parallelism p_;
    std::vector<Coords> coords_;
};

class ServingRankMap {
public:
    enum class Pool { Prefill, Decode };

    ServingRankMap() = default;
    ServingRankMap(const Inference& inference, int gpus_per_node);

    // The first GPU of an instance, and its GPUs.
    int first_gpu(Pool pool, int instance) const;
    std::vector<int> instance(Pool pool, int instance) const;
    // Attention group `group` (attn_tp consecutive GPUs) and EP group `group` of an instance.
    std::vector<int> attention_group(Pool pool, int instance, int group) const;
    std::vector<int> ep_group(Pool pool, int instance, int group) const;

private:
    struct Layout {
        int first_node = 0, nodes = 0, attn_tp = 1, ep = 1;
    };
    const Layout& layout(Pool pool) const { return pool == Pool::Prefill ? prefill_ : decode_; }
    std::vector<int> consecutive(Pool pool, int instance, int offset, int count) const;

    int gpus_per_node_ = 1;
    Layout prefill_, decode_;
};

}  // namespace moesim::workload
