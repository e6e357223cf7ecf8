// The full simulation with every collective as flows on the topology (--network flows,
// full_flows.h): it agrees with the closed form where nothing contends, slows where links are
// shared or faulty, reports every traffic class, and is deterministic.
#include <string>

#include "training_test_helpers.h"

using namespace training_test;
using moesim::training::StepOptions;
using moesim::training::TrafficClassFigures;
using moesim::workload::Schedule;

namespace {

StepOptions flows() {
    StepOptions o;
    o.network_flows = true;
    return o;
}

const TrafficClassFigures& traffic(const TrainingResult& r, const std::string& name) {
    for (const auto& c : r.traffic)
        if (c.name == name) return c;
    FAIL("no traffic class " << name);
    return r.traffic.front();
}

}  // namespace

TEST_CASE("flows: where nothing contends the step agrees with the closed form within 2%", "[training][flows]") {
    for (auto sched : {Schedule::OneFOneB, Schedule::DualPipe}) {
        INFO(to_string(sched));
        // EP inside a node, PP between nodes on their rails, DP inside a node: no two
        // collectives ever share a link.
        auto st = setup_of(small_v3(sched));
        const auto closed = full_run(*st);
        const auto flowed = full_run(*st, flows());
        CHECK(closed.result.traffic.empty());
        REQUIRE(flowed.result.traffic.size() == 6);
        CHECK(flowed.result.step_time_s == Approx(closed.result.step_time_s).epsilon(0.02));
        for (const char* c : {"ep_dispatch", "ep_combine", "pp", "dp_rs", "dp_ag"}) {
            INFO(c);
            const auto& t = traffic(flowed.result, c);
            CHECK(t.instances > 0);
            CHECK(t.achieved_s == Approx(t.ideal_s).epsilon(0.02));
        }
        CHECK(traffic(flowed.result, "tp").instances == 0);  // TP 1
        CHECK(traffic(flowed.result, "ep_dispatch").instances == closed.stats.collectives / 2);
    }
}

TEST_CASE("flows: the same scenario gives the same step, bit for bit", "[training][flows]") {
    auto st = setup_of(small_v3(Schedule::DualPipe));
    const auto a = full_run(*st, flows());
    const auto b = full_run(*st, flows());
    CHECK(a.result == b.result);
    CHECK(a.end_ps == b.end_ps);
}

TEST_CASE("flows: a NIC at half rate slows the pipeline sends that cross it", "[training][flows][faults]") {
    json doc = small_v3(Schedule::OneFOneB, 32);
    // Every NIC of node 1 (pipeline rank 1) at half its rate from the start.
    json faults = json::array();
    for (int nic = 0; nic < 8; ++nic) faults.push_back({{"node", 1}, {"nic", nic}, {"rate_fraction", 0.5}});
    doc = with(doc, "/cluster/network/faults", faults);
    auto healthy = setup_of(small_v3(Schedule::OneFOneB, 32));
    auto faulty = setup_of(doc);
    const auto h = full_run(*healthy, flows());
    const auto f = full_run(*faulty, flows());
    const auto& pp = traffic(f.result, "pp");
    CHECK(traffic(h.result, "pp").slowdown() == Approx(1.0).epsilon(0.01));
    // Sends into and out of node 1 (half of them) take twice as long.
    CHECK(pp.worst_slowdown == Approx(2.0).epsilon(0.01));
    CHECK(pp.slowed > 0);
    CHECK(pp.slowdown() > 1.2);
    CHECK(f.result.step_time_s > h.result.step_time_s);
    // EP and DP stay in their nodes: untouched.
    CHECK(traffic(f.result, "ep_dispatch").slowdown() == Approx(1.0).epsilon(0.01));
}

TEST_CASE("flows: a fault spec the cluster does not have is refused with its JSON path", "[training][flows][faults]") {
    const auto refused = [](const json& faults) {
        json doc = with(small_v3(Schedule::OneFOneB, 32), "/cluster/network/faults", faults);
        auto st = setup_of(doc);
        try {
            full_run(*st, flows());
        } catch (const moesim::ScenarioError& e) {
            return e.json_path();
        }
        return std::string("accepted");
    };
    CHECK(refused(json::array({{{"node", 4}, {"nic", 0}, {"rate_fraction", 0.5}}})) == "/cluster/network/faults/0/node");
    CHECK(refused(json::array({{{"node", 0}, {"nic", 9}, {"rate_fraction", 0.5}}})) == "/cluster/network/faults/0/nic");
    CHECK(refused(json::array({{{"leaf", 999}, {"spine", 0}, {"rate_fraction", 0.5}}})) == "/cluster/network/faults/0/leaf");
    CHECK(refused(json::array({{{"leaf", 0}, {"spine", 999}, {"rate_fraction", 0.5}}})) == "/cluster/network/faults/0/spine");
}

TEST_CASE("flows: fault specs are parsed strictly", "[training][flows][faults]") {
    const auto path_of = [](const json& faults) {
        return prepare_error(with(small_v3(Schedule::OneFOneB, 32), "/cluster/network/faults", faults)).json_path();
    };
    CHECK(path_of(json::array({{{"node", 0}, {"nic", 0}, {"rate_fraction", 1.5}}})) == "/cluster/network/faults/0/rate_fraction");
    CHECK(path_of(json::array({{{"node", 0}, {"nic", 0}}})) == "/cluster/network/faults/0/rate_fraction");
    CHECK(path_of(json::array({{{"node", 0}, {"nic", 0}, {"rate_fraction", 0.5}, {"speed", 1}}})) ==
          "/cluster/network/faults/0/speed");
    CHECK(path_of(json::array({{{"node", 0}, {"leaf", 0}, {"rate_fraction", 0.5}}})) == "/cluster/network/faults/0");
    CHECK(path_of(json::array({{{"node", 0}, {"nic", 0}, {"rate_fraction", 0.0}}})) == "/cluster/network/faults/0/rate_fraction");
    CHECK(path_of(json::array({{{"leaf", 0}, {"spine", 1}, {"rate_fraction", 0.0}, {"from_s", 1.0}}})) ==
          "/cluster/network/faults/0/from_s");
    CHECK(path_of(json{{"node", 0}}) == "/cluster/network/faults");
}
