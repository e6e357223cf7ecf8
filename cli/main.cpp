// moesim — what it costs to train or serve an LLM on a GPU cluster, and why.
// The only place that wires the modules together (DESIGN.md §2). Exit status (§6):
// 0 success, 2 the user's input is wrong, 1 an internal error.
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options/errors.hpp>

#include "commands.h"
#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"

namespace {

const std::vector<moesim::cli::Command>& commands() {
    using namespace moesim::cli;
    static const std::vector<Command> all = {
        {"run", "simulate scenario files; print a summary, append to the results database", cmd_run},
        {"model", "print a model's accounting: parameters, FLOPs, KV cache", cmd_model},
        {"models", "list the built-in models", cmd_models},
        {"gpus", "list the built-in GPU specs", cmd_gpus},
        {"runs", "list the runs a results database holds", cmd_runs},
        {"comm", "predict a collective or a MoE dispatch/combine (nccl-tests columns)", cmd_comm},
        {"validate", "run the bundled validation cases: published figure, simulated, error", cmd_validate},
        {"report", "compare runs: serving cost against API prices, training runs side by side", cmd_report},
        {"calibrate", "measure this machine's GPUs with the bundled kernels and fit a calibration profile", cmd_calibrate},
        {"trace", "compare a profiler trace of a training step with its simulation (trace compare)", cmd_trace},
        {"sweep", "run a scenario over axes of overrides in parallel, record every point, print the best", cmd_sweep},
        {"search", "the best points of a sweep's axes for an objective under constraints, pruned; why each runner-up loses", cmd_search},
    };
    return all;
}

void print_usage(std::ostream& out) {
    out << "moesim " << MOESIM_VERSION << " (" << MOESIM_GIT_REVISION << ")\n"
        << "What it costs, in GPU-hours and dollars per token, to train or serve an LLM on a GPU "
           "cluster with a given parallel layout, and why.\n\n"
        << "usage: moesim <command> [options]   (moesim <command> --help for its options)\n\n"
        << "commands:\n";
    for (const auto& c : commands()) out << "  " << c.name << std::string(10 - c.name.size(), ' ') << c.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_usage(args.empty() ? std::cerr : std::cout);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        std::cout << "moesim " << MOESIM_VERSION << " (" << MOESIM_GIT_REVISION << ")\n";
        return 0;
    }
    const std::string verb = args[0];
    args.erase(args.begin());
    try {
        for (const auto& c : commands())
            if (c.name == verb) return c.run(args);
        std::vector<std::string> names;
        for (const auto& c : commands()) names.push_back(c.name);
        throw moesim::UserError("unknown command '" + verb + "'" + moesim::did_you_mean(verb, names) +
                                "; run 'moesim --help' for the list");
    } catch (const moesim::UserError& e) {
        std::cerr << "moesim " << verb << ": error: " << e.what() << "\n";
        return 2;
    } catch (const boost::program_options::error& e) {
        std::cerr << "moesim " << verb << ": error: " << e.what() << " (see 'moesim " << verb << " --help')\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "moesim " << verb << ": internal error: " << e.what() << "\n"
                  << "This is a bug in moesim; please report it with the command line.\n";
        return 1;
    }
}
