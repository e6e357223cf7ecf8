#pragma once
// `moesim report compare`: the simulated serving deployments' dollars per 1M tokens beside
// published API prices, with the margin those prices imply over the simulated cost.
//
// A run is compared with the prices whose `model` is the run's model (case-insensitively;
// a run whose model is a path to NAME.json matches NAME), or, with `against`, with every
// price of the named API products whatever their model. A run with no price to compare
// shows "–" there.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "moesim/reports/document.h"
#include "moesim/reports/results_db.h"

namespace moesim::report {

// The three things an API charges for, in the order of the `prices` table's `item`.
inline const std::vector<std::string>& price_items() {
    static const std::vector<std::string> items = {"input_cache_hit", "input_cache_miss", "output"};
    return items;
}

struct PriceComparison {
    std::int64_t run_id = 0;
    std::string item;                     // one of price_items()
    double cost_usd_per_million_tokens = 0;  // simulated
    std::optional<PriceEntry> price;      // nullopt: no published price to compare with
    // (price - cost) / price: the share of the price left after the simulated cost. nullopt
    // without a price or when the price is 0.
    std::optional<double> gross_margin;
    // price / cost - 1. nullopt without a price or when the cost is 0.
    std::optional<double> markup;
};

struct CompareOptions {
    std::vector<std::string> against;  // API products; empty = match by model
};

// Throws UserError for an `against` product that no price has.
void check_against(const CompareOptions& options, const std::vector<PriceEntry>& prices);

// For each run (in order), each item, each price that applies (in the prices' order); one
// entry with no price for an item that no price applies to. Runs must be serving runs.
std::vector<PriceComparison> compare_with_prices(const std::vector<StoredRun>& runs,
                                                 const std::vector<PriceEntry>& prices,
                                                 const CompareOptions& options = {});

// The report: a table of the runs' costs and deployments, the comparison table with the
// margin's definition and the prices' sources under it, and (HTML) one chart per item.
Document serving_compare_document(const std::vector<StoredRun>& runs, const std::vector<PriceEntry>& prices,
                                  const CompareOptions& options, const std::string& db_path);

}  // namespace moesim::report
