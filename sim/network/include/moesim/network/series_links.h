#pragma once
// Links in series: topology links that carry exactly the same flows, as one constraint.
//
// A route is a simple path between two GPUs (hw::Topology: GPUs are end points only). Take a
// vertex v that is not a GPU and has exactly two neighbours u and w (one link each way to
// each): a route that enters v from u can only leave towards w, and none starts or ends at v.
// So the links u→v and v→w carry the same flows, as do w→v and v→u. Their two capacity
// constraints Σx ≤ C(u→v) and Σx ≤ C(v→w) are then the one constraint Σx ≤ min of the two:
// the max-min allocation is the same, exactly, with one constraint fewer on every such route.
// Chains of such vertices join transitively (union-find), and the joined links of a group
// are consecutive on any route that uses them.
//
// On the bundled topologies these vertices are the NICs that serve one GPU: GPU→NIC→leaf is
// one constraint, leaf→NIC→GPU another, so a route across nodes has 2 constraints instead of
// 4 (same leaf) or 4 instead of 6 (across a spine). A NIC shared by several GPUs, NVSwitches,
// leaves and spines have more neighbours and keep their links apart.
//
// Cost: O(V + L) to build for V vertices and L links; mapping a route is O(its length).
#include <cstdint>
#include <span>
#include <vector>

#include "moesim/hw/topology.h"

namespace moesim::network {

class SeriesLinks {
public:
    explicit SeriesLinks(const hw::Topology& topology);

    // Groups of links in series (each topology link is in exactly one).
    std::size_t groups() const { return first_.size() - 1; }
    std::uint32_t group_of(hw::LinkIndex link) const { return group_of_[link]; }
    // The topology links of a group.
    std::span<const hw::LinkIndex> links_of(std::uint32_t group) const {
        return std::span<const hw::LinkIndex>(links_).subspan(first_[group], first_[group + 1] - first_[group]);
    }
    // Appends the groups `route` (topology links) crosses, in order, each once.
    void map_route(std::span<const hw::LinkIndex> route, std::vector<std::uint32_t>& out) const;

private:
    std::vector<std::uint32_t> group_of_;  // per topology link
    std::vector<std::uint32_t> first_;     // group g: links_[first_[g], first_[g + 1])
    std::vector<hw::LinkIndex> links_;
};

}  // namespace moesim::network
