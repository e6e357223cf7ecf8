#include "moesim/workload/resolve.h"

#include <vector>

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
    hw::CalibrationProfile profile = [&] {
        try {
            return s.cluster.calibration.empty() ? hw::default_profile() : hw::load_profile(s.cluster.calibration, s.source_dir);
        } catch (const CalibrationError& e) {
            throw ScenarioError(s.source_file, "/cluster/calibration", e.what());
        }
    }();
    // Each software choice selects its kernel's points of the profile, one choice at a time so
    // that an error names the key that asked for the missing table.
    const hw::KernelChoice wanted = kernel_choice(s.software);
    hw::KernelChoice choice;
    const auto select = [&](const char* path) {
        try {
            profile = profile.with_kernels(choice);
        } catch (const CalibrationError& e) {
            throw ScenarioError(s.source_file, path, e.what());
        }
    };
    if (!wanted.gemm.empty()) {
        choice.gemm = wanted.gemm;
        select("/software/gemm");
    }
    if (!wanted.attention.empty()) {
        choice.attention = wanted.attention;
        select("/software/attention");
    }
    return profile;
}

hw::KernelChoice kernel_choice(const Software& sw) {
    hw::KernelChoice c;
    switch (sw.gemm) {
        case GemmLibrary::DeepGemm: c.gemm = "deepgemm"; break;
        case GemmLibrary::Cublas: c.gemm = "cublas"; break;
        default: break;
    }
    switch (sw.attention) {
        case AttentionKernel::FA2: c.attention = "fa2"; break;
        case AttentionKernel::FA3: c.attention = "fa3"; break;
        case AttentionKernel::FlashMLA: c.attention = "flashmla"; break;
        default: break;
    }
    return c;
}

std::string software_line(const Scenario& s, const hw::CalibrationProfile* profile) {
    const bool training = s.mode == Mode::Training;
    const Software& sw = s.software;
    const std::string att_phases = training ? "forward, backward" : "prefill, decode";
    std::string att;
    if (sw.attention == AttentionKernel::Default) {
        att = training ? "FlashAttention-3's figures" : "FlashAttention-3's figures to prefill, FlashMLA's to decode";
    } else {
        att = to_string(sw.attention) + "'s points";
        if (profile) {
            std::string others;
            const auto phases = training ? std::vector<hw::AttentionPhase>{hw::AttentionPhase::Prefill, hw::AttentionPhase::Backward}
                                         : std::vector<hw::AttentionPhase>{hw::AttentionPhase::Prefill, hw::AttentionPhase::Decode};
            for (hw::AttentionPhase ph : phases) {
                const std::string& used = profile->attention_kernel(ph);
                if (used == to_string(sw.attention)) continue;
                const char* name = ph == hw::AttentionPhase::Prefill ? (training ? "forward" : "prefill")
                                   : ph == hw::AttentionPhase::Decode ? "decode"
                                                                      : "backward";
                others += std::string(others.empty() ? "" : ", ") + name + " at " + used + "'s";
            }
            if (!others.empty()) att += " (the profile has none for every phase: " + others + ")";
        }
    }
    std::string ep;
    switch (sw.ep_comm) {
        case EpComm::DeepEpNormal: ep = "DeepEP's normal kernels"; break;
        case EpComm::DeepEpLowLatency: ep = "DeepEP's low-latency kernels"; break;
        case EpComm::NcclAllToAll:
            ep = "NCCL all-to-all (tokens x top-k copies each, no node-limited forwarding; the profile's all_to_all "
                 "collective series)";
            break;
        default: ep = training ? "DeepEP's normal kernels" : "DeepEP's normal kernels to prefill, low-latency to decode";
    }
    const std::string gemm = sw.gemm == GemmLibrary::Default ? "DeepGEMM's points for FP8, cuBLAS's for BF16"
                                                             : to_string(sw.gemm) + "'s points";
    const bool all_default = sw == Software{};
    return std::string("software stack") + (all_default ? " (default; the scenario's \"software\" section changes it)" : "") +
           ": attention " + (sw.attention == AttentionKernel::Default ? "" : to_string(sw.attention) + ", ") + att +
           "; EP dispatch/combine " + (sw.ep_comm == EpComm::Default ? "" : to_string(sw.ep_comm) + ", ") + ep + "; GEMMs " +
           (sw.gemm == GemmLibrary::Default ? "" : to_string(sw.gemm) + ", ") + gemm + ", at the scenario's precision";
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
