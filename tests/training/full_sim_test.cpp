// The full simulation (every GPU, layer by layer, collectives synchronising their group):
// agreement with the one-replica event mode at the mean load, the slowest rank setting the
// pace under imbalance, determinism, and small layouts against hand computation.
#include <algorithm>
#include <string>
#include <vector>

#include "moesim/training/event_sim.h"
#include "moesim/training/full_sim.h"
#include "training_test_helpers.h"

using namespace training_test;
using moesim::training::FullOptions;
using moesim::training::LayerImbalance;
using moesim::training::MoeImbalance;
using moesim::workload::Schedule;

namespace {

// A small V3 layout: 4 nodes, pp 4, dp 8, ep 8 (one EP group of 8 per pipeline rank), 8
// micro-batches per pipeline. It does not fit in memory: simulated anyway.
json small_v3(Schedule schedule, int gbs = 64) {
    json doc = bundled_doc(kV3);
    doc = with(doc, "/cluster/nodes", 4);
    doc = with(doc, "/parallelism/pp", 4);
    doc = with(doc, "/parallelism/dp", 8);
    doc = with(doc, "/parallelism/ep", 8);
    doc = with(doc, "/parallelism/schedule", to_string(schedule));
    doc = with(doc, "/training/global_batch_size", gbs);
    return doc;
}

std::unique_ptr<TrainingSetup> setup_of(const json& doc) { return prepare(doc, true, bundled_path(kV3)); }

// Every rank at the mean load: no draw, every factor 1.
void balance(TrainingSetup& st) {
    const long long layers = st.moe_imbalance.num_layers;
    st.moe_imbalance = MoeImbalance{};
    st.moe_imbalance.num_layers = layers;
}

double breakdown_total(const TrainingResult& r) {
    double s = 0;
    for (const auto& b : r.breakdown) s += b.seconds;
    return s;
}

}  // namespace

TEST_CASE("full simulation at the mean load equals the one-replica event step, every schedule", "[training]") {
    for (auto sched : {Schedule::GPipe, Schedule::OneFOneB, Schedule::ZB1P, Schedule::DualPipe, Schedule::DualPipeV}) {
        INFO(to_string(sched));
        auto st = setup_of(small_v3(sched));
        balance(*st);
        const auto event = moesim::training::run_step_event(*st);
        const auto full = moesim::training::run_step_full(*st);
        CHECK(full.result.fidelity == "full");
        CHECK(full.stats.ranks_simulated == 4 * 8);
        CHECK(full.result.step_time_s == Approx(event.result.step_time_s).epsilon(1e-9));
        CHECK(full.makespan_ps == Approx(static_cast<double>(event.makespan_ps)).epsilon(1e-9));
        CHECK(breakdown_total(full.result) == Approx(full.result.step_time_s).epsilon(1e-9));
        // The same GPU is reported (the busiest; the full simulation numbers every GPU).
        CHECK(full.critical_rank / 8 == event.critical_rank);
        CHECK(full.result.exposed_comm.ep_s == Approx(event.result.exposed_comm.ep_s).margin(1e-9));
        CHECK(full.result.exposed_comm.dp_s == Approx(event.result.exposed_comm.dp_s).margin(1e-9));
        // A PP send can also be exposed while a layer waits for its all-to-all inside a chunk
        // (the one-replica mode sees a chunk's computation as one block), taken from the idle time.
        CHECK(full.result.exposed_comm.pp_s >= event.result.exposed_comm.pp_s - 1e-9);
        const auto idle = [](const TrainingResult& r) { return r.bubble_fraction * r.step_time_s + r.exposed_comm.pp_s; };
        CHECK(idle(full.result) == Approx(idle(event.result)).margin(1e-9));
        CHECK(breakdown_s(full.result, "idle", "straggler_wait") == 0);
        // Every GPU of a pipeline rank ends together.
        for (std::size_t r = 0; r < full.end_ps.size(); ++r) CHECK(full.end_ps[r] == full.end_ps[r - r % 8]);
    }
}
