// `moesim report sweep` (issue 14 item 5) end to end: a real sweep recorded, then reported as
// text, CSV and JSON that agree on every run and front; its HTML rendered by headless
// Chromium, whose DOM must hold one circle per run and the front's points in the order the
// front requires; an unknown sweep or format exits 2 and writes nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <set>

#include "cli_fixtures.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

namespace {

// Mixtral 8x7B over TP×DP pairs, recompute policies and micro-batch sizes: 18 points that
// trade step time for memory, a few over the H100's memory (skipped by the sweep).
struct RecordedSweep {
    std::string db;
    json summary;  // moesim sweep --json
};

RecordedSweep record_sweep(const TempDir& tmp) {
    const json sweep = {
        {"name", "mixtral-memory"},
        {"scenario", source_path(kMixtralScenario)},
        {"axes",
         {{{"set", {"/parallelism/tp", "/parallelism/dp"}}, {"values", {{1, 64}, {2, 32}, {4, 16}}}},
          {{"set", "/parallelism/recompute"}, {"values", {"none", "selective", "full"}}},
          {{"set", "/parallelism/micro_batch_size"}, {"values", {1, 2}}}}}};
    RecordedSweep out{(tmp / "sweep.sqlite").string(), {}};
    const auto r = run_moesim(tmp, "sweep", write_json(tmp, "sweep.json", sweep), "--db", out.db, "--json");
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    out.summary = json::parse(r.out);
    REQUIRE(out.summary.at("runs").size() >= 6);
    return out;
}

json report_json(const TempDir& tmp, const RecordedSweep& s) {
    const auto r = run_moesim(tmp, "report", "sweep", "mixtral-memory", "--db", s.db, "--format", "json");
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    return json::parse(r.out);
}

}  // namespace

TEST_CASE("report sweep: text, CSV and JSON agree on the runs and the front", "[cli][sweep]") {
    TempDir tmp;
    const RecordedSweep s = record_sweep(tmp);
    const json j = report_json(tmp, s);
    CHECK(j.at("sweep").at("points") == 18);
    CHECK(j.at("mode") == "training");
    REQUIRE(j.at("runs").size() == s.summary.at("runs").size());
    for (std::size_t i = 0; i < j.at("runs").size(); ++i) CHECK(j["runs"][i]["run_id"] == s.summary["runs"][i]);
    REQUIRE(j.at("fronts").size() == 1);  // every point on the same 64 GPUs
    const json& front = j["fronts"][0];
    CHECK(front.at("key") == "step_time_vs_peak_memory");

    // The front is what its definition says: on it, no run is beaten on both figures; off it,
    // one is. Checked from the JSON's own figures.
    std::set<long long> on(front.at("runs").begin(), front.at("runs").end());
    CHECK(!on.empty());
    for (const auto& a : j["runs"]) {
        bool beaten = false;
        for (const auto& b : j["runs"]) {
            const double ta = a["step_time_s"], tb = b["step_time_s"], ma = a["peak_memory_GB"], mb = b["peak_memory_GB"];
            beaten = beaten || (tb <= ta && mb <= ma && (tb < ta || mb < ma));
        }
        CHECK(on.count(a["run_id"].get<long long>()) == (beaten ? 0u : 1u));
    }
    // In memory order the front's step times fall.
    double last_memory = -1, last_time = 1e300;
    for (long long id : front["runs"]) {
        const auto& run = *std::find_if(j["runs"].begin(), j["runs"].end(), [&](const json& r) { return r["run_id"] == id; });
        CHECK(run["peak_memory_GB"].get<double>() >= last_memory);
        CHECK(run["step_time_s"].get<double>() <= last_time);
        last_memory = run["peak_memory_GB"], last_time = run["step_time_s"];
    }

    const auto csv = run_moesim(tmp, "report", "sweep", "--db", s.db, "--format", "csv");  // the newest sweep
    REQUIRE(csv.exit_status == 0);
    std::vector<std::string> lines;
    for (std::size_t at = 0, end; (end = csv.out.find("\r\n", at)) != std::string::npos; at = end + 2)
        lines.push_back(csv.out.substr(at, end - at));
    REQUIRE(lines.size() == j["runs"].size() + 1);
    CHECK_THAT(lines[0], Contains("front_step_time_vs_peak_memory"));
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const long long id = std::stoll(lines[i].substr(0, lines[i].find(',')));
        CHECK(id == j["runs"][i - 1]["run_id"].get<long long>());
        CHECK(lines[i].ends_with(on.count(id) ? ",1" : ",0"));
    }

    const auto text = run_moesim(tmp, "report", "sweep", "mixtral-memory", "--db", s.db);
    REQUIRE(text.exit_status == 0);
    CHECK_THAT(text.out, Contains("Sweep mixtral-memory"));
    CHECK_THAT(text.out, Contains("Pareto front: Step time against peak memory per GPU"));
    CHECK_THAT(text.out, Contains("★ time/memory"));
    if (j["runs"].size() < 18) CHECK_THAT(text.out, Contains("points not recorded"));
}

TEST_CASE("report sweep: an unknown sweep, format or database exits 2 and writes nothing", "[cli][sweep]") {
    TempDir tmp;
    const RecordedSweep s = record_sweep(tmp);
    const auto out = tmp / "report.html";
    auto refused = [&](std::vector<std::string> args, const std::string& says) {
        args.insert(args.begin(), {"report", "sweep"});
        const auto r = run_moesim_args(tmp, args);
        INFO(r.err);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(says));
        CHECK(r.out.empty());
        CHECK_FALSE(std::filesystem::exists(out));
    };
    refused({"mixtral-memroy", "--db", s.db, "--format", "html", "--out", out.string()},
            "sweep \"mixtral-memroy\": not in");
    refused({"mixtral-memroy", "--db", s.db}, "did you mean");
    refused({"42", "--db", s.db, "--out", out.string()}, "sweep 42: no sweep with that id");
    refused({"--db", s.db, "--format", "svg", "--out", out.string()}, "--format svg: expected text, md, csv, json or html");
    refused({"--db", (tmp / "none.sqlite").string()}, "no such file");
    CHECK_FALSE(std::filesystem::exists(tmp / "none.sqlite"));
}

#ifdef MOESIM_CHROMIUM
// Registered by tests/cli/CMakeLists.txt only where Debian's chromium is installed (otherwise
// a ctest entry says it is skipped): the HTML as a browser parses it.
TEST_CASE("report sweep --format html: headless Chromium's DOM holds the points and the front", "[.chromium]") {
    TempDir tmp;
    const RecordedSweep s = record_sweep(tmp);
    const json j = report_json(tmp, s);
    const auto html = tmp / "sweep.html";
    const auto r = run_moesim(tmp, "report", "sweep", "mixtral-memory", "--db", s.db, "--format", "html", "--out",
                              html.string());
    REQUIRE(r.exit_status == 0);

    const std::string command = std::string(MOESIM_CHROMIUM) +
                                " --headless --no-sandbox --disable-gpu --user-data-dir=" +
                                shell_quote((tmp / "profile").string()) + " --dump-dom " +
                                shell_quote("file://" + html.string()) + " 2>/dev/null";
    std::string dom;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[65536];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) dom.append(buffer, n);
    REQUIRE(::pclose(pipe) == 0);
    INFO(dom.substr(0, 2000));
    REQUIRE_THAT(dom, Contains("</svg>"));

    // The first chart: step time against peak memory.
    const std::string chart = dom.substr(dom.find("<svg"), dom.find("</svg>") - dom.find("<svg"));
    const std::regex circle(R"re(<circle class="point (front|dominated|excluded)" cx="([-0-9.]+)" cy="([-0-9.]+)"[^>]*data-run="(\d+)" data-x="([^"]+)" data-y="([^"]+)")re");
    struct Dot {
        double cx, cy, x, y;
        long long run;
    };
    std::vector<Dot> front;
    std::size_t dots = 0;
    for (auto it = std::sregex_iterator(chart.begin(), chart.end(), circle); it != std::sregex_iterator(); ++it) {
        ++dots;
        if ((*it)[1] == "front")
            front.push_back({std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[5]), std::stod((*it)[6]),
                             std::stoll((*it)[4])});
    }
    CHECK(dots == j["runs"].size());
    std::set<long long> expected(j["fronts"][0]["runs"].begin(), j["fronts"][0]["runs"].end()), drawn;
    for (const Dot& d : front) drawn.insert(d.run);
    CHECK(drawn == expected);
    // Left to right along the front, memory grows and step time falls: on screen (y down) the
    // points go right and down.
    std::sort(front.begin(), front.end(), [](const Dot& a, const Dot& b) { return a.x != b.x ? a.x < b.x : a.y < b.y; });
    for (std::size_t i = 1; i < front.size(); ++i) {
        CHECK(front[i].cx >= front[i - 1].cx);
        CHECK(front[i].cy >= front[i - 1].cy);
        CHECK(front[i].y <= front[i - 1].y);
        CHECK((front[i].x > front[i - 1].x || front[i].y == front[i - 1].y));
    }
    CHECK_THAT(chart, Contains("class=\"front-line\""));
    CHECK_THAT(chart, Contains("peak memory per GPU, GB"));
    CHECK_THAT(chart, Contains("step time, s"));
}
#endif
