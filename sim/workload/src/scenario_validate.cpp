// Checks that relate several values of a parsed scenario: the training layout against the
// cluster and the batch, the pipeline schedule's needs, the serving pools against the nodes.
// Every message shows the numbers it compared.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "moesim/common/error.h"
#include "moesim/workload/pipeline_schedule.h"
#include "moesim/workload/scenario_ranges.h"
#include "scenario_internal.h"

namespace moesim::workload::detail {

namespace {

std::string str(std::int64_t v) {
    return std::to_string(v);
}

// A budget figure: whole numbers in full, anything else as %g.
std::string num(double v) {
    if (v == std::floor(v) && v < 1e15) return std::to_string(static_cast<std::int64_t>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

}  // namespace

void validate_training(const Scenario& s, const std::string& file) {
    const Parallelism& p = s.parallelism;
    const Training& t = s.training;
    const std::int64_t gpus = std::int64_t{s.cluster.nodes} * s.cluster.gpus_per_node;
    const std::int64_t layout = std::int64_t{p.tp} * p.pp * p.dp;
    if (layout != gpus)
        fail_at(file, "/parallelism",
                "tp*pp*dp = " + str(p.tp) + "*" + str(p.pp) + "*" + str(p.dp) + " = " + str(layout) +
                    " does not match the cluster's nodes*gpus_per_node = " + str(s.cluster.nodes) + "*" +
                    str(s.cluster.gpus_per_node) + " = " + str(gpus) + " GPUs");
    const std::int64_t tp_dp = std::int64_t{p.tp} * p.dp;
    if (tp_dp % p.ep != 0) fail_at(file, "/parallelism/ep", str(p.ep) + " does not divide tp*dp = " + str(tp_dp));

    const std::int64_t per_step = std::int64_t{p.dp} * p.micro_batch_size;
    if (t.global_batch_size % per_step != 0)
        fail_at(file, "/training/global_batch_size",
                str(t.global_batch_size) + " is not divisible by dp*micro_batch_size = " + str(p.dp) + "*" +
                    str(p.micro_batch_size) + " = " + str(per_step) + " (micro-batches must be whole)");
    // Budget: every micro-batch passes forward and backward through every pipeline chunk.
    const bool v_shape = p.schedule == Schedule::DualPipeV;
    const double events = 2.0 * static_cast<double>(t.global_batch_size / per_step) * p.pp *
                          (v_shape ? 2 : p.virtual_stages) * t.steps;
    if (events > kMaxScheduleEvents)
        fail_at(file, "/training/global_batch_size",
                "the pipeline schedule would take about " + num(events) + " events (2*micro_batches*pp*chunks*steps = 2*" +
                    str(t.global_batch_size / per_step) + "*" + str(p.pp) + "*" + str(v_shape ? 2 : p.virtual_stages) +
                    "*" + str(t.steps) + "), over the budget of " + num(kMaxScheduleEvents) + " events");
    // The schedules' rules, one function for the parser and every fidelity (pipeline_schedule.h).
    try {
        check_schedule_layout(p.schedule, p.pp, t.global_batch_size / per_step, p.virtual_stages);
    } catch (const ScenarioError& e) {
        const bool batch = e.json_path() == "/training/global_batch_size";
        fail_at(file, e.json_path(),
                e.message() + (batch ? " (" + str(t.global_batch_size) + " / " + str(per_step) + ")" : std::string()));
    }
}

void validate_inference(const Scenario& s, const std::string& file) {
    const Inference& inf = s.inference;
    const auto check_pool = [&](const std::string& name, int nodes, int attn_tp, int ep) {
        const std::int64_t gpus = std::int64_t{nodes} * s.cluster.gpus_per_node;
        const std::string of = " does not divide the " + str(gpus) + " GPUs of a " + name +
                               " instance (nodes*gpus_per_node = " + str(nodes) + "*" + str(s.cluster.gpus_per_node) +
                               ")";
        if (gpus % attn_tp != 0) fail_at(file, "/inference/" + name + "/attn_tp", str(attn_tp) + of);
        if (gpus % ep != 0) fail_at(file, "/inference/" + name + "/ep", str(ep) + of);
    };
    if (inf.traffic.arrival != Arrival::Trace) {
        const double requests = inf.traffic.requests_per_s * inf.traffic.duration_s;
        if (requests > kMaxSimulatedRequests)
            fail_at(file, "/inference/traffic/requests_per_s",
                    "requests_per_s*duration_s = " + num(inf.traffic.requests_per_s) + "*" + num(inf.traffic.duration_s) +
                        " = about " + num(requests) + " simulated requests, over the budget of " +
                        num(kMaxSimulatedRequests) + " requests");
    }
    check_pool("prefill", inf.prefill.nodes, inf.prefill.attn_tp, inf.prefill.ep);
    check_pool("decode", inf.decode.nodes, inf.decode.attn_tp, inf.decode.ep);

    const std::int64_t prefill = std::int64_t{inf.prefill.nodes} * inf.prefill.instances;
    const std::int64_t decode = std::int64_t{inf.decode.nodes} * inf.decode.instances;
    const bool disaggregated = inf.deployment == Deployment::Disaggregated;
    const std::int64_t needed = disaggregated ? prefill + decode : std::max(prefill, decode);
    if (needed > s.cluster.nodes)
        fail_at(file, "/inference",
                std::string(disaggregated ? "disaggregated prefill and decode pools need " : "colocated pools need ") +
                    (disaggregated ? "" : "max(") + str(inf.prefill.nodes) + "*" + str(inf.prefill.instances) +
                    (disaggregated ? " + " : ", ") + str(inf.decode.nodes) + "*" + str(inf.decode.instances) +
                    (disaggregated ? "" : ")") + " = " + str(needed) +
                    " nodes (nodes*instances), but the cluster has " + str(s.cluster.nodes));
}

}  // namespace moesim::workload::detail
