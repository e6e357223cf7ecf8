// The one table of collective traits (moesim/common/collective_traits.h) that `moesim comm`,
// the NCCL sweep and calibrate read: nccl-tests' bus-bandwidth factors and the ring's steps.
#include <catch2/catch.hpp>

#include "moesim/common/collective_traits.h"
#include "moesim/hw/types.h"

using namespace moesim;

TEST_CASE("collective traits: nccl-tests' bus factors, ring steps, both names", "[hw]") {
    const auto& ar = *find_collective_traits("all_reduce");
    CHECK(bus_factor(ar, 8) == 2.0 * 7 / 8);
    CHECK(latency_steps(ar, 8) == 14);
    for (const char* name : {"all_gather", "reduce_scatter", "all_to_all"}) {
        INFO(name);
        const auto* t = find_collective_traits(name);
        REQUIRE(t != nullptr);
        CHECK(bus_factor(*t, 16) == 15.0 / 16);
        CHECK(latency_steps(*t, 16) == 15);
    }
    const auto* p2p = find_collective_traits("send_recv");
    REQUIRE(p2p != nullptr);
    CHECK(p2p == find_collective_traits("p2p"));
    CHECK(bus_factor(*p2p, 2) == 1.0);
    CHECK(latency_steps(*p2p, 2) == 1.0);
    CHECK(find_collective_traits("broadcast") == nullptr);
    // Every profile name is one hw::CollectiveKind knows.
    for (const CollectiveTraits& t : kCollectiveTraits)
        CHECK(hw::collective_kind_from_string(std::string(t.name)) != hw::CollectiveKind::Invalid);
}
