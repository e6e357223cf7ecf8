#include "trace.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "moesim/common/error.h"

namespace moesim::cli {

std::vector<int> parse_trace_ranks(const std::string& list, int pp) {
    std::vector<int> out;
    if (list.empty()) {
        for (int r = 0; r < pp; ++r) out.push_back(r);
        return out;
    }
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
        std::size_t used = 0;
        int r = -1;
        try {
            r = std::stoi(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size() || r < 0)
            throw UserError("--trace-ranks " + list + ": \"" + item + "\" is not a rank number (expected e.g. 0,3,15)");
        if (r >= pp)
            throw UserError("--trace-ranks " + list + ": rank " + item + " does not exist (the pipeline has pp = " +
                            std::to_string(pp) + " ranks, 0 to " + std::to_string(pp - 1) + ")");
        if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
    }
    std::sort(out.begin(), out.end());
    return out;
}

void write_trace(const std::string& path, const training::EventRun& run, const std::vector<int>& ranks,
                 const std::string& scenario_name) {
    using nlohmann::json;
    json events = json::array();
    std::vector<char> wanted(run.schedule.ranks.size(), 0);
    for (int r : ranks) {
        wanted.at(static_cast<std::size_t>(r)) = 1;
        events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", r},
                          {"args", {{"name", scenario_name + ": pipeline rank " + std::to_string(r)}}}});
        events.push_back({{"name", "process_sort_index"}, {"ph", "M"}, {"pid", r}, {"args", {{"sort_index", r}}}});
        events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", r}, {"tid", 0}, {"args", {{"name", "compute"}}}});
        events.push_back(
            {{"name", "thread_name"}, {"ph", "M"}, {"pid", r}, {"tid", 1}, {"args", {{"name", "communication"}}}});
    }
    const auto us = [](units::Picoseconds ps) { return static_cast<double>(ps) / 1e6; };
    for (const auto& e : run.timeline) {
        if (!wanted.at(static_cast<std::size_t>(e.rank))) continue;
        events.push_back({{"name", e.name},
                          {"cat", e.communication ? "communication" : "compute"},
                          {"ph", "X"},
                          {"pid", e.rank},
                          {"tid", e.communication ? 1 : 0},
                          {"ts", us(e.start_ps)},
                          {"dur", us(e.end_ps - e.start_ps)}});
    }
    const json doc = {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}};
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        if (!out) throw UserError("--trace " + path + ": cannot write the file");
        out << doc.dump() << "\n";
        if (!out) throw UserError("--trace " + path + ": writing the file failed");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw UserError("--trace " + path + ": cannot write the file");
    }
}

}  // namespace moesim::cli
