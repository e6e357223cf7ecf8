// `moesim comm`: predicts one collective, or a DeepEP dispatch/combine, on a cluster shape,
// through sim/network's Network — the closed form or the flows on the engine — and prints
// nccl-tests' columns so that modelled and measured bandwidth compare directly.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "comm_report.h"
#include "commands.h"
#include "moesim/common/collective_traits.h"
#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/hw/costs.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/hw/topology.h"
#include "moesim/network/flow_network.h"
#include "moesim/network/network.h"
#include "flag_ranges.h"
#include "options.h"

namespace moesim::cli {

namespace {

const std::vector<std::string> kOps = {"all_reduce", "all_gather", "reduce_scatter", "all_to_all", "p2p", "dispatch", "combine"};

void add_comm_options(po::options_description& options) {
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
        ("algorithm", po::value<std::string>()->default_value("auto"), "collectives: auto | ring | hierarchical | tree (all_reduce: NCCL's double binary tree) | pxn (all_to_all, "
         "--model flows: PXN, rail-aligned, aggregated to one flow per node pair and rail)")
        ("model", po::value<std::string>()->default_value("closed-form"), "closed-form | flows")
        ("completion-slack-ns", po::value<double>()->default_value(1), "--model flows: flows due within this many ns of the earliest one "
         "finish with it (one re-solve); 1000 and more allow 4 times the flows (a 2,048-GPU PXN all-to-all: ~25 CPU-s)")
        ("calibration", po::value<std::string>(), "calibration profile: built-in name or file (default h800-published)")
        ("json", "print JSON");
    // clang-format on
}

constexpr double kMaxSizeBytes = 1e15;

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
    if (v * mult > kMaxSizeBytes)
        throw UserError(flag + ": must be at most 1e15 bytes (1 PB), got '" + text + "'");
    return v * mult;
}

std::string size_text(double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", bytes);
    return buf;
}

std::string parse_op(const po::variables_map& vm) {
    if (!vm.count("op")) throw UserError("which operation? one of all_reduce, all_gather, reduce_scatter, all_to_all, p2p, dispatch, combine");
    std::string op = vm["op"].as<std::string>();
    std::replace(op.begin(), op.end(), '-', '_');
    if (op == "allreduce") op = "all_reduce";
    if (std::find(kOps.begin(), kOps.end(), op) == kOps.end())
        throw UserError("unknown collective '" + vm["op"].as<std::string>() + "'" + did_you_mean(op, kOps) +
                        "; one of all_reduce, all_gather, reduce_scatter, all_to_all, p2p, dispatch, combine");
    return op;
}

// The cluster the flags describe; `group` gets the group size (--group or --ep; the whole
// cluster when neither is given).
hw::TopologySpec parse_cluster(const po::variables_map& vm, const hw::GpuSpec& gpu, bool deepep, int& group) {
    hw::TopologySpec ts;
    ts.gpus_per_node = vm["gpus-per-node"].as<int>();
    if (ts.gpus_per_node < 1) throw UserError("--gpus-per-node: must be at least 1");
    ts.kind = hw::topology_kind_from_string(vm["topology"].as<std::string>());
    ts.nic_Gbps = vm.count("nic-gbps") ? vm["nic-gbps"].as<double>() : gpu.nic_Gbps;
    ts.nics_per_node = vm.count("nics-per-node") ? vm["nics-per-node"].as<int>() : gpu.nics_per_gpu * ts.gpus_per_node;
    ts.oversubscription = vm["oversubscription"].as<double>();
    ts.nvlink_GBps = gpu.nvlink_GBps;
    ts.file = "comm";
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
    return ts;
}

// --size S, --size A..B, or -b/-e, stepped by -f.
std::vector<double> parse_sizes(const po::variables_map& vm) {
    double lo = 0, hi = 0;
    if (vm.count("size")) {
        if (vm.count("minbytes") || vm.count("maxbytes")) throw UserError("give --size or -b/-e, not both");
        const std::string s = vm["size"].as<std::string>();
        const auto dots = s.find("..");
        lo = parse_size(dots == std::string::npos ? s : s.substr(0, dots), "--size");
        hi = dots == std::string::npos ? lo : parse_size(s.substr(dots + 2), "--size");
    } else {
        const std::string b = vm.count("minbytes") ? vm["minbytes"].as<std::string>() : "32M";
        lo = parse_size(b, "-b");
        hi = parse_size(vm.count("maxbytes") ? vm["maxbytes"].as<std::string>() : b, "-e");
    }
    const int factor = vm["stepfactor"].as<int>();
    if (factor < 2) throw UserError("-f: the step factor must be at least 2");
    if (hi < lo) throw UserError("the sweep ends (" + size_text(hi) + ") below where it starts (" + size_text(lo) + ")");
    std::vector<double> sizes;
    for (double s = lo; s <= hi * (1 + 1e-12); s *= factor) sizes.push_back(s);
    return sizes;
}

hw::DeepEpShape parse_shape(const po::variables_map& vm) {
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
    return shape;
}

std::vector<int> first_gpus(int n) {
    std::vector<int> ranks(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) ranks[static_cast<std::size_t>(i)] = i;
    return ranks;
}

// One row per size; p2p goes from GPU 0 to the first GPU of the next node (or to GPU 1 in a
// one-node cluster, or with --group 2).
std::vector<CommRow> collective_rows(const po::variables_map& vm, const network::Network& net, const network::Network* ideal,
                                     const std::string& op, network::Algorithm algorithm, const hw::TopologySpec& ts,
                                     int group) {
    const hw::CollectiveKind kind = hw::collective_kind_from_string(op);
    std::vector<int> ranks = first_gpus(group);
    if (kind == hw::CollectiveKind::PointToPoint) {
        const int dst = vm.count("group") ? 1 : (ts.nodes > 1 ? ts.gpus_per_node : 1);
        if (dst >= ts.nodes * ts.gpus_per_node) throw UserError("p2p needs 2 GPUs");
        ranks = {0, dst};
    }
    const std::vector<double> sizes = parse_sizes(vm);
    const auto* flows = dynamic_cast<const network::FlowNetwork*>(&net);
    const CollectiveTraits& traits = *find_collective_traits(op);
    std::vector<CommRow> rows;
    for (double S : sizes) {
        CommRow r;
        r.size_bytes = S;
        r.type = "bf16";
        r.count = std::floor(S / 2);
        if (flows) {
            const network::FlowRun run = flows->run_collective(kind, S, ranks, algorithm);
            r.time_s = run.time_s;
            r.flows = run.flows;
            r.ideal_s = ideal->collective_time_s(kind, S, ranks, algorithm);
        } else {
            r.time_s = net.collective_time_s(kind, S, ranks, algorithm);
        }
        r.algbw_GBps = r.time_s > 0 ? S / r.time_s / 1e9 : 0;
        r.busbw_GBps = r.algbw_GBps * bus_factor(traits, static_cast<int>(ranks.size()));
        rows.push_back(r);
    }
    return rows;
}

// The dispatch or combine of GPUs 0..ep−1, in DeepEP's own metrics: normal, the bottleneck
// bandwidth (NVLink bytes in one node, RDMA bytes counted at every target node across
// nodes); low-latency, bytes sent. `shape_json` gets the mode, shape and traffic.
CommRow deepep_row(const po::variables_map& vm, const network::Network& net, const network::Network* ideal,
                   const std::string& op, const hw::TopologySpec& ts, int group, nlohmann::json& shape_json) {
    const std::string mode_s = vm["mode"].as<std::string>();
    const hw::DeepEpMode mode = mode_s == "normal"        ? hw::DeepEpMode::Normal
                                : mode_s == "low-latency" ? hw::DeepEpMode::LowLatency
                                                          : hw::DeepEpMode::Invalid;
    if (mode == hw::DeepEpMode::Invalid) throw UserError("--mode: must be normal or low-latency (got '" + mode_s + "')");
    const hw::DeepEpShape shape = parse_shape(vm);
    if (group < 2) throw UserError("--ep: dispatch/combine need at least 2 GPUs");
    const hw::DeepEpOp dop = op == "dispatch" ? hw::DeepEpOp::Dispatch : hw::DeepEpOp::Combine;
    const std::vector<int> ranks = first_gpus(group);
    const hw::DeepEpTraffic tr = hw::deepep_traffic(shape, network::ep_group(ts, ranks), dop);
    CommRow r;
    r.type = dop == hw::DeepEpOp::Dispatch ? "fp8" : "bf16";
    r.count = shape.tokens;
    if (const auto* flows = dynamic_cast<const network::FlowNetwork*>(&net)) {
        const network::FlowRun run = flows->run_deepep(dop, mode, shape, ranks);
        r.time_s = run.time_s;
        r.flows = run.flows;
        r.ideal_s = ideal->deepep_times(dop, mode, shape, ranks).time_s;
    } else {
        r.time_s = net.deepep_times(dop, mode, shape, ranks).time_s;
    }
    const bool one_node = group <= ts.gpus_per_node;
    r.size_bytes = mode == hw::DeepEpMode::LowLatency ? tr.low_latency_bytes : one_node ? tr.nvlink_bytes : tr.counted_rdma_bytes;
    r.algbw_GBps = r.size_bytes / r.time_s / 1e9;
    r.busbw_GBps = r.algbw_GBps;
    r.bottleneck_GBps = r.algbw_GBps;
    shape_json = {{"mode", mode_s},
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
    return r;
}

}  // namespace

int cmd_comm(const Args& args) {
    po::options_description options("options");
    add_comm_options(options);
    po::positional_options_description positional;
    positional.add("op", 1);
    po::variables_map vm;
    const std::string usage =
        "moesim comm OP [--gpu H800] [--nodes N --gpus-per-node G --topology T --nic-gbps R --nics-per-node K "
        "--oversubscription O] [--group N | --ep N --tokens T --mode normal|low-latency] "
        "[--size S | -b 1K -e 1G -f 2] [--model closed-form|flows] [--json]";
    if (!parse_options(args, usage, options, positional, vm)) return 0;
    check_flag_ranges(vm, comm_flag_ranges());

    CommHeader h;
    h.op = parse_op(vm);
    h.deepep = h.op == "dispatch" || h.op == "combine";
    h.model = vm["model"].as<std::string>();
    if (h.model != "closed-form" && h.model != "flows") throw UserError("--model: '" + h.model + "' is not closed-form or flows");
    h.algorithm = vm["algorithm"].as<std::string>();
    const network::Algorithm algorithm = network::algorithm_from_string(h.algorithm);
    if (algorithm == network::Algorithm::Invalid)
        throw UserError("--algorithm: must be auto, ring, hierarchical, tree or pxn");
    if (algorithm == network::Algorithm::Pxn && h.op != "all_to_all")
        throw UserError("--algorithm pxn: only all_to_all has a PXN algorithm (got " + h.op + ")");
    if (algorithm == network::Algorithm::Tree && h.op != "all_reduce")
        throw UserError("--algorithm tree: only all_reduce has a tree algorithm (got " + h.op + ")");

    const std::string here = std::filesystem::current_path().string();
    const hw::GpuSpec gpu = hw::load_gpu(vm["gpu"].as<std::string>(), here, nlohmann::json::object());
    const hw::CalibrationProfile profile =
        vm.count("calibration") ? hw::load_profile(vm["calibration"].as<std::string>(), here) : hw::default_profile();
    h.gpu = gpu.name;
    h.profile = profile.name();
    h.cluster = parse_cluster(vm, gpu, h.deepep, h.group);
    if (h.op == "p2p" && h.group != 2 && vm.count("group"))
        throw UserError("--group: p2p is between 2 GPUs (0 and 1 of the group: use --group 2, or leave it out)");
    if (h.model == "flows") {
        // Every pair of the group may exchange a flow (all_to_all, dispatch): budget the pairs;
        // PXN aggregates them (network::pxn_flow_count).
        const double flows = algorithm == network::Algorithm::Pxn
                                 ? static_cast<double>(network::pxn_flow_count(h.cluster.gpus_per_node, first_gpus(h.group)))
                                 : static_cast<double>(h.group) * (h.group - 1);
        const double slack_factor = vm["completion-slack-ns"].as<double>() >= kCoarseSlackNs ? kCoarseSlackBudgetFactor : 1;
        const double budget = (algorithm == network::Algorithm::Pxn ? kMaxPxnFlows : kMaxFlows) * slack_factor;
        if (flows > budget)
            throw UserError((h.deepep ? "--ep " : "--group ") + std::to_string(h.group) +
                            " with --model flows: about " + std::to_string(static_cast<std::int64_t>(flows)) +
                            " flows, over the budget of " + std::to_string(static_cast<std::int64_t>(budget)) +
                            " flows; use --model closed-form");
    }
    // Either model describes a cluster the flows can build: whole leaves (hw::Topology checks;
    // the flow network builds one itself).
    if (h.model != "flows") (void)hw::Topology(h.cluster);
    engine::SimulatorOptions flow_options;
    flow_options.flows.completion_slack_ps = static_cast<engine::Picoseconds>(std::llround(vm["completion-slack-ns"].as<double>() * 1000));
    const std::unique_ptr<network::Network> net =
        h.model == "flows" ? std::make_unique<network::FlowNetwork>(h.cluster, profile, flow_options)
                           : network::make_network(h.cluster, profile, network::NetworkModel::ClosedForm);

    // With flows, each row is held against its time with no link shared: the closed form on
    // the same cluster without oversubscription (flows that never share a link take it).
    hw::TopologySpec unshared = h.cluster;
    unshared.oversubscription = 1.0;
    const auto ideal = h.model == "flows" ? network::make_network(unshared, profile, network::NetworkModel::ClosedForm) : nullptr;
    const std::vector<CommRow> rows =
        h.deepep ? std::vector<CommRow>{deepep_row(vm, *net, ideal.get(), h.op, h.cluster, h.group, h.deepep_shape)}
                 : collective_rows(vm, *net, ideal.get(), h.op, algorithm, h.cluster, h.group);
    if (vm.count("json")) print_comm_json(h, rows);
    else print_comm_table(h, rows);
    return 0;
}

}  // namespace moesim::cli
