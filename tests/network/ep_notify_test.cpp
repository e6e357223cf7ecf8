// The fixed time one EP call pays before its payload (network/ep_exchange.h
// ep_notify_latency_s), which training and serving both add: DeepEP's notify, from the
// profile, for the normal kernels only.
#include <catch2/catch.hpp>

#include "cluster_test_helpers.h"
#include "moesim/common/error.h"
#include "moesim/network/ep_exchange.h"
#include "profile_fixtures.h"

using moesim::hw::CalibrationProfile;
using moesim::network::EpKernel;
using moesim::network::ep_notify_latency_s;

TEST_CASE("EP notify: DeepEP's normal kernels pay the profile's notify, the low-latency ones and NCCL none", "[network]") {
    nlohmann::json doc = moesim::test::shipped_profile_json();
    doc["latencies"] = nlohmann::json::array({{{"what", "deepep_notify"}, {"latency_us", 250.0}, {"source", "test"}}});
    const CalibrationProfile notified = CalibrationProfile::from_json(doc, "notify.json");
    CHECK(ep_notify_latency_s(EpKernel::DeepEpNormal, notified) == Approx(250e-6).epsilon(1e-12));
    CHECK(ep_notify_latency_s(EpKernel::DeepEpLowLatency, notified) == 0);
    CHECK(ep_notify_latency_s(EpKernel::NcclAllToAll, notified) == 0);
    // The published profile has no notify latency: no kernel pays one.
    for (EpKernel k : {EpKernel::DeepEpNormal, EpKernel::DeepEpLowLatency, EpKernel::NcclAllToAll})
        CHECK(ep_notify_latency_s(k, moesim::test::profile()) == 0);
    CHECK_THROWS(ep_notify_latency_s(EpKernel::Invalid, notified));
}
