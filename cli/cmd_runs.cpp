// `moesim runs`: what a results database holds, newest first.
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "format.h"
#include "moesim/common/error.h"
#include "moesim/reports/json_output.h"
#include "moesim/reports/results_db.h"
#include "moesim/reports/run_status.h"
#include "options.h"

namespace moesim::cli {

int cmd_runs(const Args& args) {
    po::options_description options("options");
    std::string db_path, name;
    long long limit = 20;
    options.add_options()
        ("db", po::value(&db_path)->default_value("results.sqlite"), "results database to read")
        ("limit", po::value(&limit)->default_value(20), "show at most this many runs (0 = all)")
        ("name", po::value(&name), "only runs whose scenario name matches this glob")
        ("json", "print the runs as JSON");
    po::variables_map vm;
    if (!parse_options(args, "moesim runs [--db PATH] [--limit N] [--name GLOB] [--json]", options, {}, vm)) return 0;
    if (limit < 0) throw UserError("--limit " + std::to_string(limit) + ": must be 0 (all) or more");
    std::error_code ec;  // a path that cannot be looked at (a symlink loop) is refused when opened
    if (!std::filesystem::exists(db_path, ec) && !ec)
        throw DatabaseError(db_path + ": no results database here (moesim run writes one)");
    report::ResultsDb db(db_path);
    const auto runs = db.list_runs(static_cast<std::size_t>(limit), name.empty() ? std::nullopt : std::optional<std::string>(name));
    if (vm.count("json")) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : runs) list.push_back(report::run_summary_to_json(r));
        std::cout << nlohmann::json{{"runs", list}}.dump(2) << "\n";
        return 0;
    }
    if (runs.empty()) {
        std::cout << "no runs in " << db_path << "\n";
        return 0;
    }
    // The name column is as wide as the longest label (a name tagged with its --set overrides).
    std::size_t width = 30;
    for (const auto& r : runs) width = std::max(width, r.label.size() + 2);
    std::cout << std::right << std::setw(5) << "id" << "  " << std::left << std::setw(25) << "created (UTC)"
              << std::setw(static_cast<int>(width)) << "name [overrides]" << std::setw(16) << "model" << std::setw(13)
              << "GPUs" << "headline\n";
    for (const auto& r : runs) {
        std::cout << std::right << std::setw(5) << r.id << "  " << std::left << std::setw(25) << r.created_utc
                  << std::setw(static_cast<int>(width)) << r.label << std::setw(16) << r.model << std::setw(13)
                  << (std::to_string(r.gpus) + " x " + r.gpu);
        if (r.gpu_hours)
            std::cout << thousands(*r.gpu_hours) << " GPU-h, $" << thousands(r.cost_usd.value_or(0)) << ", MFU "
                      << percent(r.mfu.value_or(0)) << ", step " << fixed(r.step_time_s.value_or(0), 2) << " s; "
                      << report::describe(report::memory_verdict(r));
        if (r.usd_per_million_output_tokens) {
            std::cout << "$" << fixed(*r.usd_per_million_output_tokens, 3) << " per 1M output tokens";
            if (r.requests_per_s) std::cout << " at " << fixed(*r.requests_per_s, 2) << " requests/s";
            std::cout << "; " << report::describe(report::serving_verdict(r));
        }
        std::cout << "  [" << r.fidelity << "]\n";
    }
    return 0;
}

}  // namespace moesim::cli
