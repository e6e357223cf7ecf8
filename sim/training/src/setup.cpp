#include "moesim/training/setup.h"

#include <string>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/hw/memory_reserve.h"
#include "moesim/network/ep_exchange.h"
#include "moesim/workload/pipeline_schedule.h"
#include "moesim/workload/resolve.h"

namespace moesim::training {

namespace {

void check_layout_against_model(const workload::Scenario& s, const workload::ModelConfig& m,
                                const hw::GpuSpec& gpu) {
    const auto& p = s.parallelism;
    const std::string& f = s.source_file;
    if (m.num_heads % p.tp != 0)
        throw ScenarioError(f, "/parallelism/tp", std::to_string(p.tp) + " does not divide the " +
                                                      std::to_string(m.num_heads) + " attention heads of " + m.name);
    if (m.is_moe()) {
        const long long slots = m.n_routed_experts + s.training.moe.redundant_experts;
        if (slots % p.ep != 0)
            throw ScenarioError(f, "/parallelism/ep",
                                std::to_string(p.ep) + " does not divide the " + std::to_string(m.n_routed_experts) +
                                    " routed experts" +
                                    (s.training.moe.redundant_experts ? " plus " + std::to_string(s.training.moe.redundant_experts) + " redundant ones" : std::string()) +
                                    " of " + m.name);
    } else if (p.ep != 1) {
        throw ScenarioError(f, "/parallelism/ep", std::to_string(p.ep) + ": " + m.name + " is a dense model (no experts); use ep 1");
    } else if (s.training.moe.redundant_experts != 0) {
        throw ScenarioError(f, "/training/moe/redundant_experts", m.name + " is a dense model (no experts)");
    }
    const int stages = workload::pipeline_stage_count(p.schedule, p.pp, p.virtual_stages);
    if (stages > m.num_layers)
        throw ScenarioError(f, "/parallelism/pp", std::to_string(stages) + " pipeline stages for " +
                                                      std::to_string(m.num_layers) + " layers of " + m.name);
    if (p.comm_sms >= gpu.sm_count)
        throw ScenarioError(f, "/parallelism/comm_sms", std::to_string(p.comm_sms) + " SMs for communication leaves none of the " +
                                                            gpu.name + "'s " + std::to_string(gpu.sm_count) + " for computation");
}

// The EP kernel of the scenario's software section; the default is DeepEP's normal kernels.
network::EpKernel training_ep_kernel(workload::EpComm c) {
    switch (c) {
        case workload::EpComm::DeepEpLowLatency: return network::EpKernel::DeepEpLowLatency;
        case workload::EpComm::NcclAllToAll: return network::EpKernel::NcclAllToAll;
        default: return network::EpKernel::DeepEpNormal;
    }
}

// The dispatch and combine of one micro-batch's tokens per GPU (sequence-parallel share under
// TP) through one MoE layer, on the slowest EP group, by the setup's EP kernel
// (network/ep_exchange.h).
void price_ep_transfers(TrainingSetup& st) {
    const auto& s = st.scenario;
    const auto& p = s.parallelism;
    const auto& cfg = st.model.model;
    if (p.ep <= 1) return;
    hw::DeepEpShape shape;
    shape.tokens = static_cast<double>(p.micro_batch_size) * s.training.seq_len / p.tp;
    shape.hidden = static_cast<int>(cfg.hidden_size);
    shape.top_k = static_cast<int>(cfg.experts_per_token);
    shape.max_nodes_per_token = s.training.moe.max_nodes_per_token;
    shape.num_experts = static_cast<int>(cfg.n_routed_experts);
    // FP8 training dispatches FP8 tokens (DeepSeek-V3 §3.3); BF16 training sends BF16.
    shape.fp8_dispatch = s.training.precision == workload::Precision::FP8;
    for (int first = 0; first < st.ranks.gpus(); first += p.ep) {
        const std::vector<int> group = st.ranks.ep_group(first);
        const network::EpKernel kernel = st.ep_kernel;
        const auto d = network::ep_exchange_times(*st.network, kernel, hw::DeepEpOp::Dispatch, shape, group);
        const auto c = network::ep_exchange_times(*st.network, kernel, hw::DeepEpOp::Combine, shape, group);
        if (first == 0 || d.time_s + c.time_s > st.ep_dispatch.time_s + st.ep_combine.time_s) {
            st.ep_dispatch = d;
            st.ep_combine = c;
            hw::DeepEpShape bf16 = shape;
            bf16.fp8_dispatch = false;
            st.ep_grad_dispatch = network::ep_exchange_times(*st.network, kernel, hw::DeepEpOp::Dispatch, bf16, group);
        }
    }
}

}  // namespace

std::unique_ptr<TrainingSetup> prepare_training(const workload::Scenario& s, bool allow_oversubscribed_memory) {
    MOESIM_CHECK(s.mode == workload::Mode::Training, "prepare_training needs a training scenario");
    auto setup = std::make_unique<TrainingSetup>();
    setup->scenario = s;
    setup->model = workload::account_model(workload::resolve_model(s), s.training.seq_len);
    setup->gpu = workload::resolve_gpu(s);
    setup->profile = workload::resolve_profile(s);
    check_layout_against_model(s, setup->model.model, setup->gpu);
    setup->micro_batches = s.training.global_batch_size / (static_cast<long long>(s.parallelism.dp) * s.parallelism.micro_batch_size);
    try {
        setup->layout = workload::pipeline_layout(setup->model, s.parallelism);
        setup->memory = workload::estimate_training_memory(setup->model, s, setup->gpu.hbm_bytes,
                                                                 hw::reserve_policy(setup->gpu));
        if (!allow_oversubscribed_memory) workload::require_memory_fits(setup->memory, setup->gpu.name);
    } catch (const ScenarioError& e) {
        workload::rethrow_in_scenario(e, s, "/parallelism");
    }
    setup->ranks = workload::TrainingRankMap(s.parallelism, s.cluster.gpus_per_node);
    setup->network = network::make_network(workload::topology_spec(s, setup->gpu), setup->profile, network::NetworkModel::ClosedForm);
    setup->ep_kernel = training_ep_kernel(s.software.ep_comm);
    price_ep_transfers(*setup);
    try {
        setup->moe_imbalance = compute_moe_imbalance(s, setup->model);
    } catch (const ScenarioError& e) {
        workload::rethrow_in_scenario(e, s, "/training/moe/expert_load");
    }
    return setup;
}

}  // namespace moesim::training
