// `moesim comm`: predicts one collective, or a DeepEP dispatch/combine, on a cluster shape,
// from the closed forms (hw/costs.h) or as flows on the engine (sim/network), and prints
// nccl-tests' columns so that modelled and measured bandwidth compare directly.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "format.h"
#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/hw/costs.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/hw/topology.h"
#include "moesim/network/deepep.h"
#include "moesim/network/fabric.h"
#include "options.h"

namespace moesim::cli {

namespace {

const std::vector<std::string> kOps = {"all_reduce", "all_gather", "reduce_scatter", "all_to_all", "p2p", "dispatch", "combine"};

// "1K" = 1024 bytes, "4M", "1G" (binary, as nccl-tests reads -b/-e); a plain number is bytes.
double parse_size(const std::string& text, const std::string& flag) {
    std::string s = text;
    if (!s.empty() && (s.back() == 'B' || s.back() == 'b')) s.pop_back();
    double mult = 1;
    if (!s.empty()) {
        switch (std::toupper(static_cast<unsigned char>(s.back()))) {
            case 'K': mult = 1024.0; s.pop_back(); break;
            case 'M': mult = 1024.0 * 1024; s.pop_back(); break;
            case 'G': mult = 1024.0 * 1024 * 1024; s.pop_back(); break;
            default: break;
        }
    }
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(s, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != s.size() || !std::isfinite(v))
        throw UserError(flag + ": '" + text + "' is not a size (bytes, or a number with K, M or G)");
    if (!(v > 0)) throw UserError(flag + ": size must be positive (got '" + text + "')");
    return v * mult;
}

std::string size_label(double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", bytes);
    return buf;
}

std::string column(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

double bus_factor(hw::CollectiveKind k, int n) {
    switch (k) {
        case hw::CollectiveKind::AllReduce: return 2.0 * (n - 1) / n;
        case hw::CollectiveKind::PointToPoint: return 1.0;
        default: return static_cast<double>(n - 1) / n;
    }
}

struct Row {
    double size_bytes = 0, count = 0, time_s = 0, algbw_GBps = 0, busbw_GBps = 0;
    std::string type;
    double bottleneck_GBps = -1;  // dispatch/combine only
    std::size_t flows = 0;
};

}  // namespace

int cmd_comm(const Args& args) {
    po::options_description options("options");
    // clang-format off
    options.add_options()
        ("op", po::value<std::string>(), "all_reduce | all_gather | reduce_scatter | all_to_all | p2p | dispatch | combine")
        ("gpu", po::value<std::string>()->default_value("H800"), "GPU: built-in name or spec file")
        ("nodes", po::value<int>()->default_value(0), "nodes in the cluster (0: as many as the group needs)")
        ("gpus-per-node", po::value<int>()->default_value(8), "GPUs per node")
        ("topology", po::value<std::string>()->default_value("rail-optimized"), "rail-optimized | fat-tree | single-switch")
        ("nic-gbps", po::value<double>(), "line rate of one NIC, Gb/s (default: the GPU spec's)")
        ("nics-per-node", po::value<int>(), "NICs per node (default: the GPU spec's NICs per GPU × GPUs per node)")
        ("oversubscription", po::value<double>()->default_value(1.0), "leaf down over up capacity, >= 1")
        ("group", po::value<int>(), "GPUs in the collective: GPUs 0..N-1, node-major (default: the whole cluster)")
        ("ep", po::value<int>(), "dispatch/combine: the expert-parallel group size")
        ("tokens", po::value<double>()->default_value(4096), "dispatch/combine: tokens per GPU")
        ("hidden", po::value<int>()->default_value(7168), "dispatch/combine: model width")
        ("top-k", po::value<int>()->default_value(8), "dispatch/combine: routed experts per token")
        ("max-nodes-per-token", po::value<int>()->default_value(4), "dispatch/combine: node-limited routing bound (0: none)")
        ("num-experts", po::value<int>()->default_value(256), "dispatch/combine: routed experts in the layer")
        ("mode", po::value<std::string>()->default_value("normal"), "dispatch/combine: normal | low-latency")
        ("size", po::value<std::string>(), "one size (1K = 1024 B), or a sweep A..B (factor -f)")
        ("minbytes,b", po::value<std::string>(), "sweep start, as nccl-tests -b")
        ("maxbytes,e", po::value<std::string>(), "sweep end, as nccl-tests -e")
        ("stepfactor,f", po::value<int>()->default_value(2), "sweep factor, as nccl-tests -f")
        ("algorithm", po::value<std::string>()->default_value("auto"), "collectives: auto | ring | hierarchical | tree (all_reduce: NCCL's double binary tree)")
        ("model", po::value<std::string>()->default_value("closed-form"), "closed-form | flows")
        ("calibration", po::value<std::string>(), "calibration profile: built-in name or file (default h800-published)")
        ("json", "print JSON");
    // clang-format on
    po::positional_options_description positional;
    positional.add("op", 1);
    po::variables_map vm;
    const std::string usage =
        "moesim comm OP [--gpu H800] [--nodes N --gpus-per-node G --topology T --nic-gbps R --nics-per-node K "
        "--oversubscription O] [--group N | --ep N --tokens T --mode normal|low-latency] "
        "[--size S | -b 1K -e 1G -f 2] [--model closed-form|flows] [--json]";
    if (!parse_options(args, usage, options, positional, vm)) return 0;

    // ---- what to predict ----
    if (!vm.count("op")) throw UserError("which operation? one of all_reduce, all_gather, reduce_scatter, all_to_all, p2p, dispatch, combine");
    std::string op = vm["op"].as<std::string>();
    std::replace(op.begin(), op.end(), '-', '_');
    if (op == "allreduce") op = "all_reduce";
    if (std::find(kOps.begin(), kOps.end(), op) == kOps.end())
        throw UserError("unknown collective '" + vm["op"].as<std::string>() + "'" + did_you_mean(op, kOps) +
                        "; one of all_reduce, all_gather, reduce_scatter, all_to_all, p2p, dispatch, combine");
    const bool deepep = op == "dispatch" || op == "combine";
    const std::string model = vm["model"].as<std::string>();
    if (model != "closed-form" && model != "flows") throw UserError("--model: '" + model + "' is not closed-form or flows");
    const network::Algorithm algorithm = network::algorithm_from_string(vm["algorithm"].as<std::string>());
    if (algorithm == network::Algorithm::Invalid) throw UserError("--algorithm: must be auto, ring, hierarchical or tree");
    if (algorithm == network::Algorithm::Tree && op != "all_reduce")
        throw UserError("--algorithm tree: only all_reduce has a tree algorithm (got " + op + ")");

    // ---- the cluster ----
    const hw::GpuSpec gpu = hw::load_gpu(vm["gpu"].as<std::string>(), std::filesystem::current_path().string(), nlohmann::json::object());
    const hw::CalibrationProfile profile = vm.count("calibration")
                                               ? hw::load_profile(vm["calibration"].as<std::string>(), std::filesystem::current_path().string())
                                               : hw::default_profile();
    hw::TopologySpec ts;
    ts.gpus_per_node = vm["gpus-per-node"].as<int>();
    if (ts.gpus_per_node < 1) throw UserError("--gpus-per-node: must be at least 1");
    ts.kind = hw::topology_kind_from_string(vm["topology"].as<std::string>());
    ts.nic_Gbps = vm.count("nic-gbps") ? vm["nic-gbps"].as<double>() : gpu.nic_Gbps;
    ts.nics_per_node = vm.count("nics-per-node") ? vm["nics-per-node"].as<int>() : gpu.nics_per_gpu * ts.gpus_per_node;
    ts.oversubscription = vm["oversubscription"].as<double>();
    ts.nvlink_GBps = gpu.nvlink_GBps;
    ts.file = "comm";
    int group = 0;
    if (deepep) {
        if (!vm.count("ep")) throw UserError("dispatch/combine: --ep N is required");
        if (vm.count("group")) throw UserError("dispatch/combine take --ep, not --group");
        if (vm.count("size") || vm.count("minbytes") || vm.count("maxbytes"))
            throw UserError("dispatch/combine: sizes come from --tokens, --hidden and --top-k, not --size");
        group = vm["ep"].as<int>();
    } else {
        if (vm.count("ep")) throw UserError("--ep is for dispatch/combine; collectives take --group");
        group = vm.count("group") ? vm["group"].as<int>() : 0;
    }
    const int nodes_given = vm["nodes"].as<int>();
    if (nodes_given < 0) throw UserError("--nodes: must be at least 1");
    ts.nodes = nodes_given > 0 ? nodes_given : std::max(1, (std::max(group, 1) + ts.gpus_per_node - 1) / ts.gpus_per_node);
    const int cluster_gpus = ts.nodes * ts.gpus_per_node;
    if (group == 0) group = cluster_gpus;
    const std::string gflag = deepep ? "--ep" : "--group";
    if (group < 1) throw UserError(gflag + ": must be at least 1");
    if (group > cluster_gpus)
        throw UserError(gflag + ": " + std::to_string(group) + " GPUs is larger than the cluster (" + std::to_string(ts.nodes) +
                        " nodes × " + std::to_string(ts.gpus_per_node) + " GPUs = " + std::to_string(cluster_gpus) + ")");
    if (group > ts.gpus_per_node && group % ts.gpus_per_node != 0)
        throw UserError(gflag + ": " + std::to_string(group) + " GPUs do not fill whole nodes of " + std::to_string(ts.gpus_per_node));
    if (op == "p2p" && group != 2 && vm.count("group")) throw UserError("--group: p2p is between 2 GPUs (0 and 1 of the group: use --group 2, or leave it out)");
    const hw::Topology topo(ts);

    std::vector<Row> rows;
    nlohmann::json extra = nlohmann::json::object();
    if (!deepep) {
        const hw::CollectiveKind kind = hw::collective_kind_from_string(op);
        std::vector<int> ranks(static_cast<std::size_t>(group));
        for (int i = 0; i < group; ++i) ranks[static_cast<std::size_t>(i)] = i;
        if (kind == hw::CollectiveKind::PointToPoint) {
            // Default: GPU 0 to the first GPU of the next node (or GPU 1 in a one-node cluster).
            const int dst = vm.count("group") ? 1 : (ts.nodes > 1 ? ts.gpus_per_node : 1);
            if (dst >= cluster_gpus) throw UserError("p2p needs 2 GPUs");
            ranks = {0, dst};
        }
        // Sizes.
        std::vector<double> sizes;
        double lo = 0, hi = 0;
        if (vm.count("size")) {
            if (vm.count("minbytes") || vm.count("maxbytes")) throw UserError("give --size or -b/-e, not both");
            const std::string s = vm["size"].as<std::string>();
            const auto dots = s.find("..");
            lo = parse_size(dots == std::string::npos ? s : s.substr(0, dots), "--size");
            hi = dots == std::string::npos ? lo : parse_size(s.substr(dots + 2), "--size");
        } else {
            lo = parse_size(vm.count("minbytes") ? vm["minbytes"].as<std::string>() : "32M", "-b");
            hi = parse_size(vm.count("maxbytes") ? vm["maxbytes"].as<std::string>() : (vm.count("minbytes") ? vm["minbytes"].as<std::string>() : "32M"), "-e");
        }
        const int factor = vm["stepfactor"].as<int>();
        if (factor < 2) throw UserError("-f: the step factor must be at least 2");
        if (hi < lo) throw UserError("the sweep ends (" + size_label(hi) + ") below where it starts (" + size_label(lo) + ")");
        for (double s = lo; s <= hi * (1 + 1e-12); s *= factor) sizes.push_back(s);
        network::CollectiveSpec spec{kind, 0, ranks, algorithm};
        const hw::CommGroup cg = network::comm_group(topo, ranks);
        for (double S : sizes) {
            spec.size_bytes = S;
            Row r;
            r.size_bytes = S;
            r.type = "bf16";
            r.count = std::floor(S / 2);
            if (model == "flows") {
                const auto run = network::simulate_collective(topo, profile, spec);
                r.time_s = run.time_s;
                r.flows = run.flows;
            } else {
                r.time_s = network::closed_form_collective_s(topo, profile, spec, cg);
            }
            r.algbw_GBps = r.time_s > 0 ? S / r.time_s / 1e9 : 0;
            r.busbw_GBps = r.algbw_GBps * bus_factor(kind, static_cast<int>(ranks.size()));
            rows.push_back(r);
        }
    } else {
        const std::string mode_s = vm["mode"].as<std::string>();
        const hw::DeepEpMode mode = mode_s == "normal" ? hw::DeepEpMode::Normal
                                    : mode_s == "low-latency" ? hw::DeepEpMode::LowLatency
                                                              : hw::DeepEpMode::Invalid;
        if (mode == hw::DeepEpMode::Invalid) throw UserError("--mode: must be normal or low-latency (got '" + mode_s + "')");
        hw::DeepEpShape shape;
        shape.tokens = vm["tokens"].as<double>();
        shape.hidden = vm["hidden"].as<int>();
        shape.top_k = vm["top-k"].as<int>();
        shape.max_nodes_per_token = vm["max-nodes-per-token"].as<int>();
        shape.num_experts = vm["num-experts"].as<int>();
        if (!(shape.tokens > 0)) throw UserError("--tokens: must be positive");
        if (shape.hidden < 1 || shape.top_k < 1) throw UserError("--hidden and --top-k: must be at least 1");
        if (shape.max_nodes_per_token < 0) throw UserError("--max-nodes-per-token: must not be negative");
        if (shape.num_experts < 0 || (shape.num_experts > 0 && shape.num_experts < shape.top_k))
            throw UserError("--num-experts: must be at least --top-k (or 0: many)");
        if (group < 2) throw UserError("--ep: dispatch/combine need at least 2 GPUs");
        const hw::DeepEpOp dop = op == "dispatch" ? hw::DeepEpOp::Dispatch : hw::DeepEpOp::Combine;
        const hw::EpGroup eg = network::ep_group(topo, group);
        const hw::DeepEpTraffic tr = hw::deepep_traffic(shape, eg, dop);
        Row r;
        r.type = dop == hw::DeepEpOp::Dispatch ? "fp8" : "bf16";
        r.count = shape.tokens;
        if (model == "flows") {
            const auto run = network::simulate_deepep(topo, profile, {dop, mode, shape, group});
            r.time_s = run.time_s;
            r.flows = run.flows;
        } else {
            r.time_s = hw::deepep_time_s(dop, mode, shape, eg, profile);
        }
        // DeepEP's own metrics: normal, the bottleneck bandwidth (NVLink bytes in one node,
        // RDMA bytes counted at every target node across nodes); low-latency, bytes sent.
        const bool one_node = group <= ts.gpus_per_node;
        r.size_bytes = mode == hw::DeepEpMode::LowLatency ? tr.low_latency_bytes : one_node ? tr.nvlink_bytes : tr.counted_rdma_bytes;
        r.algbw_GBps = r.size_bytes / r.time_s / 1e9;
        r.busbw_GBps = r.algbw_GBps;
        r.bottleneck_GBps = r.algbw_GBps;
        rows.push_back(r);
        extra = {{"mode", mode_s},
                 {"tokens", shape.tokens},
                 {"hidden", shape.hidden},
                 {"top_k", shape.top_k},
                 {"max_nodes_per_token", shape.max_nodes_per_token},
                 {"num_experts", shape.num_experts},
                 {"traffic",
                  {{"target_nodes", tr.k_nodes},
                   {"target_ranks", tr.ranks},
                   {"bytes_per_copy", tr.bytes_per_copy},
                   {"rdma_bytes", tr.rdma_bytes},
                   {"counted_rdma_bytes", tr.counted_rdma_bytes},
                   {"nvlink_bytes", tr.nvlink_bytes},
                   {"low_latency_bytes", tr.low_latency_bytes}}}};
    }

    if (vm.count("json")) {
        nlohmann::json out = {{"op", op},
                              {"model", model},
                              {"gpu", gpu.name},
                              {"profile", profile.name()},
                              {"cluster",
                               {{"nodes", ts.nodes},
                                {"gpus_per_node", ts.gpus_per_node},
                                {"topology", hw::to_string(ts.kind)},
                                {"nics_per_node", ts.nics_per_node},
                                {"nic_Gbps", ts.nic_Gbps},
                                {"oversubscription", ts.oversubscription}}},
                              {deepep ? "ep" : "group", group}};
        if (!deepep) out["algorithm"] = vm["algorithm"].as<std::string>();
        out.update(extra);
        nlohmann::json list = nlohmann::json::array();
        for (const Row& r : rows) {
            nlohmann::json j = {{"size_bytes", r.size_bytes}, {"count", r.count},          {"type", r.type},
                                {"time_us", r.time_s * 1e6},  {"algbw_GBps", r.algbw_GBps}, {"busbw_GBps", r.busbw_GBps}};
            if (r.bottleneck_GBps >= 0) j["bottleneck_GBps"] = r.bottleneck_GBps;
            if (model == "flows") j["flows"] = r.flows;
            list.push_back(j);
        }
        out["rows"] = list;
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    std::cout << "# moesim comm " << op << ": " << group << " GPUs of " << ts.nodes << " node(s) × " << ts.gpus_per_node << " "
              << gpu.name << ", " << hw::to_string(ts.kind) << ", " << ts.nics_per_node << " × " << fixed(ts.nic_Gbps, 0)
              << " Gb/s NICs per node, oversubscription " << fixed(ts.oversubscription, 1) << "; model " << model << ", profile "
              << profile.name() << "\n";
    if (deepep)
        std::cout << "# " << vm["mode"].as<std::string>() << " kernels, " << fixed(rows.front().count, 0) << " tokens/GPU, hidden "
                  << vm["hidden"].as<int>() << ", top-" << vm["top-k"].as<int>() << ", at most " << vm["max-nodes-per-token"].as<int>()
                  << " nodes per token; size = DeepEP's counted bytes per GPU\n";
    std::cout << "#" << column("size", 13) << column("count", 13) << column("type", 7) << column("time_us", 12)
              << column("algbw_GBps", 12) << column("busbw_GBps", 12) << (deepep ? column("bottleneck_GBps", 17) : "") << "\n";
    for (const Row& r : rows)
        std::cout << " " << column(size_label(r.size_bytes), 13) << column(size_label(r.count), 13) << column(r.type, 7)
                  << column(fixed(r.time_s * 1e6, 2), 12) << column(fixed(r.algbw_GBps, 2), 12) << column(fixed(r.busbw_GBps, 2), 12)
                  << (deepep ? column(fixed(r.bottleneck_GBps, 2), 17) : "") << "\n";
    return 0;
}

}  // namespace moesim::cli
