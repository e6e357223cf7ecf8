// Re-expressing a measured profile for a GPU of the same chip with other links (rule in
// moesim/calib/derive.h).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <sstream>

#include "moesim/calib/derive.h"
#include "moesim/calib/points.h"
#include "moesim/common/error.h"
#include "text.h"

namespace moesim::calib {

using nlohmann::json;

namespace {

void require_same(const char* what, double source, double target, const hw::CalibrationProfile& from,
                  const hw::GpuSpec& gpu) {
    if (std::fabs(source - target) > 0.01 * source)
        throw CalibrationError("cannot derive a " + gpu.name + " profile from '" + from.name() + "' (" + from.gpu() +
                               "): " + what + " " + number_text(source) + " of the source against " + number_text(target) +
                               " of " + gpu.name + " — not the same chip; derive only re-expresses the links");
}

// Compute and memory points: the efficiency carries over, the measured rate does not.
void carry_efficiencies(json& table, const std::string& prefix) {
    for (auto& p : table) {
        p.erase("TFLOPS");
        p.erase("GBps");
        if (p.contains("by_seq_len"))
            for (auto& s : p["by_seq_len"]) s.erase("TFLOPS");
        p["source"] = prefix + p.at("source").get<std::string>();
    }
}

}  // namespace

json derive_profile(const hw::CalibrationProfile& from, const hw::GpuSpec& target, const DeriveOptions& options) {
    MOESIM_CHECK(!options.date.empty(), "derive_profile needs the date of the derivation");
    const hw::ProfileReference& src = from.reference();
    require_same("BF16 dense peak", src.bf16_dense_TFLOPS, target.bf16_dense_TFLOPS, from, target);
    require_same("FP8 dense peak", src.fp8_dense_TFLOPS, target.fp8_dense_TFLOPS, from, target);
    require_same("HBM bandwidth", src.hbm_GBps, target.hbm_GBps, from, target);

    json doc = json::parse(from.document());
    const std::string label = options.from_label.empty() ? from.name() : options.from_label;
    const std::string name =
        options.name.empty() ? detail::lower(target.name) + "-derived-from-" + from.name() : options.name;
    const double b_src = src.nvlink_GBps, b_dst = target.nvlink_GBps;

    doc["name"] = name;
    doc["gpu"] = target.name;
    doc["source"] = "Derived for " + target.name + " from profile '" + from.name() + "' (" + from.kind() + ", " +
                    from.gpu() + ", " + label + ") by moesim calibrate --derive on " + options.date +
                    ": same chip, NVLink " + number_text(b_src) + " -> " + number_text(b_dst) +
                    " GB/s per direction. Source profile: " + from.source();
    doc["reference"] = {{"bf16_dense_TFLOPS", target.bf16_dense_TFLOPS},
                        {"fp8_dense_TFLOPS", target.fp8_dense_TFLOPS},
                        {"hbm_GBps", target.hbm_GBps},
                        {"nvlink_GBps", b_dst},
                        {"nic_GBps", target.nic_GBps()},
                        {"note", "datasheet peaks of GPU spec " + target.name + "; efficiencies derived from '" +
                                     from.name() + "' (" + from.gpu() + ")"}};

    const std::string carried = "carried over from " + from.gpu() + " (derived profile; the efficiency, not the rate): ";
    for (const char* table : {"gemm", "grouped_gemm", "attention", "memory_bound"}) carry_efficiencies(doc[table], carried);

    // η per intranode series: the largest efficiency the source reached of its own link.
    std::map<std::string, double> eta;
    for (const auto& p : doc["collectives"])
        if (p.at("span") == "intranode") {
            double& e = eta[p.at("kind").get<std::string>()];
            e = std::max(e, p.at("efficiency").get<double>());
        }
    int capped = 0, kept = 0;
    for (auto& p : doc["collectives"]) {
        if (p.at("span") != "intranode") continue;
        const double e = p.at("efficiency").get<double>();
        const double cap = eta.at(p.at("kind").get<std::string>());
        const double carried_bw = e * b_src / b_dst;
        const bool link_bound = carried_bw > cap;
        const double e_new = link_bound ? cap : carried_bw;
        (link_bound ? capped : kept) += 1;
        std::ostringstream s;
        s.precision(6);
        s << "derived for " << target.name << ": " << (link_bound ? "capped at the link, " : "bandwidth carried over, ")
          << "e' = min(e·" << number_text(b_src) << "/" << number_text(b_dst) << ", " << cap << ") = min(" << carried_bw
          << ", " << cap << ") from e = " << e << " of " << from.gpu() << ": " << p.at("source").get<std::string>();
        p["efficiency"] = e_new;
        p["source"] = s.str();
    }

    json notes = json::array();
    notes.push_back("derived-from: " + label + " (profile '" + from.name() + "', " + from.kind() + ", " + from.gpu() +
                    ", created " + from.created() + "); derived on " + options.date);
    notes.push_back("derive rule (calibrate/include/moesim/calib/derive.h): compute and memory efficiencies carry over "
                    "(same chip; measured TFLOPS/GBps fields dropped); intranode collective efficiency e' = min(e·B_" +
                    from.gpu() + "/B_" + target.name + ", eta) with B the NVLink peak per direction (" +
                    number_text(b_src) + " / " + number_text(b_dst) +
                    " GB/s) and eta the largest efficiency of the series on " + from.gpu() +
                    ": latency-bound points keep their bandwidth and latency, bandwidth-bound points cap at the " +
                    target.name + " link (" + std::to_string(capped) + " capped, " + std::to_string(kept) +
                    " carried); internode collectives and DeepEP tables carried verbatim");
    if (doc.contains("notes"))
        for (const auto& n : doc["notes"]) notes.push_back("source profile: " + n.get<std::string>());
    doc["notes"] = std::move(notes);

    hw::CalibrationProfile::from_json(doc, "<profile derived as " + name + ">");
    return doc;
}

}  // namespace moesim::calib
