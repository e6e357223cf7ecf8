#pragma once
// Boost.Program_options for one verb: parse its arguments, print its --help.
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "commands.h"

namespace moesim::cli {

namespace po = boost::program_options;

// Parses `args` against `options` (and the positional spec, if any). Returns false when
// --help was asked for (the help has been printed on stdout).
inline bool parse_options(const Args& args, const std::string& usage, po::options_description& options,
                          const po::positional_options_description& positional, po::variables_map& vm) {
    options.add_options()("help,h", "print this help");
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    if (vm.count("help")) {
        std::cout << "usage: " << usage << "\n\n" << options << "\n";
        return false;
    }
    po::notify(vm);
    return true;
}

}  // namespace moesim::cli
