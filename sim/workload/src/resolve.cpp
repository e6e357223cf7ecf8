#include "moesim/workload/resolve.h"

namespace moesim::workload {

void rethrow_in_scenario(const ScenarioError& e, const Scenario& s, const std::string& default_path) {
    if (!e.file().empty()) throw;  // the exception being handled, its type kept
    const std::string& path = e.json_path().empty() ? default_path : e.json_path();
    if (dynamic_cast<const MemoryFitError*>(&e)) throw MemoryFitError(s.source_file, path, e.message());
    throw ScenarioError(s.source_file, path, e.message());
}

ModelConfig resolve_model(const Scenario& s) {
    try {
        return load_model(s.model, s.source_dir);
    } catch (const ScenarioError& e) {
        rethrow_in_scenario(e, s, "/model");
    }
}

hw::GpuSpec resolve_gpu(const Scenario& s) {
    try {
        return hw::load_gpu(s.cluster.gpu, s.source_dir, s.cluster.gpu_overrides);
    } catch (const ScenarioError& e) {
        rethrow_in_scenario(e, s, "/cluster/gpu");
    }
}

hw::CalibrationProfile resolve_profile(const Scenario& s) {
    try {
        return s.cluster.calibration.empty() ? hw::default_profile() : hw::load_profile(s.cluster.calibration, s.source_dir);
    } catch (const CalibrationError& e) {
        throw ScenarioError(s.source_file, "/cluster/calibration", e.what());
    }
}

hw::TopologySpec topology_spec(const Scenario& s, const hw::GpuSpec& gpu) {
    const auto& n = s.cluster.network;
    hw::TopologySpec t;
    t.nodes = s.cluster.nodes;
    t.gpus_per_node = s.cluster.gpus_per_node;
    switch (n.topology) {
        case Topology::RailOptimized: t.kind = hw::TopologyKind::RailOptimized; break;
        case Topology::FatTree: t.kind = hw::TopologyKind::FatTree; break;
        case Topology::SingleSwitch: t.kind = hw::TopologyKind::SingleSwitch; break;
        default: t.kind = hw::TopologyKind::Invalid; break;
    }
    t.nics_per_node = n.nics_per_node;
    t.nic_Gbps = n.nic_Gbps;
    t.oversubscription = n.oversubscription;
    t.nvlink_GBps = gpu.nvlink_GBps;
    t.file = s.source_file;
    return t;
}

}  // namespace moesim::workload
