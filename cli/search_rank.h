#pragma once
// What a search ranks by and how it explains the ranking: a run's objective value, the
// constraints a simulated run breaks, and why a runner-up loses to the best, from the two
// runs' figures (the training breakdown's entries add up to the step time, so the step's
// difference splits into theirs).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/reports/results_db.h"
#include "search_spec.h"

namespace moesim::cli {

// The metric's value for a run (search_spec.h): training from its result; serving output
// tokens per second per decode GPU from decode_output_tokens_per_s_per_node ÷ gpus_per_node.
double objective_value(SearchMetric metric, const report::RunResult& result, int gpus_per_node);

// The first constraint a simulated run breaks, as "constraints/<key> (value > limit)"; empty
// when it meets them all.
std::string broken_constraint(const SearchConstraints& c, const report::RunResult& result);

// One difference between a runner-up and the best.
struct LossComponent {
    std::string what;     // "idle/bubble", "communication/ep_all_to_all", "GPUs", …
    double delta = 0;     // runner-up minus best, in `unit`
    std::string unit;     // "s", "GPUs", "output tok/s per node", …
};

struct LossExplanation {
    double objective_delta = 0;           // runner-up minus best, in the metric's unit
    double objective_delta_fraction = 0;  // of the best's value
    std::optional<double> step_time_delta_s;  // training
    std::vector<LossComponent> components;  // largest first (the ones that make it lose)
    std::string text;
};

// Why `other` (objective `value`) loses to `best` (`best_value`).
LossExplanation explain_loss(SearchMetric metric, double best_value, const report::PendingRun& best, double value,
                             const report::PendingRun& other);

nlohmann::json to_json(const LossExplanation& e);

}  // namespace moesim::cli
