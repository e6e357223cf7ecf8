// Assembles a measured profile: provenance, reference peaks, the fitted tables, and the
// tables copied from a base profile (rules in moesim/calib/fit.h).
#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include "fit_tables.h"
#include "moesim/calib/fit.h"
#include "moesim/calib/points.h"
#include "moesim/common/error.h"
#include "text.h"

namespace moesim::calib {

using nlohmann::json;

namespace {

std::string plan_text(const kernels::SuitePlan& plan) {
    return std::string(plan.quick ? "quick" : "full") + " plan, " + std::to_string(plan.warmup) + " warm-up and " +
           std::to_string(plan.repetitions) + " timed repetitions per point";
}

std::string provenance_note(const kernels::DeviceInfo& d, const FitOptions& o, std::size_t points) {
    std::ostringstream s;
    s << "provenance: device=" << d.name << "; devices=" << d.device_count << "; sm_count=" << d.sm_count
      << "; compute_capability=" << d.cc_major << "." << d.cc_minor << "; sm_clock_MHz=" << number_text(d.sm_clock_MHz)
      << "; memory_clock_MHz=" << number_text(d.memory_clock_MHz) << "; memory_bytes=" << number_text(d.memory_bytes)
      << "; driver=" << d.driver_version << "; cuda=" << d.cuda_version << "; nccl=" << d.nccl_version
      << "; moesim=" << o.tool_version << "; date=" << o.date << "; plan=" << (o.plan.quick ? "quick" : "full")
      << "; warmup=" << o.plan.warmup << "; repetitions=" << o.plan.repetitions << "; points=" << points;
    return s.str();
}

// Copies the base's points of `table` that `keep` accepts, prefixing each citation.
std::size_t copy_points(const json& base_doc, const char* table, const std::string& prefix, json& into,
                        bool (*keep)(const json&)) {
    std::size_t copied = 0;
    for (json p : base_doc.at(table)) {
        if (!keep(p)) continue;
        p["source"] = prefix + p.at("source").get<std::string>();
        into.push_back(std::move(p));
        ++copied;
    }
    return copied;
}

bool internode(const json& p) { return p.at("span") == "internode"; }
bool intranode(const json& p) { return p.at("span") == "intranode"; }
bool every(const json&) { return true; }

}  // namespace

std::string default_profile_name(const hw::GpuSpec& gpu, const std::string& date) {
    return detail::lower(gpu.name) + "-measured-" + date;
}

json fit_profile(const std::vector<kernels::Measurement>& points, const kernels::DeviceInfo& device,
                 const hw::GpuSpec& gpu, const FitOptions& options) {
    require_reference_checks(points);
    if (points.empty()) throw CalibrationError("the kernel suite returned no measurement: nothing to fit");
    MOESIM_CHECK(!options.date.empty(), "fit_profile needs the date of the measurement");
    if (device.sm_count > 0 && device.sm_count != gpu.sm_count)
        throw CalibrationError("the device " + device.name + " has " + std::to_string(device.sm_count) +
                               " SMs, the GPU spec " + gpu.name + " describes " + std::to_string(gpu.sm_count) +
                               ": its peaks are not this GPU's (pass --gpu with a spec file for it)");
    const hw::CalibrationProfile& base = options.base ? *options.base : base_profile_for(device);
    const json base_doc = json::parse(base.document());
    const std::string name = options.name.empty() ? default_profile_name(gpu, options.date) : options.name;

    json doc = json::object();
    doc["format"] = hw::kProfileFormat;
    doc["name"] = name;
    doc["gpu"] = gpu.name;
    doc["kind"] = "measured";
    doc["created"] = options.date;
    {
        std::ostringstream s;
        s << "Measured by moesim calibrate (" << options.tool_version << ") on " << device.device_count << " x "
          << device.name << " (" << device.sm_count << " SMs, compute capability " << device.cc_major << "."
          << device.cc_minor << ", SM clock " << number_text(device.sm_clock_MHz) << " MHz, memory clock "
          << number_text(device.memory_clock_MHz) << " MHz), driver " << device.driver_version << ", CUDA "
          << device.cuda_version << ", NCCL " << device.nccl_version << "; " << plan_text(options.plan) << ", "
          << points.size() << " points. Efficiencies are fractions of the datasheet peaks of GPU spec " << gpu.name
          << "; what one machine cannot measure is copied from profile '" << base.name() << "' (see notes).";
        doc["source"] = s.str();
    }
    doc["versions"] = {{"driver", device.driver_version}, {"cuda", device.cuda_version}, {"nccl", device.nccl_version}};
    doc["reference"] = {{"bf16_dense_TFLOPS", gpu.bf16_dense_TFLOPS},
                        {"fp8_dense_TFLOPS", gpu.fp8_dense_TFLOPS},
                        {"hbm_GBps", gpu.hbm_GBps},
                        {"nvlink_GBps", gpu.nvlink_GBps},
                        {"nic_GBps", gpu.nic_GBps()},
                        {"note", "datasheet peaks of GPU spec " + gpu.name +
                                     " (moesim gpus --json); every efficiency below is a fraction of these"}};

    json notes = json::array({provenance_note(device, options, points.size()),
                              "fit rules: calibrate/include/moesim/calib/fit.h (efficiency = measured / the reference "
                              "peak; GEMM FP8 from the 1x128/128x128-scaled kernel; attention and memory ceilings the "
                              "best any shape reached; collectives t = steps·latency + factor·S/(B·efficiency))"});
    doc["gemm"] = detail::fit_gemm(points, gpu, options.plan);
    doc["grouped_gemm"] = detail::fit_grouped_gemm(points, gpu, options.plan);
    doc["attention"] = detail::fit_attention(points, gpu, options.plan);
    doc["memory_bound"] = detail::fit_memory_bound(points, gpu, options.plan);

    const std::string prefix = "copied from profile '" + base.name() + "' (" + base.kind() + ", " + base.gpu() + "): ";
    std::string copied;
    auto list = [&](const std::string& what, std::size_t count) {
        copied += (copied.empty() ? "" : ", ") + what + " (" + std::to_string(count) + (count == 1 ? " point)" : " points)");
    };
    detail::CollectiveFit collectives = detail::fit_intranode_collectives(points, gpu, options.plan);
    json col = std::move(collectives.points);
    for (const auto& n : collectives.notes) notes.push_back(n);
    if (col.empty())
        list("intranode collectives, as fewer than two GPUs took part in the NCCL sweeps",
             copy_points(base_doc, "collectives", prefix, col, intranode));
    list("internode collectives", copy_points(base_doc, "collectives", prefix, col, internode));
    doc["collectives"] = std::move(col);
    doc["deepep_normal"] = json::array();
    doc["deepep_low_latency"] = json::array();
    list("deepep_normal", copy_points(base_doc, "deepep_normal", prefix, doc["deepep_normal"], every));
    list("deepep_low_latency", copy_points(base_doc, "deepep_low_latency", prefix, doc["deepep_low_latency"], every));
    notes.push_back("copied from profile '" + base.name() + "' (" + base.kind() + ", " + base.gpu() +
                    "), each point keeping its citation, as one machine cannot measure them: " + copied);
    if (base.reference().nvlink_GBps != gpu.nvlink_GBps || base.reference().nic_GBps != gpu.nic_GBps())
        notes.push_back("the DeepEP points are " + base.gpu() + " rates (NVLink " + number_text(base.reference().nvlink_GBps) +
                        ", NIC " + number_text(base.reference().nic_GBps) +
                        " GB/s per direction); the cost model scales their fitted link rates by a scenario's links "
                        "over this profile's reference (NVLink " + number_text(gpu.nvlink_GBps) + ", NIC " +
                        number_text(gpu.nic_GBps()) + "), so on " + gpu.name + " links they run at the " + base.gpu() +
                        "'s measured rates");

    std::map<std::string, int> unfitted;
    for (const auto& m : points)
        if (m.kind == "permute" || (m.kind == "attention" && !m.dtype.empty() && m.dtype != "bf16"))
            ++unfitted[m.kind + (m.dtype.empty() ? "" : " " + m.dtype)];
    if (!unfitted.empty()) {
        std::string what;
        for (const auto& [k, c] : unfitted)
            what += (what.empty() ? "" : ", ") + std::to_string(c) + " " + k + (c == 1 ? " point" : " points");
        notes.push_back("stored raw only, in no table: " + what);
    }
    doc["notes"] = std::move(notes);

    // What is written must load: the same validation a scenario naming this file will meet.
    hw::CalibrationProfile::from_json(doc, "<profile fitted as " + name + ">");
    return doc;
}

}  // namespace moesim::calib
