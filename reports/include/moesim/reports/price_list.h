#pragma once
// `moesim report prices`: the published API prices a results database holds (PUBLISHED.md
// §G as seeded, plus what `--add FILE` put there).
#include <string>
#include <vector>

#include "moesim/reports/document.h"
#include "moesim/reports/results_db.h"

namespace moesim::report {

Document price_list_document(const std::vector<PriceEntry>& prices, const std::string& db_path);

}  // namespace moesim::report
