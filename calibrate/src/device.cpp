#include <algorithm>
#include <cctype>

#include "moesim/calib/fit.h"
#include "moesim/common/error.h"
#include "text.h"

namespace moesim::calib {

using detail::upper;

void check_can_measure(const kernels::DeviceInfo& device) {
    if (!device.available)
        throw CalibrationError("no GPU to measure: " + device.unavailable_reason + ". Nothing was written.");
    if (!device.nccl_available)
        throw CalibrationError("NCCL is not available on this machine (" + device.name + "): " +
                               (device.nccl_unavailable_reason.empty() ? "unknown reason" : device.nccl_unavailable_reason) +
                               ". The collective sweeps cannot run, so no profile is fitted (MOESIM_NCCL_LIBRARY names "
                               "the library to load). Nothing was written.");
}

const hw::CalibrationProfile& base_profile_for(const kernels::DeviceInfo& device) {
    // Hopper (sm_90): H100, H800 and H200 share the GH100 die; the bundled published profile
    // is the H800's (calibrations/h800-published.json).
    if (device.cc_major == 9) return hw::default_profile();
    throw CalibrationError("no bundled published profile for " + device.name + " (compute capability " +
                           std::to_string(device.cc_major) + "." + std::to_string(device.cc_minor) +
                           ") to copy the tables one machine cannot measure (internode collectives, DeepEP) from; "
                           "pass one with --base PROFILE");
}

hw::GpuSpec gpu_spec_for(const kernels::DeviceInfo& device) {
    const std::string name = upper(device.name);
    std::string list;
    for (const auto& builtin : hw::builtin_gpu_names()) {
        list += (list.empty() ? "" : ", ") + builtin;
        if (name.find(upper(builtin)) != std::string::npos) return hw::load_gpu(builtin, "", nullptr);
    }
    throw CalibrationError("no built-in GPU spec matches the device \"" + device.name + "\" (built-ins: " + list +
                           "); pass --gpu with a spec file for it (hw_models/gpus/*.json shows the format)");
}

}  // namespace moesim::calib
