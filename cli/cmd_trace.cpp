// `moesim trace compare TRACE.json S.json [--profile P.json] [--rules FILE] [--json]`: the
// traced pair (trace_pair.h) against the same pair simulated: per operator class real and
// simulated time, per stream the busy time, the pair's GPU span and the compute streams' busy
// fraction, real and simulated. Real: the trace's kernels by class (trace_summary.h), the
// compute busy time the union of the kernels on streams without DeepEP. Simulated: the
// stage's costs of one micro-batch (computation slowed by SMs / (SMs − comm_sms), as inside
// a pair) and the pair's timing on its compute and collective streams (pair_order.h).
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "format.h"
#include "moesim/common/error.h"
#include "options.h"
#include "trace_input.h"

namespace moesim::cli {

namespace {

namespace fs = std::filesystem;
using calib::ModelClass;
using nlohmann::json;

struct Row {
    std::string name;
    std::vector<ModelClass> real;  // trace classes summed
    ModelClass simulated;          // simulated_s() of this
};

const std::vector<Row>& rows() {
    static const std::vector<Row> all = {
        {"gemm (dense, fwd+dgrad)", {ModelClass::GemmFp8, ModelClass::GemmBf16}, ModelClass::GemmFp8},
        {"grouped_gemm_fp8", {ModelClass::GroupedGemmFp8}, ModelClass::GroupedGemmFp8},
        {"gemm_wgrad", {ModelClass::GemmWgrad}, ModelClass::GemmWgrad},
        {"attention_fwd", {ModelClass::AttentionFwd}, ModelClass::AttentionFwd},
        {"attention_bwd", {ModelClass::AttentionBwd}, ModelClass::AttentionBwd},
        {"memory_bound", {ModelClass::MemoryBound}, ModelClass::MemoryBound},
        {"rotary", {ModelClass::Rotary}, ModelClass::Rotary},
        {"elementwise", {ModelClass::Elementwise}, ModelClass::Elementwise},
        {"deepep (dispatch+combine)", {ModelClass::DeepEpDispatch, ModelClass::DeepEpCombine}, ModelClass::DeepEpDispatch},
        {"deepep_notify", {ModelClass::DeepEpNotify}, ModelClass::DeepEpNotify},
        {"not modelled", {ModelClass::None}, ModelClass::Invalid},
    };
    return all;
}

std::string ms(double s) { return fixed(s * 1e3, 3); }
std::string ratio(double sim, double real) { return real > 0 ? fixed(sim / real, 3) : std::string("-"); }

int compare(const std::string& trace, const std::string& scenario, const std::optional<std::string>& profile,
            const std::optional<std::string>& rules, bool as_json) {
    const TraceInput in = load_trace_input(trace, scenario, rules, profile);
    const auto& s = in.summary;
    const TracePair& p = in.pair;
    const double ps = 1e-12;
    const double real_span = s.span_us * 1e-6, sim_span = static_cast<double>(p.timing.span_ps) * ps;
    const double real_busy = s.compute_busy_us * 1e-6, sim_busy = static_cast<double>(p.timing.compute_ps) * ps;

    json classes = json::array();
    for (const auto& r : rows()) {
        double real = 0;
        for (ModelClass c : r.real) real += s.model_time_us(c) * 1e-6;
        const double sim = r.simulated == ModelClass::Invalid ? 0 : simulated_s(p, r.simulated);
        classes.push_back({{"class", r.name}, {"real_s", real}, {"simulated_s", sim}});
    }
    classes.push_back({{"class", "unclassified"}, {"real_s", s.unclassified_us() * 1e-6}, {"simulated_s", 0.0}});
    json streams = json::array();
    for (const auto& st : s.streams)
        streams.push_back({{"stream", st.stream}, {"role", st.communication ? "communication" : "compute"},
                           {"kernels", st.kernels}, {"real_busy_s", st.busy_us * 1e-6}});
    const json simulated_streams = json::array(
        {{{"stream", "compute"}, {"busy_s", sim_busy}}, {{"stream", "collective"}, {"busy_s", p.collective_busy_s}}});

    if (as_json) {
        json j = {{"trace", fs::path(in.trace.file).filename().string()},
                  {"sha256", in.sha256},
                  {"scenario", p.work.scenario},
                  {"pair", p.work.what},
                  {"profile", in.setup->profile.name()},
                  {"classes", classes},
                  {"streams", streams},
                  {"simulated_streams", simulated_streams},
                  {"span", {{"real_s", real_span}, {"simulated_s", sim_span}}},
                  {"compute_busy_fraction", {{"real", real_span > 0 ? real_busy / real_span : 0.0},
                                             {"simulated", sim_span > 0 ? sim_busy / sim_span : 0.0}}},
                  {"simulated_slowdown", p.slowdown},
                  {"simulated_exposed_ep_s", static_cast<double>(p.timing.ep_wait_ps) * ps}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "trace " << fs::path(in.trace.file).filename().string() << " vs scenario " << p.work.scenario << " ("
              << p.work.what << "), profile '" << in.setup->profile.name() << "'\n\n"
              << std::left << std::setw(28) << "class" << std::right << std::setw(12) << "real_ms" << std::setw(12)
              << "sim_ms" << std::setw(10) << "sim/real" << "\n";
    for (const auto& c : classes) {
        const double real = c.at("real_s"), sim = c.at("simulated_s");
        std::cout << std::left << std::setw(28) << c.at("class").get<std::string>() << std::right << std::setw(12) << ms(real)
                  << std::setw(12) << ms(sim) << std::setw(10) << ratio(sim, real) << "\n";
    }
    std::cout << "\nstreams (real)            kernels     busy_ms  of span\n";
    for (const auto& st : s.streams)
        std::cout << "  stream " << std::left << std::setw(6) << st.stream << std::setw(14)
                  << (st.communication ? "communication" : "compute") << std::right << std::setw(6) << st.kernels
                  << std::setw(12) << ms(st.busy_us * 1e-6) << std::setw(8) << percent(st.busy_us * 1e-6 / real_span) << "\n";
    std::cout << "streams (simulated)\n"
              << "  compute              " << std::setw(18) << ms(sim_busy) << std::setw(8) << percent(sim_busy / sim_span) << "\n"
              << "  collective           " << std::setw(18) << ms(p.collective_busy_s) << std::setw(8)
              << percent(p.collective_busy_s / sim_span) << "\n\n"
              << "pair GPU span: real " << ms(real_span) << " ms, simulated " << ms(sim_span) << " ms (sim/real "
              << ratio(sim_span, real_span) << ")\n"
              << "compute busy fraction: real " << percent(real_busy / real_span) << " (union of the compute streams' kernels), "
              << "simulated " << percent(sim_busy / sim_span) << " (compute stream; slowed x" << fixed(p.slowdown, 3)
              << " by the " << in.setup->scenario.parallelism.comm_sms << " communication SMs)\n";
    return 0;
}

}  // namespace

int cmd_trace(const Args& args) {
    po::options_description options("options");
    std::string profile, rules;
    std::vector<std::string> positional_args;
    options.add_options()
        ("args", po::value(&positional_args)->multitoken(), "compare TRACE.json SCENARIO.json (positional)")
        ("profile", po::value(&profile), "calibration profile to simulate with instead of the scenario's (e.g. one "
                                         "`moesim calibrate --from-trace` wrote)")
        ("rules", po::value(&rules), "kernel-name rules put before the bundled ones (JSON)")
        ("json", "print the comparison as JSON");
    po::positional_options_description positional;
    positional.add("args", -1);
    po::variables_map vm;
    const std::string usage =
        "moesim trace compare TRACE.json SCENARIO.json [--profile P.json] [--rules FILE] [--json]\n\n"
        "Simulates the configuration a profiler trace (Chrome/Kineto JSON) shows — one DualPipe pair, the forward and\n"
        "backward chunk of a stage with the trace's MoE layers — and prints per operator class and per stream the real\n"
        "and simulated time, the pair's GPU span and the compute streams' busy fraction.";
    if (!parse_options(args, usage, options, positional, vm)) return 0;
    if (positional_args.empty() || positional_args[0] != "compare")
        throw UserError("usage: moesim trace compare TRACE.json SCENARIO.json (see 'moesim trace --help')");
    if (positional_args.size() != 3)
        throw UserError("trace compare takes a trace and a scenario (got " + std::to_string(positional_args.size() - 1) + " files)");
    return compare(positional_args[1], positional_args[2], vm.count("profile") ? std::optional(profile) : std::nullopt,
                   vm.count("rules") ? std::optional(rules) : std::nullopt, vm.count("json") > 0);
}

}  // namespace moesim::cli
