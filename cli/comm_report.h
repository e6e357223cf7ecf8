#pragma once
// `moesim comm`'s rows and how they are printed: nccl-tests' columns (a table, or --json).
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/hw/topology.h"

namespace moesim::cli {

struct CommRow {
    double size_bytes = 0, count = 0, time_s = 0, algbw_GBps = 0, busbw_GBps = 0;
    std::string type;
    double bottleneck_GBps = -1;  // dispatch/combine only
    std::size_t flows = 0;
    // --model flows: the time with no sharing (the closed form on the same group: flows
    // that never share a link take it; oversubscription 1), and achieved / ideal: what sharing cost.
    double ideal_s = 0;
};

// What was asked, for the header line and the JSON object.
struct CommHeader {
    std::string op, model, gpu, profile;
    hw::TopologySpec cluster;
    bool deepep = false;
    int group = 0;
    std::string algorithm;        // collectives
    nlohmann::json deepep_shape;  // dispatch/combine: mode, shape and traffic
};

void print_comm_json(const CommHeader& h, const std::vector<CommRow>& rows);
void print_comm_table(const CommHeader& h, const std::vector<CommRow>& rows);

}  // namespace moesim::cli
