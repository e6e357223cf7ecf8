#pragma once
// Published API prices that a user adds from a JSON file, for one report (`moesim report
// compare --prices FILE`) or for good (`moesim report prices --add FILE`). The file:
//
//   {"prices": [
//     {"product": "gpt-4o-mini",                      // the API's model name
//      "model": "gpt-4o-mini",                        // the model behind it; runs match on this
//      "usd_per_million_tokens": {"input_cache_hit": 0.075, "input_cache_miss": 0.15, "output": 0.6},
//      "source": "openai.com/api/pricing",            // required: where the prices were read
//      "as_of": "2025-01-10",                         // required: date of that source, YYYY-MM[-DD]
//      "conditions": "batch API",                     // optional, default ""
//      "valid_from": "2024-07-18", "valid_until": null, // optional: YYYY-MM[-DD][THH:MM[:SS]Z]
//      "tag": "V"}                                    // optional, default "user": PUBLISHED.md's tags
//   ]}
//
// Each entry gives one to three items; each becomes a row of `prices`. Everything is checked
// before anything is used or written: unknown keys, wrong types, empty strings, negative or
// non-finite prices, impossible dates, and a price given twice (same product, model, item,
// conditions and as_of — the key the table keeps unique), within the file or against the
// database. The error names the file and the JSON path.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "moesim/reports/results_db.h"

namespace moesim::report {

struct FilePrice {
    PriceEntry price;
    std::string json_path;  // of its value, e.g. "/prices/2/usd_per_million_tokens/output"
};

// Throws ScenarioError(file, json_path, what is wrong).
std::vector<FilePrice> load_price_file(const std::filesystem::path& file);

// True when both would take the same row of `prices` (its UNIQUE key).
bool same_price_key(const PriceEntry& a, const PriceEntry& b);

// Throws ScenarioError naming the first of `added` that repeats a price of `existing`.
void refuse_known_prices(const std::filesystem::path& file, std::span<const FilePrice> added,
                         std::span<const PriceEntry> existing, const std::string& existing_where);

// Adds `prices` to the database in one transaction, after refuse_known_prices against what
// it holds; returns how many rows were added. On any error nothing is written.
std::size_t add_prices(ResultsDb& db, const std::filesystem::path& file, std::span<const FilePrice> prices);

}  // namespace moesim::report
