#pragma once
// One scenario from file to a run ready to record: what `moesim run` does for each file and
// `moesim sweep` for each point. Preparing checks everything (parse, model, GPU, memory)
// before anything is simulated; simulating fills the run's record as the database keeps it.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/inference/max_load.h"
#include "moesim/inference/operator_costs.h"
#include "moesim/inference/ratio_search.h"
#include "moesim/inference/serving_sim.h"
#include "moesim/inference/setup.h"
#include "moesim/reports/results_db.h"
#include "moesim/training/fidelity.h"
#include "moesim/training/setup.h"
#include "moesim/training/simulate.h"
#include "moesim/workload/scenario.h"

namespace moesim::cli {

struct Prepared {
    workload::Scenario scenario;
    std::unique_ptr<training::TrainingSetup> training;  // a training scenario, or
    std::unique_ptr<inference::ServingSetup> serving;   // a serving one, with its operator model
    std::unique_ptr<inference::OperatorCosts> costs;
    const hw::CalibrationProfile& profile() const { return training ? training->profile : serving->profile; }
};

// Parses `file` with the `sets` overrides and prepares its simulation. Throws ScenarioError
// (exit 2) for anything wrong with it, including a layout over memory unless allowed.
Prepared prepare_scenario(const std::string& file, const std::vector<std::string>& sets, bool allow_memory_overflow);
// The same for a scenario already loaded.
Prepared prepare_scenario(workload::Scenario scenario, bool allow_memory_overflow);

// Why a point of a sweep or search was refused by those checks, as a short category to count
// points by: "does not fit in GPU memory", or "refused at <the JSON path named>".
std::string refusal_reason(const UserError& e);

// A serving run as simulated: the run, and the search that chose its rate if there was one.
struct ServingOutcome {
    std::optional<inference::ServingRun> run;
    std::optional<inference::MaxLoad> max_load;
    std::optional<inference::MaxLoadSpread> spread;  // the search over more seeds (max_load_seeds > 1)
    std::optional<inference::PoolCapacities> pools;  // each pool alone (ServingSearches::pools)
    std::optional<inference::RatioSearch> ratio;     // the prefill:decode ratio search (its best_load moved to max_load)
    const inference::ServingRun& result() const { return max_load ? max_load->run : *run; }
};

// Searches beyond the rate (ratio_search.h), for a disaggregated deployment: with the
// --find-max-load search, each pool's rate alone (`pools`); or instead of it, the number of
// prefill instances giving the most output tokens per GPU-hour at its max load (`ratio`; the
// run recorded is at that count and rate).
struct ServingSearches {
    bool pools = false;
    bool ratio = false;
};

// Simulates `p` (training at `fid`; serving at its rate, or the highest meeting its SLO with
// `find_max_load`) and returns the run with its record filled in: name, label and overrides
// (`sets`, then the rate the search chose), the scenario as run, versions, wall time. A
// serving outcome is left in `serving`; with `trace_ranks`, the traced timeline in `traced`.
// With `max_load_seeds` > 1 the search is repeated over that many seeds (the run recorded is
// the scenario's own seed's) to show how much its answer owes to the requests drawn.
// `progress` hears how far a long simulation has got: the rates probed by the search, or the
// chunk operations of a full-fidelity step (simulate.h, max_load.h). `network_flows`: a training
// step's communication as flows on the topology (StepOptions::network_flows, full fidelity).
report::PendingRun simulate_run(const Prepared& p, training::Fidelity fid, const std::vector<std::string>& sets,
                                bool find_max_load, const std::vector<int>& trace_ranks, ServingOutcome& serving,
                                std::vector<training::TimelineEntry>& traced, int max_load_seeds = 1,
                                const ProgressHook& progress = {}, ServingSearches searches = {}, bool network_flows = false);

// The profile a run used, as the store keeps it.
report::CalibrationRecord calibration_record(const hw::CalibrationProfile& profile);
// The profile a run used, stored once (the store de-duplicates identical documents).
std::int64_t record_profile(report::ResultsDb& db, const hw::CalibrationProfile& profile);

}  // namespace moesim::cli
