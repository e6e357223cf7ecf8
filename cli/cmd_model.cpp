// `moesim model NAME|PATH` and `moesim models`: a model's accounting, and the built-ins.
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "format.h"
#include "moesim/common/error.h"
#include "moesim/workload/model_accounting.h"
#include "options.h"

namespace moesim::cli {

namespace {

void print_accounting(std::ostream& out, const workload::ModelAccounting& a) {
    const auto& m = a.model;
    out << m.name << " (" << m.model_type << "): " << a.layers_count << " layers, d=" << m.hidden_size << ", "
        << workload::to_string(m.attention) << " with " << m.num_heads << " heads";
    if (m.is_moe())
        out << ", MoE " << m.n_routed_experts << " routed (top-" << m.experts_per_token << ") + " << m.n_shared_experts
            << " shared";
    out << "\n";
    out << "  parameters         " << si(static_cast<double>(a.params_total), 2) << " total, "
        << si(static_cast<double>(a.params_active), 2) << " active per token";
    if (a.params_mtp) out << ", MTP " << si(static_cast<double>(a.params_mtp), 2);
    out << "\n";
    out << "  KV cache per token " << thousands(a.kv_cache_bytes_per_token) << " B (BF16), "
        << thousands(a.kv_cache_bytes_per_token_fp8) << " B (FP8)\n";
    out << "  FLOPs per token    " << fixed(a.flops_per_token_forward / 1e9, 1) << " G forward, "
        << fixed(a.flops_per_token_training / 1e9, 1) << " G training, at " << a.seq_len << " tokens of context\n";
    for (const auto& s : m.simplifications) out << "  simplified         " << s << "\n";
}

}  // namespace

int cmd_model(const Args& args) {
    po::options_description options("options");
    std::string name;
    int seq_len = 4096;
    options.add_options()
        ("model", po::value(&name), "built-in name or path to an HF-style config.json (positional)")
        ("seq-len", po::value(&seq_len)->default_value(4096), "sequence length for the attention FLOPs")
        ("json", "print the accounting as JSON");
    po::positional_options_description positional;
    positional.add("model", 1);
    po::variables_map vm;
    if (!parse_options(args, "moesim model NAME|PATH [--seq-len N] [--json]", options, positional, vm)) return 0;
    if (name.empty()) throw UserError("no model given (usage: moesim model NAME|PATH); `moesim models` lists the built-ins");
    if (seq_len <= 0) throw UserError("--seq-len " + std::to_string(seq_len) + ": must be positive");
    const auto a = workload::account_model(workload::load_model(name, ""), seq_len);
    if (vm.count("json"))
        std::cout << workload::to_json(a).dump(2) << "\n";
    else
        print_accounting(std::cout, a);
    return 0;
}

int cmd_models(const Args& args) {
    po::options_description options("options");
    options.add_options()("json", "print the list as JSON");
    po::variables_map vm;
    if (!parse_options(args, "moesim models [--json]", options, {}, vm)) return 0;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& name : workload::builtin_model_names()) {
        const auto a = workload::account_model(workload::load_model(name, ""), 4096);
        if (vm.count("json")) {
            list.push_back({{"name", name},
                            {"model_type", a.model.model_type},
                            {"layers", a.layers_count},
                            {"params_total", a.params_total},
                            {"params_active", a.params_active},
                            {"attention", workload::to_string(a.model.attention)},
                            {"moe", a.model.is_moe()}});
            continue;
        }
        std::cout << std::left << std::setw(20) << name << std::setw(14) << a.model.model_type << std::right << std::setw(8)
                  << si(static_cast<double>(a.params_total), 1) << " total " << std::setw(7)
                  << si(static_cast<double>(a.params_active), 1) << " active  " << std::setw(4) << a.layers_count
                  << " layers  " << workload::to_string(a.model.attention) << (a.model.is_moe() ? ", MoE" : "") << "\n";
    }
    if (vm.count("json")) std::cout << list.dump(2) << "\n";
    return 0;
}

}  // namespace moesim::cli
