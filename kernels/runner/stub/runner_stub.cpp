// runner.h in a build without CUDA (nvcc was not found at configure time, or MOESIM_CUDA=OFF):
// nothing can be measured, and the answer says why instead of pretending.
#include "moesim/kernels/runner.h"

namespace moesim::kernels {

DeviceInfo query_device() {
    DeviceInfo info;
    info.available = false;
    info.unavailable_reason =
        "built without CUDA (nvcc was not found at configure time, or MOESIM_CUDA was OFF); "
        "rebuild on a machine with the CUDA toolkit to measure kernels";
    info.nccl_unavailable_reason = "built without CUDA";
    return info;
}

std::vector<Measurement> run_suite(const SuitePlan&, const std::function<void(const Measurement&)>&) {
    throw KernelUnavailable(query_device().unavailable_reason);
}

}  // namespace moesim::kernels
