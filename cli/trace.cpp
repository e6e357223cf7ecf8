#include "trace.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "moesim/common/error.h"
#include "output_file.h"

namespace moesim::cli {

std::vector<int> parse_trace_ranks(const std::string& list, int count, const std::vector<int>& defaults,
                                   const std::string& what) {
    if (list.empty()) return defaults;
    std::vector<int> out;
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
            throw UserError("--trace-ranks " + list + ": \"" + item + "\" is not a " + what +
                            " number (expected e.g. 0,3,15)");
        if (r >= count)
            throw UserError("--trace-ranks " + list + ": " + what + " " + item + " does not exist (there are " +
                            std::to_string(count) + ", 0 to " + std::to_string(count - 1) + ")");
        if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
    }
    std::sort(out.begin(), out.end());
    return out;
}

void write_trace(const std::string& path, const std::vector<training::TimelineEntry>& timeline,
                 const std::vector<TraceProcess>& processes) {
    using nlohmann::json;
    using training::TraceThread;
    static const char* const kThreads[] = {"compute", "communication", "pipeline sends", "data parallel"};
    json events = json::array();
    std::set<int> wanted;
    for (const auto& p : processes) {
        wanted.insert(p.rank);
        events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", p.rank}, {"args", {{"name", p.name}}}});
        events.push_back({{"name", "process_sort_index"}, {"ph", "M"}, {"pid", p.rank}, {"args", {{"sort_index", p.rank}}}});
        for (int t = 0; t < 4; ++t)
            events.push_back(
                {{"name", "thread_name"}, {"ph", "M"}, {"pid", p.rank}, {"tid", t}, {"args", {{"name", kThreads[t]}}}});
    }
    const auto us = [](units::Picoseconds ps) { return static_cast<double>(ps) / 1e6; };
    for (const auto& e : timeline) {
        if (!wanted.count(e.rank)) continue;
        events.push_back({{"name", e.name},
                          {"cat", e.thread == TraceThread::Compute ? "compute" : "communication"},
                          {"ph", "X"},
                          {"pid", e.rank},
                          {"tid", static_cast<int>(e.thread)},
                          {"ts", us(e.start_ps)},
                          {"dur", us(e.end_ps - e.start_ps)}});
    }
    const json doc = {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}};
    write_file_atomically(path, doc.dump() + "\n", "--trace");
}

}  // namespace moesim::cli
