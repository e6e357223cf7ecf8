// Links in series (series_links.h): links that every route crosses together are one group,
// a route crosses each group once and all of its links, and nothing else is grouped.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "cluster_test_helpers.h"
#include "moesim/hw/topology.h"
#include "moesim/network/series_links.h"

using namespace moesim;
using namespace moesim::network;
using moesim::test::h800;

namespace {

// For every ordered GPU pair (every `stride`-th source): the mapped route names each group
// once, and holds every link of each group it names (a group is crossed whole or not at all).
void check_routes(const hw::Topology& topo, const SeriesLinks& series, int stride) {
    std::vector<std::uint32_t> mapped;
    for (int s = 0; s < topo.gpus(); s += stride) {
        for (int d = 0; d < topo.gpus(); ++d) {
            const std::vector<hw::LinkIndex> route = topo.route(s, d);
            mapped.clear();
            series.map_route(route, mapped);
            std::set<std::uint32_t> distinct(mapped.begin(), mapped.end());
            REQUIRE(distinct.size() == mapped.size());
            std::size_t links = 0;
            for (const std::uint32_t g : mapped) {
                for (const hw::LinkIndex l : series.links_of(g)) {
                    REQUIRE(std::find(route.begin(), route.end(), l) != route.end());
                    ++links;
                }
            }
            CHECK(links == route.size());
        }
    }
}

}  // namespace

TEST_CASE("series links: a NIC serving one GPU joins GPU→NIC→leaf and leaf→NIC→GPU", "[network][series]") {
    const hw::Topology topo(h800(hw::TopologyKind::RailOptimized, 64));  // spines too
    const SeriesLinks series(topo);
    std::size_t nic_links = 0;
    for (std::size_t l = 0; l < topo.links().size(); ++l) {
        const hw::TopoLink& link = topo.links()[l];
        const std::uint32_t g = series.group_of(static_cast<hw::LinkIndex>(l));
        const auto members = series.links_of(g);
        REQUIRE(std::find(members.begin(), members.end(), l) != members.end());
        if (link.kind == hw::LinkKind::GpuNic || link.kind == hw::LinkKind::NicLeaf) {
            ++nic_links;
            REQUIRE(members.size() == 2);
            // The pair runs one way through the NIC: in to it, then out of it.
            const hw::TopoLink& a = topo.links()[members[0]];
            const hw::TopoLink& b = topo.links()[members[1]];
            CHECK((a.to == b.from || b.to == a.from));
            CHECK(a.kind != b.kind);
        } else {
            CHECK(members.size() == 1);  // NVLink and leaf-spine links stay apart
        }
    }
    CHECK(series.groups() == topo.links().size() - nic_links / 2);
    check_routes(topo, series, 61);
}

TEST_CASE("series links: a NIC shared by GPUs, or a fat-tree, groups only what routes cross together", "[network][series]") {
    hw::TopologySpec shared = h800(hw::TopologyKind::RailOptimized, 4);
    shared.nics_per_node = 4;  // two GPUs per NIC: the NIC has three neighbours
    const hw::Topology topo(shared);
    const SeriesLinks series(topo);
    for (std::size_t l = 0; l < topo.links().size(); ++l) {
        const hw::TopoLink& link = topo.links()[l];
        if (link.kind == hw::LinkKind::GpuNic) CHECK(series.links_of(series.group_of(static_cast<hw::LinkIndex>(l))).size() == 1);
    }
    check_routes(topo, series, 3);
    const hw::Topology fat(h800(hw::TopologyKind::FatTree, 16, 2.0));
    const SeriesLinks fat_series(fat);
    CHECK(fat_series.groups() < fat.links().size());
    check_routes(fat, fat_series, 7);
}
