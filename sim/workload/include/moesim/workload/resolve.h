#pragma once
// What a scenario names, resolved: its model, GPU and calibration profile, and the shape of
// its network. Shared by the training and serving setups (sim/training,
// sim/inference), so that both report a bad name the same way: a ScenarioError naming the
// scenario file and the JSON path of the key to change.
#include <string>

#include "moesim/common/error.h"
#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/hw/topology.h"
#include "moesim/workload/model_config.h"
#include "moesim/workload/scenario.h"

namespace moesim::workload {

// Errors from loaders of referenced files name that file; errors about the scenario's own
// values (an unknown name, an override) carry no file yet: give them the scenario's, and
// `default_path` when they carry no JSON path either.
// Call it from the handler that caught `e`: an error that already names its file is rethrown as is.
[[noreturn]] void rethrow_in_scenario(const ScenarioError& e, const Scenario& s, const std::string& default_path);

ModelConfig resolve_model(const Scenario& s);                // errors at /model
hw::GpuSpec resolve_gpu(const Scenario& s);                  // /cluster/gpu (with gpu_overrides)
// /cluster/calibration (none = the bundled default), with the kernels of the scenario's
// "software" section selected (errors at /software/gemm, /software/attention).
hw::CalibrationProfile resolve_profile(const Scenario& s);
// The profile kernels the scenario's "software" section chooses (empty strings: the defaults).
hw::KernelChoice kernel_choice(const Software& sw);
// The run's assumption line for its software stack (DESIGN.md §3): each choice, what the
// default stands for, and for an attention kernel the phases priced at another kernel's point
// because `profile` (the resolved one; null: not known here) has none of the chosen kernel.
std::string software_line(const Scenario& s, const hw::CalibrationProfile* profile);

// The cluster's shape for sim/network (hw::TopologySpec): cluster.network with the GPU's
// NVLink, errors naming the scenario's file. Where oversubscription costs bandwidth is the
// network's business (sim/network's network.h), not a per-GPU divisor.
hw::TopologySpec topology_spec(const Scenario& s, const hw::GpuSpec& gpu);

}  // namespace moesim::workload
