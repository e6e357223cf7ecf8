#include "comm_report.h"

#include <cstdio>
#include <iostream>

#include "format.h"

namespace moesim::cli {

namespace {

std::string size_label(double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", bytes);
    return buf;
}

std::string column(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

void print_comm_json(const CommHeader& h, const std::vector<CommRow>& rows) {
    const hw::TopologySpec& ts = h.cluster;
    nlohmann::json out = {{"op", h.op},
                          {"model", h.model},
                          {"gpu", h.gpu},
                          {"profile", h.profile},
                          {"cluster",
                           {{"nodes", ts.nodes},
                            {"gpus_per_node", ts.gpus_per_node},
                            {"topology", hw::to_string(ts.kind)},
                            {"nics_per_node", ts.nics_per_node},
                            {"nic_Gbps", ts.nic_Gbps},
                            {"oversubscription", ts.oversubscription}}},
                          {h.deepep ? "ep" : "group", h.group}};
    if (!h.deepep) out["algorithm"] = h.algorithm;
    else out.update(h.deepep_shape);
    nlohmann::json list = nlohmann::json::array();
    for (const CommRow& r : rows) {
        nlohmann::json j = {{"size_bytes", r.size_bytes}, {"count", r.count},          {"type", r.type},
                            {"time_us", r.time_s * 1e6},  {"algbw_GBps", r.algbw_GBps}, {"busbw_GBps", r.busbw_GBps}};
        if (r.bottleneck_GBps >= 0) j["bottleneck_GBps"] = r.bottleneck_GBps;
        if (h.model == "flows") {
            j["flows"] = r.flows;
            j["ideal_us"] = r.ideal_s * 1e6;
            j["sharing_slowdown"] = r.ideal_s > 0 ? r.time_s / r.ideal_s : 1.0;
        }
        list.push_back(j);
    }
    out["rows"] = list;
    std::cout << out.dump(2) << "\n";
}

void print_comm_table(const CommHeader& h, const std::vector<CommRow>& rows) {
    const hw::TopologySpec& ts = h.cluster;
    const bool flows = h.model == "flows";
    std::cout << "# moesim comm " << h.op << ": " << h.group << " GPUs of " << ts.nodes << " node(s) × " << ts.gpus_per_node
              << " " << h.gpu << ", " << hw::to_string(ts.kind) << ", " << ts.nics_per_node << " × " << fixed(ts.nic_Gbps, 0)
              << " Gb/s NICs per node, oversubscription " << fixed(ts.oversubscription, 1) << "; model " << h.model
              << ", profile " << h.profile << "\n";
    if (h.deepep) {
        const nlohmann::json& d = h.deepep_shape;
        std::cout << "# " << d.at("mode").get<std::string>() << " kernels, " << fixed(rows.front().count, 0)
                  << " tokens/GPU, hidden " << d.at("hidden").get<int>() << ", top-" << d.at("top_k").get<int>()
                  << ", at most " << d.at("max_nodes_per_token").get<int>()
                  << " nodes per token; size = DeepEP's counted bytes per GPU\n";
    }
    if (flows) std::cout << "# ideal_us: the closed form's time without oversubscription (no link shared); slowdown = time / ideal: what "
                             "sharing links cost\n";
    std::cout << "#" << column("size", 13) << column("count", 13) << column("type", 7) << column("time_us", 12)
              << column("algbw_GBps", 12) << column("busbw_GBps", 12) << (h.deepep ? column("bottleneck_GBps", 17) : "")
              << (flows ? column("ideal_us", 12) + column("slowdown", 10) : "") << "\n";
    for (const CommRow& r : rows)
        std::cout << " " << column(size_label(r.size_bytes), 13) << column(size_label(r.count), 13) << column(r.type, 7)
                  << column(fixed(r.time_s * 1e6, 2), 12) << column(fixed(r.algbw_GBps, 2), 12)
                  << column(fixed(r.busbw_GBps, 2), 12) << (h.deepep ? column(fixed(r.bottleneck_GBps, 2), 17) : "")
                  << (flows ? column(fixed(r.ideal_s * 1e6, 2), 12) + column(fixed(r.ideal_s > 0 ? r.time_s / r.ideal_s : 1.0, 4), 10) : "")
                  << "\n";
}

}  // namespace moesim::cli
