#pragma once
// Internal to sim/network: the two Network implementations that make_network chooses from.
#include <memory>

#include "moesim/network/network.h"

namespace moesim::network::detail {

std::unique_ptr<Network> make_closed_form_network(const hw::TopologySpec& spec, const hw::CalibrationProfile& profile);
std::unique_ptr<Network> make_flow_network(const hw::TopologySpec& spec, const hw::CalibrationProfile& profile);

}  // namespace moesim::network::detail
