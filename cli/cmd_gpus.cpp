// `moesim gpus`: the built-in GPU specs (datasheet peaks; achieved rates come from the profile).
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "format.h"
#include "moesim/common/units.h"
#include "moesim/hw/gpu_spec.h"
#include "options.h"

namespace moesim::cli {

int cmd_gpus(const Args& args) {
    po::options_description options("options");
    options.add_options()("json", "print the specs as JSON");
    po::variables_map vm;
    if (!parse_options(args, "moesim gpus [--json]", options, {}, vm)) return 0;
    nlohmann::json list = nlohmann::json::array();
    if (!vm.count("json"))
        std::cout << std::left << std::setw(8) << "gpu" << std::right << std::setw(6) << "SMs" << std::setw(10) << "HBM GB"
                  << std::setw(10) << "HBM GB/s" << std::setw(11) << "BF16 TF/s" << std::setw(10) << "FP8 TF/s"
                  << std::setw(13) << "NVLink GB/s" << std::setw(10) << "NIC Gb/s" << "\n";
    for (const auto& name : hw::builtin_gpu_names()) {
        const hw::GpuSpec g = hw::load_gpu(name, "", nlohmann::json::object());
        if (vm.count("json")) {
            list.push_back(hw::to_json(g));
            continue;
        }
        std::cout << std::left << std::setw(8) << g.name << std::right << std::setw(6) << g.sm_count << std::setw(10)
                  << fixed(g.hbm_bytes / units::kGB, 1) << std::setw(10) << fixed(g.hbm_GBps, 0) << std::setw(11)
                  << fixed(g.bf16_dense_TFLOPS, 0) << std::setw(10) << fixed(g.fp8_dense_TFLOPS, 0) << std::setw(13)
                  << fixed(g.nvlink_GBps, 0) << std::setw(10) << fixed(g.nic_Gbps, 0) << "\n";
    }
    if (vm.count("json"))
        std::cout << list.dump(2) << "\n";
    else
        std::cout << "(NVLink per GPU and direction; datasheet peaks — achieved rates come from the calibration profile)\n";
    return 0;
}

}  // namespace moesim::cli
